/**
 * deploy/README-deploy.md stays true to the code: its Athens alias table is the one config.ts
 * accepts, every STOA_ name it mentions is a setting, and every overlay path it names exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configEnvNames, SETTINGS } from '../../src/config.js';
import { REPO_ROOT } from './k8s.js';

const readme = readFileSync(path.join(REPO_ROOT, 'deploy/README-deploy.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`### ${title}`);
  assert.ok(start >= 0, `no section "${title}"`);
  const end = readme.indexOf('\n### ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('deploy/README-deploy.md', () => {
  it('lists exactly the aliases config.ts accepts', () => {
    const table = new Map<string, string[]>();
    for (const line of section('Migrating from Athens').split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      const stoa = /^`(STOA_[A-Z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
      if (stoa === undefined) continue;
      table.set(stoa, [...(cells[2] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] ?? '').sort());
    }
    const expected = new Map(
      Object.values(SETTINGS)
        .filter((s) => s.env.length > 1)
        .map((s) => [s.env[0], s.env.slice(1).sort()] as const),
    );
    assert.deepEqual(table, expected);
  });

  it('names only real settings and existing overlays', () => {
    const known = new Set(configEnvNames());
    const named = new Set([...readme.matchAll(/\b(STOA_[A-Z0-9_]+)\b/g)].map((m) => m[1] ?? ''));
    assert.ok(named.size > 5);
    for (const n of named) assert.ok(known.has(n), `${n} is not a setting`);
    const overlays = [...readme.matchAll(/deploy\/kubernetes\/((?:overlays|components|examples)\/[a-z-]+)/g)];
    assert.ok(overlays.length > 0);
    for (const [, rel] of overlays) {
      assert.ok(
        existsSync(path.join(REPO_ROOT, 'deploy/kubernetes', rel ?? '', 'kustomization.yaml')),
        `${rel}`,
      );
    }
    for (const want of ['## Deploy to Kubernetes', 'GONOSUMDB', 'GOPRIVATE', 'port-forward svc/stoa 3000']) {
      assert.ok(readme.includes(want), `mentions ${want}`);
    }
  });
});
