/**
 * Fault injection through the fixture server's `intercept` hook: HTTP errors, throttling in its
 * several shapes, broken and stalled packs, and credentials. Each must surface as the right typed
 * error, leave no temp files and no unhandled rejection, and never leak the token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RepoBuilder } from '../fixtures/repo.js';
import { createGitRemote, type GitRemoteOptions } from '../../src/git/remote.js';
import { hashObject } from '../../src/git/objects.js';
import { forwardRefDeltaPack, pkt, relay, rewritePack, startEnv, tempEntries, type Env } from './helpers.js';

type Intercept = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
) => boolean | Promise<boolean>;

const isFetch = (req: http.IncomingMessage, body: Buffer): boolean =>
  req.method === 'POST' && body.includes('command=fetch');

describe('git remote faults', () => {
  let env: Env;
  let hook: Intercept | null = null;
  let head = '';
  let blob = '';
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => {
    unhandled.push(e);
  };

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    env = await startEnv({
      missingAs401: true,
      intercept: (req, res, body) => (hook ? hook(req, res, body) : false),
    });
    const repo = new RepoBuilder();
    repo.write({ 'go.mod': 'module github.com/acme/f\n', 'data.bin': randomBytes(300_000) }).commit('init');
    repo.publish(env.root, 'acme/f');
    head = repo.head();
    blob = repo.run(['rev-parse', 'HEAD:data.bin']).trim();
    repo.dispose();
  });
  beforeEach(() => {
    hook = null;
  });
  after(async () => {
    await env.close();
    // give stray promises a turn to surface
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
  });

  const remote = (extra: Partial<GitRemoteOptions> = {}) =>
    createGitRemote({ url: `${env.server.url}/acme/f.git`, tempDir: env.tempDir, ...extra });

  const clean = (): void => assert.deepEqual(tempEntries(env.tempDir), []);

  it('500 on info/refs → UpstreamError', async () => {
    hook = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom\n');
      return true;
    };
    await assert.rejects(remote().listRefs(), { name: 'UpstreamError', message: /HTTP 500/ });
  });

  it('500 on the fetch POST → UpstreamError, no temp files', async () => {
    hook = (req, res, body) => {
      if (!isFetch(req, body)) return false;
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal\n');
      return true;
    };
    await assert.rejects(remote().fetchBlobs([blob]), { name: 'UpstreamError' });
    clean();
  });

  it('401 for a missing repository → NotFoundError; 404 too', async () => {
    const r = createGitRemote({ url: `${env.server.url}/acme/missing.git`, tempDir: env.tempDir });
    await assert.rejects(r.listRefs(), { name: 'NotFoundError' });
    const plain = createGitRemote({ url: `${env.plain.url}/acme/missing.git`, tempDir: env.tempDir });
    await assert.rejects(plain.listRefs(), { name: 'NotFoundError' });
  });

  it('sends the token up front; a rejected token is an UpstreamError without the token', async () => {
    const token = 'ghp_SECRET_token_123';
    const ok = remote({ token });
    env.server.resetCounts();
    await ok.readCommit(head);
    const seen = env.server.requests;
    assert.equal(seen.length, 2);
    for (const r of seen) {
      assert.equal(
        r.headers.authorization,
        `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
      );
    }
    const bad = createGitRemote({ url: `${env.server.url}/acme/missing.git`, token, tempDir: env.tempDir });
    const err = await bad.listRefs().catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'UpstreamError');
    assert.match(err.message, /token was rejected/);
    assert.ok(
      !err.message.includes(token) &&
        !err.message.includes(Buffer.from(`x-access-token:${token}`).toString('base64')),
    );
    assert.ok(!JSON.stringify(err, Object.getOwnPropertyNames(err)).includes(token));
  });

  it('429 with Retry-After → RateLimitedError(retryAfterSeconds)', async () => {
    hook = (_req, res) => {
      res
        .writeHead(429, { 'content-type': 'text/plain', 'retry-after': '120' })
        .end('This request was rate-limited\n');
      return true;
    };
    await assert.rejects(remote().listRefs(), { name: 'RateLimitedError', retryAfterSeconds: 120 });
  });

  it('403 with x-ratelimit headers → RateLimitedError; plain 403 → UpstreamError', async () => {
    const reset = Math.floor(Date.now() / 1000) + 300;
    hook = (_req, res) => {
      res
        .writeHead(403, {
          'content-type': 'text/plain',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(reset),
        })
        .end('slow down\n');
      return true;
    };
    const err = await remote()
      .listRefs()
      .catch((e: unknown) => e);
    assert.equal((err as Error).name, 'RateLimitedError');
    const ra = (err as { retryAfterSeconds?: number }).retryAfterSeconds ?? 0;
    assert.ok(ra > 250 && ra <= 300, String(ra));
    hook = (_req, res) => {
      res
        .writeHead(403, { 'content-type': 'text/plain' })
        .end('Repository unavailable due to DMCA takedown.\n');
      return true;
    };
    await assert.rejects(remote().listRefs(), { name: 'UpstreamError', message: /DMCA/ });
  });

  const GH_LIMIT =
    'GitHub is temporarily limiting some unauthenticated downloads to protect the stability of the platform. Please retry later or authenticate.';

  it('an ERR packet about limiting (fetch or info/refs) → RateLimitedError', async () => {
    hook = (req, res, body) => {
      if (!isFetch(req, body)) return false;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      res.end(pkt(`ERR ${GH_LIMIT}\n`));
      return true;
    };
    await assert.rejects(remote().fetchBlobs([blob]), {
      name: 'RateLimitedError',
      message: /temporarily limiting/,
    });
    clean();
    hook = (req, res) => {
      if (req.method !== 'GET') return false;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' });
      res.end(
        Buffer.concat([pkt('# service=git-upload-pack\n'), Buffer.from('0000'), pkt(`ERR ${GH_LIMIT}`)]),
      );
      return true;
    };
    await assert.rejects(remote().listRefs(), { name: 'RateLimitedError' });
  });

  it('sideband band 3 (fatal) inside the pack → typed error; ERR "not our ref" → NotFoundError', async () => {
    hook = (req, res, body) => {
      if (!isFetch(req, body)) return false;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      res.end(
        Buffer.concat([
          pkt('packfile\n'),
          pkt(Buffer.concat([Buffer.from([1]), Buffer.from('PACK\0\0\0\x02')])),
          pkt(Buffer.concat([Buffer.from([3]), Buffer.from('Short term bandwidth rate limit exceeded\n')])),
        ]),
      );
      return true;
    };
    await assert.rejects(remote().fetchBlobs([blob]), { name: 'RateLimitedError' });
    clean();
    hook = (req, res, body) => {
      if (!isFetch(req, body)) return false;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      res.end(pkt(`ERR upload-pack: not our ref ${'a'.repeat(40)}`));
      return true;
    };
    await assert.rejects(remote().fetchBlobs([blob]), { name: 'NotFoundError' });
    clean();
  });

  it('keepalive packets and progress are skipped', async () => {
    hook = async (req, res, body) => {
      if (!isFetch(req, body)) return false;
      const up = await relay(env.plain.url, req, body);
      const keep = pkt(Buffer.from([1]));
      const progress = pkt(Buffer.concat([Buffer.from([2]), Buffer.from('Counting objects: 3\r')]));
      const reply = rewritePack(up.body, (p) => p);
      const at = reply.indexOf('packfile\n') + 'packfile\n'.length;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      res.end(Buffer.concat([reply.subarray(0, at), keep, progress, keep, reply.subarray(at)]));
      return true;
    };
    const set = await remote().fetchBlobs([blob]);
    assert.equal(await set.size(blob), 300_000);
    await set.close();
    clean();
  });

  it('connection closed mid-pack → UpstreamError, no temp files', async () => {
    hook = async (req, res, body) => {
      if (!isFetch(req, body)) return false;
      const up = await relay(env.plain.url, req, body);
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
      setTimeout(() => res.destroy(), 20);
      return true;
    };
    await assert.rejects(remote().fetchBlobs([blob]), { name: 'UpstreamError' });
    clean();
  });

  it('a flipped byte in the pack or a wrong trailer → UpstreamError, no temp files', async () => {
    for (const mutate of [
      (p: Buffer) => {
        const q = Buffer.from(p);
        const i = Math.floor(q.length / 2);
        q[i] = (q[i] ?? 0) ^ 0x55;
        return q;
      },
      (p: Buffer) => {
        const q = Buffer.from(p);
        q[q.length - 3] = (q[q.length - 3] ?? 0) ^ 1;
        return q;
      },
    ]) {
      hook = async (req, res, body) => {
        if (!isFetch(req, body)) return false;
        const up = await relay(env.plain.url, req, body);
        res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
        res.end(rewritePack(up.body, mutate));
        return true;
      };
      await assert.rejects(remote().fetchBlobs([blob]), { name: 'UpstreamError', message: /corrupt pack/ });
      clean();
    }
  });

  it('a stall past the idle timeout → UpstreamTimeoutError; an abort → the abort reason', async () => {
    hook = (req, res, body) => {
      if (!isFetch(req, body)) return false;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      res.write(
        Buffer.concat([pkt('packfile\n'), pkt(Buffer.concat([Buffer.from([1]), Buffer.from('PACK')]))]),
      );
      return true; // never ends; the server closes it at shutdown
    };
    await assert.rejects(remote({ timeoutMs: 300 }).fetchBlobs([blob]), { name: 'UpstreamTimeoutError' });
    clean();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(remote({ timeoutMs: 10_000 }).fetchBlobs([blob], ac.signal), { name: 'AbortError' });
    clean();
    // a stall before the headers is an idle timeout too
    hook = () => true;
    await assert.rejects(remote({ timeoutMs: 300 }).listRefs(), { name: 'UpstreamTimeoutError' });
  });

  it('follows a 301 on info/refs and sends later POSTs to the new base', async () => {
    hook = (req, res) => {
      if (!req.url?.startsWith('/old/name.git/')) return false;
      res.writeHead(301, { location: '/acme/f.git/info/refs?service=git-upload-pack' }).end();
      return true;
    };
    const r = createGitRemote({ url: `${env.server.url}/old/name.git`, tempDir: env.tempDir });
    env.server.resetCounts();
    const refs = await r.listRefs();
    assert.equal(refs.head?.oid, head);
    assert.equal((await r.readCommit(head)).oid, head);
    const posts = env.server.requests.filter((x) => x.method === 'POST');
    assert.ok(posts.length === 2 && posts.every((x) => x.path.startsWith('/acme/f.git/')));
  });

  it('accepts a GitHub-style `# service=` announcement before `version 2`', async () => {
    hook = async (req, res, body) => {
      if (req.method !== 'GET') return false;
      const up = await relay(env.plain.url, req, body);
      assert.ok(up.body.subarray(0, 16).toString().includes('version 2'));
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' });
      res.end(Buffer.concat([pkt('# service=git-upload-pack\n'), Buffer.from('0000'), up.body]));
      return true;
    };
    const r = remote();
    assert.equal((await r.listRefs()).head?.oid, head);
    assert.ok(env.server.requests.some((x) => x.command === 'ls-refs'));
  });

  it('rejects a non-smart (dumb or HTML) info/refs reply', async () => {
    hook = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>');
      return true;
    };
    await assert.rejects(remote().listRefs(), { name: 'UpstreamError', message: /smart-HTTP/ });
  });

  it('works without `filter`/`shallow` capabilities (sends neither) and with a gzipped info/refs', async () => {
    const bodies: string[] = [];
    hook = async (req, res, body) => {
      if (req.method === 'POST') {
        bodies.push(body.toString('latin1'));
        return false;
      }
      const up = await relay(env.plain.url, req, body);
      const text = up.body.toString('latin1');
      assert.match(text, /fetch=shallow.*filter/);
      const stripped = text.replace(/[0-9a-f]{4}fetch=[^\n]*\n/, () =>
        pkt('fetch=wait-for-done\n').toString('latin1'),
      );
      res.writeHead(200, {
        'content-type': 'application/x-git-upload-pack-advertisement',
        'content-encoding': 'gzip',
      });
      res.end(gzipSync(Buffer.from(stripped, 'latin1')));
      return true;
    };
    const r = remote();
    const tree = await r.readTree(head);
    assert.deepEqual(
      tree.map((e) => e.path),
      ['data.bin', 'go.mod'],
    );
    assert.equal((await r.readCommit(head)).oid, head);
    // One fetch: readCommit of a commit whose tree was just read costs no request.
    assert.ok(
      bodies.length === 1 && bodies.every((b) => b.includes('command=fetch') && !/filter|deepen/.test(b)),
    );
    clean();
  });

  it('rate-limit text on the progress band followed by a broken pack → RateLimitedError', async () => {
    hook = (req, res, body) => {
      if (!isFetch(req, body)) return false;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      res.end(
        Buffer.concat([
          pkt('packfile\n'),
          pkt(
            Buffer.concat([
              Buffer.from([2]),
              Buffer.from('remote: Short term bandwidth rate limit exceeded\n'),
            ]),
          ),
          pkt(Buffer.concat([Buffer.from([1]), Buffer.from('garbage!')])),
          Buffer.from('0000'),
        ]),
      );
      return true;
    };
    await assert.rejects(remote().fetchBlobs([blob]), { name: 'RateLimitedError' });
    clean();
  });

  it('a fetch reply whose pack has a REF_DELTA before its base resolves (GitHub, Azure DevOps)', async () => {
    const base = Buffer.from('forward base object\n'.repeat(40));
    const tail = Buffer.from('new tail\n');
    const target = Buffer.concat([base.subarray(0, 300), tail]);
    const baseOid = hashObject('blob', base);
    const targetOid = hashObject('blob', target);
    const pack = forwardRefDeltaPack(base, 300, tail, baseOid);
    hook = (req, res, body) => {
      if (!isFetch(req, body)) return false;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      const bands: Buffer[] = [];
      for (let o = 0; o < pack.length; o += 100)
        bands.push(pkt(Buffer.concat([Buffer.from([1]), pack.subarray(o, o + 100)])));
      res.end(Buffer.concat([pkt('packfile\n'), ...bands, Buffer.from('0000')]));
      return true;
    };
    const set = await remote().fetchBlobs([targetOid]);
    try {
      assert.ok(Buffer.from(await set.read(targetOid)).equals(target));
      assert.ok(Buffer.from(await set.read(baseOid)).equals(base));
    } finally {
      await set.close();
    }
    clean();
  });

  it('retries without the filter when the host refuses the filter kind', async () => {
    const bodies: string[] = [];
    hook = (req, res, body) => {
      if (!isFetch(req, body)) return false;
      bodies.push(body.toString('latin1'));
      if (!body.includes('filter tree:0')) return false;
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result' });
      res.end(pkt("ERR filter 'tree' not supported\n"));
      return true;
    };
    const c = await remote().readCommit(head);
    assert.equal(c.oid, head);
    assert.equal(bodies.length, 2);
    assert.ok(bodies[0]?.includes('filter tree:0') && !bodies[1]?.includes('filter'));
    clean();
  });
});
