/**
 * The checksum-database proxy's decisions (src/service/sumdb-proxy.ts) over the real HTTP client
 * (sumdb-upstream.ts) and a local HTTP server standing in for a database whose health the test
 * switches: `supported` probing (cached for a minute, the last answer served while a new probe
 * runs), and which paths are forwarded, rebuilt from their checked parts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createSumdbProxy } from '../../src/service/sumdb-proxy.js';
import { createHostGate } from '../../src/upstream/politeness.js';
import { createSumdbUpstream } from '../../src/upstream/sumdb-upstream.js';
import type { UpstreamEvent } from '../../src/telemetry.js';

describe('sumdb proxy', () => {
  let server: Server;
  let base = '';
  let healthy = true;
  const seen: string[] = [];
  const events: UpstreamEvent[] = [];
  let clock = 1_000_000;

  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (!healthy) {
        res.writeHead(503).end('down\n');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`answer for ${req.url ?? ''}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function proxy(): ReturnType<typeof createSumdbProxy> {
    return createSumdbProxy({
      databases: [{ name: 'sum.golang.org', url: 'https://sum.golang.org' }],
      upstream: createSumdbUpstream({
        gate: createHostGate({ concurrency: 4, retries: 0 }),
        telemetry: { upstream: (e) => void events.push(e) },
        timeoutMs: 5000,
      }),
      // every request goes to the local server, as STOA_HOST_MAP would send it
      mapUrl: (url) => url.replace('https://sum.golang.org', base),
      isPrivate: (module) => module.startsWith('github.com/private/'),
      now: () => clock,
    });
  }

  it('probes once a minute, answering the last result while a new probe runs', async () => {
    const p = proxy();
    healthy = true;
    seen.length = 0;
    assert.equal(await p.reachable('sum.golang.org'), true, 'the first call waits for the probe');
    assert.deepEqual(seen, ['/latest']);
    healthy = false;
    clock += 30_000;
    assert.equal(await p.reachable('sum.golang.org'), true, 'within the minute: no new probe');
    assert.deepEqual(seen, ['/latest']);
    clock += 31_000;
    assert.equal(await p.reachable('sum.golang.org'), true, 'a new probe starts; the last answer stands');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(seen, ['/latest', '/latest']);
    assert.equal(await p.reachable('sum.golang.org'), false, 'the new probe found it down');
    assert.equal(await p.reachable('sum.example'), false, 'a database it does not serve');
    assert.equal(p.supports('sum.example'), false);
    healthy = true;
  });

  it('forwards lookups rebuilt from their checked parts, tiles and latest; nothing else', async () => {
    const p = proxy();
    seen.length = 0;
    const signal = new AbortController().signal;
    const answer = await p.get('sum.golang.org', 'lookup/github.com/!acme/x@v1.2.3-!r!c1', signal);
    assert.equal(Buffer.from(answer.body).toString(), 'answer for /lookup/github.com/!acme/x@v1.2.3-!r!c1\n');
    assert.equal(answer.contentType, 'text/plain; charset=utf-8');
    await p.get('sum.golang.org', 'tile/8/0/x001/234.p/13', signal);
    await p.get('sum.golang.org', 'tile/8/data/000', signal);
    await p.get('sum.golang.org', 'latest', signal);
    assert.deepEqual(seen, [
      '/lookup/github.com/!acme/x@v1.2.3-!r!c1',
      '/tile/8/0/x001/234.p/13',
      '/tile/8/data/000',
      '/latest',
    ]);
    const refused: [string, RegExp][] = [
      ['lookup/github.com/acme/x@v1.0.0#frag', /NotFound/],
      ['lookup/github.com/acme/x@v1.0', /NotFound/],
      ['lookup/github.com/Acme/x@v1.0.0', /InvalidRequest/],
      ['lookup/github.com/private/x@v1.0.0', /Forbidden/],
      ['tile/8/0/1234', /NotFound/],
      ['tile/8/0/../../../etc', /NotFound/],
      ['lookup', /NotFound/],
      ['', /NotFound/],
    ];
    for (const [path, code] of refused) {
      await assert.rejects(p.get('sum.golang.org', path, signal), (err: Error & { code?: string }) => {
        assert.match(String(err.code), code, path);
        return true;
      });
    }
    assert.equal(seen.length, 4, 'none of the refused paths reached the database');
    await assert.rejects(p.get('sum.example', 'latest', signal), /does not proxy/);
  });

  it('reports failures by the database name, never the URL it is fetched from', async () => {
    const p = proxy();
    healthy = false;
    try {
      await assert.rejects(p.get('sum.golang.org', 'latest', new AbortController().signal), (err: Error) => {
        assert.match(err.message, /checksum database sum\.golang\.org \(latest\): HTTP 503/);
        assert.ok(!err.message.includes('127.0.0.1'), err.message);
        return true;
      });
    } finally {
      healthy = true;
    }
    const last = events.at(-1);
    assert.deepEqual(
      last && { source: last.source, operation: last.operation, ok: last.ok, status: last.status },
      { source: 'sumdb', operation: 'latest', ok: false, status: 503 },
    );
  });
});
