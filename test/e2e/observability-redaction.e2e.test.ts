/**
 * Secrets never leak: with STOA_GITHUB_TOKEN set (the local git server ignores auth), a run with
 * successful fills, a missing repository and a hostile host that echoes the Authorization header in
 * a 500 body leaves no trace of the token (raw, or base64 of `x-access-token:<token>`) in any log
 * line, in /metrics, in /stats, or in the answers stoa gave.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness.js';
import { publishFixtureSet, publishRepo } from './observability-helpers.js';

const TOKEN = 'ghp_StoaRedactionCanary7f3b9c21d4e8a6';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

describe('observability: credentials are redacted everywhere', () => {
  let h: Harness;
  const answers: string[] = [];

  before(async () => {
    h = await startHarness({
      env: { STOA_GITHUB_TOKEN: TOKEN, STOA_LOG_LEVEL: 'trace' },
      intercept: (req, res) => {
        if (!(req.url ?? '').startsWith('/acme/echo')) return false;
        // A hostile or broken host that echoes the credentials it was sent.
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal error; you sent ${req.headers.authorization ?? ''} (${TOKEN})\n`);
        return true;
      },
    });
    publishFixtureSet(h.gitRoot);
    publishRepo(h.gitRoot, 'acme/echo', (r) => {
      r.write({ 'go.mod': 'module github.com/acme/echo\n' }).commit('init');
      r.tag('v1.0.0');
    });
  });
  after(async () => {
    await h.close();
  });

  it('the token is sent upstream, and found nowhere stoa writes', async () => {
    const go = h.viaStoa();
    const ok = await go.run([
      'mod',
      'download',
      '-json',
      'github.com/acme/hello@v1.0.0',
      'github.com/acme/other@v0.1.0',
    ]);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    answers.push(ok.stdout, ok.stderr);
    for (const path of [
      '/github.com/acme/echo/@v/v1.0.0.info',
      '/github.com/acme/echo/@v/list',
      '/github.com/acme/echo/@latest',
      '/github.com/acme/missing/@v/v1.0.0.zip',
      '/github.com/acme/hello/@v/v9.9.9.mod',
    ]) {
      const res = await fetch(h.stoa.url + path);
      answers.push(`${path} ${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
    }
    // the echoing host answered with the credentials in its body, so the test is not vacuous
    const echoed = h.git.requests.filter((r) => r.path.startsWith('/acme/echo'));
    assert.ok(echoed.length > 0, 'the echoing host was asked');
    const sent = h.git.requests.filter((r) => r.headers.authorization === `Basic ${BASIC}`);
    assert.ok(sent.length > 0, 'stoa sent the token as Basic x-access-token');
    assert.ok(
      answers.some((a) => / 50[0-9] /.test(a)),
      'a request failed upstream',
    );

    const metrics = await (await fetch(`${h.stoa.url}/metrics`)).text();
    const stats = await (await fetch(`${h.stoa.url}/stats`)).text();
    assert.ok(stats.includes('github.com/acme/echo'), 'the failed fill shows in /stats');
    const logs = h.logs.join('');
    assert.ok(logs.split('\n').length > 10, 'logs were captured');
    const places: [string, string][] = [
      ['logs', logs],
      ['/metrics', metrics],
      ['/stats', stats],
      ['answers', answers.join('\n')],
    ];
    for (const [where, text] of places) {
      for (const secret of [TOKEN, BASIC]) {
        const i = text.indexOf(secret);
        assert.equal(i, -1, `${where} leaks the token: …${text.slice(Math.max(0, i - 200), i + 60)}…`);
      }
    }
  });
});
