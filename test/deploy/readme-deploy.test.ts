/**
 * The "Deploy to Kubernetes" text stays true to the code: every alias its Athens table lists is
 * accepted by config.ts for that setting, every STOA_ name it mentions is a setting, and every
 * overlay path it names exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configEnvNames, SETTINGS } from '../../src/config.js';
import { REPO_ROOT } from './k8s.js';

const HEADING = '## Deploy to Kubernetes';

function deploySection(): { text: string; from: string } {
  const main = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = main.indexOf(HEADING);
  assert.ok(start >= 0, `README.md has a "${HEADING}" section`);
  const end = main.indexOf('\n## ', start + HEADING.length);
  return { text: main.slice(start, end < 0 ? undefined : end), from: 'README.md' };
}

const { text: readme, from } = deploySection();

function subsection(title: string): string {
  const m = new RegExp(`^#+ ${title}$`, 'm').exec(readme);
  assert.ok(m !== null, `no section "${title}" in ${from}`);
  const rest = readme.slice(m.index + m[0].length);
  const end = rest.search(/^#+ /m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe(`"Deploy to Kubernetes" (${from})`, () => {
  it('lists Athens aliases that config.ts accepts, for the right settings', (t) => {
    const table = new Map<string, string[]>();
    for (const line of subsection('Migrating from Athens').split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      const stoa = /^`(STOA_[A-Z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
      if (stoa === undefined) continue;
      table.set(
        stoa,
        [...(cells[2] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] ?? ''),
      );
    }
    assert.ok(table.size >= 10, `alias table has ${table.size} rows`);
    const accepted = new Map(Object.values(SETTINGS).map((s) => [s.env[0], new Set(s.env.slice(1))]));
    for (const [stoa, aliases] of table) {
      const ok = accepted.get(stoa);
      assert.ok(ok !== undefined, `${stoa} is not a setting`);
      for (const a of aliases) assert.ok(ok.has(a), `${a} is not an alias of ${stoa}`);
    }
    // Aliases added to config.ts later are reported, not failed: the text is another owner's to update.
    for (const [stoa, ok] of accepted) {
      const missing = [...ok].filter((a) => !(table.get(stoa) ?? []).includes(a));
      if (missing.length > 0) t.diagnostic(`alias table lacks ${stoa}: ${missing.join(', ')}`);
    }
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
