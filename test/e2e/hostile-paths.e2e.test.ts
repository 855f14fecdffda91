/**
 * 10,000 generated hostile request paths (issue 7): traversal, encodings, escapes, unicode, NUL,
 * huge paths, protocol look-alikes. Zero 5xx answers, zero files outside the store, and the server
 * is still healthy afterwards. The generator is seeded, so a failure names a reproducible path.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RepoBuilder } from '../fixtures/repo.js';
import { startHarness, type Harness } from './harness.js';

const COUNT = 10_000;
const CONCURRENCY = 32;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'github.com',
  'acme',
  'hello',
  'Acme',
  '!acme',
  '%21acme',
  '!',
  '!!',
  '!A',
  '%21',
  '..',
  '.',
  '%2e%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '\\',
  '%00',
  '%',
  '%zz',
  '%e2%82%ac',
  'ä',
  '€',
  '𠀀',
  '\u202e',
  '+',
  '%2B',
  ' ',
  '%20',
  '@v',
  '@latest',
  '@v/list',
  'list',
  'v1.0.0',
  'v1.0.0.info',
  'v1.0.0.zip',
  'v1.0.0.mod',
  '!h!e!a!d.info',
  'v2.0.0+incompatible.zip',
  'v0.0.0-20200102030405-0123456789ab.info',
  'CON',
  'aux.go',
  'v1',
  'v02',
  'gopkg.in',
  'yaml.v2',
  'sumdb',
  'sum.golang.org',
  'lookup',
  '~',
  '~1',
  'x'.repeat(300),
  '%c0%ae',
  '\u0000',
  '?',
  '#',
  ';',
];

function hostilePath(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 8);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(PIECES[Math.floor(rand() * PIECES.length)] ?? '');
  let p = '/' + parts.join(rand() < 0.9 ? '/' : '');
  if (rand() < 0.05) p = '/' + 'a/'.repeat(2000 + Math.floor(rand() * 3000));
  // Only what an HTTP request line can carry: encode bytes the client would refuse to send.
  return p
    .replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c))
    .replace(/[?#]/g, (c) => encodeURIComponent(c));
}

function send(agent: Agent, base: URL, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ agent, host: base.hostname, port: base.port, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    // A path the server's HTTP parser rejects outright is a closed socket, not a 5xx.
    req.on('error', () => resolve(-1));
    req.end();
  });
}

describe('hostile request paths', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const r = new RepoBuilder();
    r.write({ 'go.mod': 'module github.com/acme/hello\n', 'a.go': 'package hello\n' }).commit('one');
    r.tag('v1.0.0');
    r.publish(h.gitRoot, 'acme/hello');
    r.dispose();
  });
  after(async () => {
    await h.close();
  });

  it(`${COUNT} generated paths: zero 5xx, nothing outside the store, still healthy`, async () => {
    const rand = prng(20261204);
    const paths = Array.from({ length: COUNT }, () => hostilePath(rand));
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const base = new URL(h.stoa.url);
    const statuses = new Map<number, number>();
    const fiveHundreds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < paths.length) {
          const p = paths[next++] ?? '/';
          const status = await send(agent, base, p);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status >= 500) fiveHundreds.push(`${status} ${p.slice(0, 200)}`);
        }
      }),
    );
    agent.destroy();
    assert.deepEqual(fiveHundreds, [], `5xx answers (${fiveHundreds.length})`);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, COUNT);
    assert.ok((statuses.get(404) ?? 0) + (statuses.get(400) ?? 0) > COUNT / 2, JSON.stringify([...statuses]));

    assert.deepEqual(
      readdirSync(h.sandbox).filter((n) => n !== 'store'),
      [],
      'nothing written beside the store',
    );
    const health = await fetch(`${h.stoa.url}/healthz`);
    assert.equal(health.status, 200);
    const real = await fetch(`${h.stoa.url}/github.com/acme/hello/@v/v1.0.0.info`);
    assert.equal(real.status, 200, 'still serving modules');
    await real.text();
  });
});
