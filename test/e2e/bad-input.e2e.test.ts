/**
 * Hostile and malformed requests against a running stoa: each gets a 400 or 404 with a one-line
 * text body, never a 5xx, and nothing is written outside the store. An upstream that is down gives
 * 502/504 and stores nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RepoBuilder } from '../fixtures/repo.js';
import { startHarness, type Harness } from './harness.js';

/** Sends a raw request line (no URL normalisation by a client library). */
function rawGet(base: string, rawPath: string): Promise<{ status: number; type: string; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'GET', path: rawPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

describe('bad input', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const r = new RepoBuilder();
    r.write({ 'go.mod': 'module github.com/acme/hello\n', 'hello.go': 'package hello\n' }).commit('v1');
    r.tag('v1.0.0');
    r.branch('feature');
    r.publish(h.gitRoot, 'acme/hello');
    r.dispose();
  });
  after(async () => {
    await h.close();
  });

  const hostile = [
    '/github.com/acme/hello/../../../etc/passwd/@v/list',
    '/github.com/acme/%2e%2e/%2e%2e/@v/list',
    '/github.com/acme/hello/@v/..%2f..%2fetc.info',
    '/github.com/acme/hello/@v/%2e%2e.info',
    '/github.com/Acme/hello/@v/list',
    '/github.com/!/hello/@v/list',
    '/github.com/acme/hello!/@v/list',
    '/github.com/acme/hello/@v/v1.0.0!.info',
    '/github.com/acme/hel%00lo/@v/list',
    '/github.com/acme/hello/@v/v1.0.0%00.info',
    '/github.com/acme/hello/@v/%ff%fe.info',
    '/github.com/acme/hello/@v/%zz.info',
    `/github.com/acme/${'a'.repeat(10_000)}/@v/list`,
    '/github.com/acme/hello/@v/notaversion.zip',
    '/github.com/acme/hello/@v/feature.zip',
    '/github.com/acme/hello/@v/feature.mod',
    '/github.com/acme/hello/@v/v1.0.zip',
    '/github.com/acme/hello/@v/v9.9.9.info',
    '/github.com/acme/hello/@v/v1.0.0.tar',
    '/github.com/acme/hello/@v/',
    '/github.com/acme/hello/@v/.info',
    '/github.com/acme/hello.git/@v/list',
    '/github.com/acme/hello~x/@v/list',
    '/github.com/acme/@v/list',
    '/localhost/x/@v/list',
    '/github.com/acme/hello/v1/@v/list',
    '/github.com/acme/hello/@v/v1.5.0+incompatible.info',
    '/github.com/acme/hello/@v/v0.0.0-20200102030405-0123456789ab.info',
    '/sumdb/sum.golang.org/supported',
    '/sumdb/sum.golang.org/lookup/github.com/!azure/go-autorest@v1.0.0',
    '/favicon.ico',
  ];

  for (const p of hostile) {
    it(`GET ${p.length > 80 ? `${p.slice(0, 80)}...` : p} → 400/404 text, no 5xx`, async () => {
      const res = await rawGet(h.stoa.url, p);
      assert.ok(
        res.status === 400 || res.status === 404 || res.status === 410,
        `status ${res.status}: ${res.body}`,
      );
      assert.match(res.type, /^text\/plain/);
      assert.equal(res.body.trim().split('\n').length, 1, 'one-line body');
    });
  }

  it('nothing was written outside the store, and nothing for the failed requests', () => {
    // The disk store creates its root on first write; nothing else may appear beside it.
    assert.deepEqual(
      readdirSync(h.sandbox).filter((n) => n !== 'store'),
      [],
      'nothing beside the store',
    );
    const files = existsSync(h.storageRoot)
      ? listFiles(h.storageRoot).filter((f) => !f.includes(`${path.sep}.tmp${path.sep}`))
      : [];
    for (const f of files) assert.ok(!/passwd|etc/.test(f), f);
    // The hostile requests above stored no version.
    assert.ok(!files.some((f) => f.endsWith('.zip')), `no zip stored: ${files.join(', ')}`);
  });

  it('an upstream that is down gives 502 and stores nothing', async () => {
    const down = await startHarness({ env: { STOA_GITHUB_URL: 'http://127.0.0.1:9' } });
    try {
      const res = await fetch(`${down.stoa.url}/github.com/acme/hello/@v/v1.0.0.info`);
      assert.ok(res.status === 502 || res.status === 504, `status ${res.status}`);
      assert.match(await res.text(), /^upstream/);
      const stored = existsSync(down.storageRoot)
        ? listFiles(down.storageRoot).filter((f) => !f.includes(`${path.sep}.tmp${path.sep}`))
        : [];
      assert.deepEqual(stored, []);
    } finally {
      await down.close();
    }
  });
});
