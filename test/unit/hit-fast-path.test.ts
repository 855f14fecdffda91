/**
 * The HTTP fast path for warm `.info`/`.mod` answers (src/http/hit-fast-path.ts), in front of the
 * real hono app over the real module service and artifact store (memory blob store, versions put
 * through the store's own protocol). Two servers on real sockets: one with the fast path, one with
 * the app alone. The fast path must answer exactly what the app answers (status, headers, body),
 * count the same telemetry, and pass everything else — misses, other endpoints, other spellings,
 * invalid paths, excluded modules, draining — to the app.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import { createMemoryBlobStore } from '../../storage/memory.js';
import { createApp } from '../../src/app.js';
import { createCoalescer } from '../../src/fetch/coalescer.js';
import { createLimiter } from '../../src/fetch/limiter.js';
import { createHitFastPath } from '../../src/http/hit-fast-path.js';
import { createLogger } from '../../src/logger.js';
import { createArtifactStore } from '../../src/service/artifact-store-impl.js';
import type { ArtifactStore } from '../../src/service/artifact-store.js';
import { createDownloadPolicy } from '../../src/service/download-policy.js';
import { createModuleService, type ModuleService } from '../../src/service/module-service.js';
import type { RequestEvent, Telemetry } from '../../src/telemetry.js';
import { createUpstreamSource } from '../../src/upstream/index.js';

const MODULE = 'github.com/acme/fast';
const EXCLUDED = 'github.com/acme/secret';
const encoder = new TextEncoder();

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP/1.1 request (so absolute-form targets can be sent as they are). */
function get(port: number, target: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = { ...res.headers };
        delete headers.date;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

async function putVersion(store: ArtifactStore, module: string, version: string, tag: string): Promise<void> {
  const zip = encoder.encode(`zip of ${module}@${version}`);
  await store.putVersion(module, version, {
    info: encoder.encode(JSON.stringify({ Version: version, Time: '2024-01-02T03:04:05Z', Tag: tag })),
    mod: encoder.encode(`module ${module}\n\n// ${tag}\n`),
    zip: {
      hash: `h1:${'A'.repeat(43)}=`,
      stream: new ReadableStream({
        start(c) {
          c.enqueue(zip);
          c.close();
        },
      }),
      done: Promise.resolve(),
    },
  });
}

describe('hit fast path', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'stoa-fast-path-'));
  const requests: RequestEvent[] = [];
  const lookups: string[] = [];
  const appCalls: string[] = [];
  const telemetryErrors: unknown[] = [];
  let draining = false;
  let failTelemetry = false;
  let store: ArtifactStore;
  let service: ModuleService;
  let fastPort = 0;
  let appPort = 0;
  const servers: Server[] = [];

  before(async () => {
    const telemetry: Telemetry = {
      request: (e) => {
        if (failTelemetry) throw new Error('telemetry sink failed');
        requests.push(e);
      },
      cacheLookup: (kind, outcome) => void lookups.push(`${kind} ${outcome}`),
      upstream: () => undefined,
      fill: () => undefined,
    };
    store = createArtifactStore(createMemoryBlobStore(), { memoryCacheBytes: 1 << 20 });
    service = createModuleService({
      store,
      // Never reached: every version these tests ask for is put into the store first, and the
      // modules they ask to miss are `none` by policy. A call would fail (nothing listens on port 9).
      source: createUpstreamSource({
        githubUrl: 'http://127.0.0.1:9',
        githubToken: undefined,
        hostMap: {},
        idleTimeoutMs: 1000,
        tempDir: tmp,
        telemetry,
      }),
      coalescer: createCoalescer({ timeoutMs: 5000 }),
      limiter: createLimiter(4),
      offline: false,
      policy: createDownloadPolicy({ mode: 'none', exclude: EXCLUDED }),
      telemetry,
      listTtlMs: 60_000,
      negativeTtlMs: 0,
    });
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({ write: (_c: Buffer, _e, cb) => cb() }),
    });
    const app = createApp({
      service,
      logger,
      telemetry,
      version: 'test',
      checkStore: () => Promise.resolve(),
      isDraining: () => draining,
    });
    const listener = getRequestListener(app.fetch);
    const fast = createHitFastPath({
      service,
      telemetry,
      isDraining: () => draining,
      onTelemetryError: (err) => void telemetryErrors.push(err),
      maxPaths: 4,
    });
    const withFastPath = createServer((req, res) => {
      if (fast(req, res)) return;
      appCalls.push(`${req.method ?? ''} ${req.url ?? ''}`);
      void listener(req, res);
    });
    const appOnly = createServer((req, res) => void listener(req, res));
    servers.push(withFastPath, appOnly);
    fastPort = await listen(withFastPath);
    appPort = await listen(appOnly);
    await putVersion(store, MODULE, 'v1.0.0', 'first');
    await putVersion(store, MODULE, 'v1.1.0', 'other');
    await putVersion(store, EXCLUDED, 'v1.0.0', 'secret');
  });

  after(async () => {
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Asks both servers; returns the fast-path server's answer and whether it reached the app. */
  async function compare(target: string, method = 'GET'): Promise<{ answer: Answer; reachedApp: boolean }> {
    appCalls.length = 0;
    const answer = await get(fastPort, target, method);
    const reachedApp = appCalls.length > 0;
    assert.deepEqual(answer, await get(appPort, target, method), `${method} ${target}: same answer`);
    return { answer, reachedApp };
  }

  it('passes a cold .info to the app, then answers the warm one itself, identically', async () => {
    const target = `/${MODULE}/@v/v1.0.0.info`;
    // Nothing has read the version yet: the in-process cache is cold, so the app serves it (and
    // its read warms the cache).
    const cold = await compare(target);
    assert.equal(cold.reachedApp, true);
    assert.equal(cold.answer.status, 200);
    const warm = await compare(target);
    assert.equal(warm.reachedApp, false, 'a warm .info is answered before the app');
    assert.equal(warm.answer.status, 200);
    assert.deepEqual(JSON.parse(warm.answer.body), {
      Version: 'v1.0.0',
      Time: '2024-01-02T03:04:05Z',
      Tag: 'first',
    });
    assert.equal(warm.answer.headers['content-type'], 'application/json');
    assert.equal(warm.answer.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(warm.answer.headers['content-length'], String(Buffer.byteLength(warm.answer.body)));
  });

  it('answers a warm .mod and HEAD requests the same way the app does', async () => {
    const target = `/${MODULE}/@v/v1.0.0.mod`;
    assert.equal((await compare(target)).reachedApp, true);
    const warm = await compare(target);
    assert.equal(warm.reachedApp, false);
    assert.equal(warm.answer.body, `module ${MODULE}\n\n// first\n`);
    assert.equal(warm.answer.headers['content-type'], 'text/plain; charset=utf-8');
    const head = await compare(target, 'HEAD');
    assert.equal(head.reachedApp, false);
    assert.equal(head.answer.body, '');
    assert.equal(head.answer.headers['content-length'], String(Buffer.byteLength(warm.answer.body)));
  });

  it('reports the same telemetry as the app: a cache hit and a request event', async () => {
    const target = `/${MODULE}/@v/v1.0.0.info`;
    await get(fastPort, target); // warm (earlier tests), so answered by the fast path
    requests.length = 0;
    lookups.length = 0;
    appCalls.length = 0;
    const fast = await get(fastPort, target);
    const viaApp = await get(appPort, target);
    assert.equal(appCalls.length, 0);
    assert.deepEqual(lookups, ['info hit', 'info hit']);
    assert.equal(requests.length, 2);
    const [e, appEvent] = requests;
    assert.ok(e !== undefined && appEvent !== undefined);
    const { durationMs, ...rest } = e;
    assert.ok(durationMs >= 0);
    assert.deepEqual(rest, {
      method: 'GET',
      endpoint: 'info',
      module: MODULE,
      path: target,
      status: 200,
      cache: 'hit',
      bytes: Buffer.byteLength(fast.body),
    });
    const { durationMs: appDuration, ...appRest } = appEvent;
    assert.ok(appDuration >= 0);
    assert.deepEqual(rest, appRest, 'the app reports the same event');
    assert.equal(viaApp.body, fast.body);
  });

  it('passes every other request to the app', async () => {
    // warm v1.0.0's .info and .mod (earlier tests did; do it again in case of reordering)
    await get(fastPort, `/${MODULE}/@v/v1.0.0.info`);
    await get(fastPort, `/${MODULE}/@v/v1.0.0.mod`);
    const others = [
      `/${MODULE}/@v/v1.0.0.zip`, // zips stream through the app
      `/${MODULE}/@v/list`,
      `/${MODULE}/@latest`,
      `/${MODULE}/@v/v1.0.0.info?x=1`, // a query string
      `/${MODULE}/@v/v1.1.0.info`, // stored, but not read yet: cold
      `/${MODULE}/@v/v1.0.info`, // not canonical
      `/${MODULE}/@v/v9.9.9.info`, // not stored (and `none`: 404)
      `/${MODULE}/../x/@v/v1.0.0.info`, // invalid
      `/${EXCLUDED}/@v/v1.0.0.info`, // excluded: 403 from the app
      `http://127.0.0.1/${MODULE}/@v/v1.0.0.info`, // absolute-form target
      `/${MODULE.replace('acme', '%61cme')}/@v/v1.0.0.info`, // percent-encoded: the app decodes
      `/${MODULE}/@v/v1.0.0.info${'/'.repeat(600)}`, // too long for the fast path (the app: 404)
    ];
    for (const target of others) {
      const { reachedApp } = await compare(target);
      assert.equal(reachedApp, true, `${target} reaches the app`);
    }
    assert.equal((await get(appPort, `/${EXCLUDED}/@v/v1.0.0.info`)).status, 403);
    // Another spelling of a warm path may be answered by either; the answer is the same.
    assert.equal((await compare(`//${MODULE}/@v/v1.0.0.info`)).answer.status, 200);
    const post = await compare(`/${MODULE}/@v/v1.0.0.info`, 'POST');
    assert.equal(post.reachedApp, true);
  });

  it('answers even when reporting fails, and hands the failure over instead of throwing', async () => {
    const target = `/${MODULE}/@v/v1.0.0.info`;
    await get(fastPort, target);
    failTelemetry = true;
    try {
      appCalls.length = 0;
      const answer = await get(fastPort, target);
      assert.equal(answer.status, 200);
      assert.equal(appCalls.length, 0);
      assert.equal(telemetryErrors.length, 1);
      assert.match(String(telemetryErrors[0]), /telemetry sink failed/);
    } finally {
      failTelemetry = false;
    }
    assert.equal((await get(fastPort, target)).status, 200, 'the server is still up');
  });

  it('leaves a stored .info that does not name its own version to the app', async () => {
    // A record the route would not call immutable: its Version is another version's.
    await store.putVersion(MODULE, 'v1.2.0', {
      info: encoder.encode(JSON.stringify({ Version: 'v1.2.1', Time: '2024-01-02T03:04:05Z' })),
      mod: encoder.encode(`module ${MODULE}\n`),
      zip: {
        hash: `h1:${'A'.repeat(43)}=`,
        stream: new ReadableStream({
          start(c) {
            c.enqueue(encoder.encode('zip'));
            c.close();
          },
        }),
        done: Promise.resolve(),
      },
    });
    const target = `/${MODULE}/@v/v1.2.0.info`;
    await get(fastPort, target); // read once by the app: now in the cache
    const again = await compare(target);
    assert.equal(again.reachedApp, true);
    assert.equal(again.answer.headers['cache-control'], 'public, max-age=60');
  });

  it('passes everything to the app while draining', async () => {
    const target = `/${MODULE}/@v/v1.0.0.info`;
    await get(fastPort, target);
    draining = true;
    try {
      const { answer, reachedApp } = await compare(target);
      assert.equal(reachedApp, true);
      assert.equal(answer.status, 503);
    } finally {
      draining = false;
    }
  });

  it('never serves bytes the cache no longer holds: a replaced version is read again', async () => {
    const target = `/${MODULE}/@v/v1.1.0.mod`;
    await get(fastPort, target);
    assert.equal((await compare(target)).reachedApp, false);
    await putVersion(store, MODULE, 'v1.1.0', 'replaced');
    const after = await compare(target);
    assert.equal(after.reachedApp, true, 'the replaced version is not in the cache any more');
    assert.equal(after.answer.body, `module ${MODULE}\n\n// replaced\n`);
    assert.equal((await compare(target)).reachedApp, false);
  });

  it('keeps answering correctly after its bounded path map turned over', async () => {
    // maxPaths is 4 here: cycle through more distinct paths than that, twice.
    const targets = ['info', 'mod'].flatMap((ext) =>
      ['v1.0.0', 'v1.1.0'].map((v) => `/${MODULE}/@v/${v}.${ext}`),
    );
    targets.push(`/${MODULE}/@v/list`, `/${MODULE}/@latest`);
    for (const t of targets) await get(fastPort, t);
    for (let round = 0; round < 2; round++) {
      for (const t of targets) {
        const { answer, reachedApp } = await compare(t);
        assert.equal(answer.status, /@v\/list$|@latest$/.test(t) ? 404 : 200, t);
        assert.equal(reachedApp, !/\.(info|mod)$/.test(t), `${t}: fast path only for warm .info/.mod`);
      }
    }
  });
});
