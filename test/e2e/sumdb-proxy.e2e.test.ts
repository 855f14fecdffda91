/**
 * Checksum database proxying (spec §1.7, §7.18–19) with real components: x/mod's sumdb server (a
 * fresh signing key, records written by the test) stands in for sum.golang.org, mapped by
 * STOA_HOST_MAP; the go command 1.19 verifies what it downloads through stoa with
 * `GOSUMDB=<that database's key>`, so it asks stoa's `/sumdb/<name>/supported` and then looks up
 * and reads tiles through stoa only. A record with the wrong hash must make go refuse the module:
 * the lookup really went through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RepoBuilder } from '../fixtures/repo.js';
import { startSumdbServer, sumdbServerSkipReason, type SumdbServer } from '../fixtures/sumdb-server.js';
import { startHarness, type Harness } from './harness.js';

const DB = 'sumdb.test';
const skip = sumdbServerSkipReason();

function publish(h: Harness, name: string, files: Record<string, string>): void {
  const r = new RepoBuilder();
  try {
    r.write(files).commit('init');
    r.tag('v1.0.0');
    r.publish(h.gitRoot, name);
  } finally {
    r.dispose();
  }
}

async function get(h: Harness, p: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`${h.stoa.url}${p}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

describe('checksum database proxy', { skip }, () => {
  let db: SumdbServer;
  let h: Harness;

  before(async () => {
    db = await startSumdbServer(DB);
    h = await startHarness({
      env: {
        // down.test: a database stoa cannot reach (nothing listens on port 9)
        STOA_SUMDBS: `https://${DB},https://down.test`,
        STOA_HOST_MAP: `${DB}=${db.url},down.test=http://127.0.0.1:9`,
        STOA_EXCLUDE: 'github.com/acme/secret',
        STOA_NOSUMDB: 'github.com/private/*',
        STOA_UPSTREAM_RETRY_DELAY: '10ms',
      },
    });
    publish(h, 'acme/verified', {
      'go.mod': 'module github.com/acme/verified\n',
      'v.go': 'package verified\n',
    });
    publish(h, 'acme/tampered', {
      'go.mod': 'module github.com/acme/tampered\n',
      't.go': 'package tampered\n',
    });
    // The database's records: the true sums (as go computes them in direct mode) for one module, and
    // the other module's go.mod sum with a hash that is not its zip's.
    const direct = h.direct();
    for (const mod of ['github.com/acme/verified', 'github.com/acme/tampered']) {
      const d = await direct.download(`${mod}@v1.0.0`);
      assert.ok(d.Sum && d.GoModSum, `direct download of ${mod}: ${d.Error ?? ''}`);
      const sum = mod.endsWith('tampered') ? `h1:${'A'.repeat(43)}=` : d.Sum;
      db.setRecord(`${mod}@v1.0.0`, `${mod} v1.0.0 ${sum}\n${mod} v1.0.0/go.mod ${d.GoModSum}\n`);
    }
  });

  after(async () => {
    await h?.close();
    await db?.close();
  });

  it('§7.18 says it proxies the configured database, and only that one', async () => {
    const yes = await get(h, `/sumdb/${DB}/supported`);
    assert.equal(yes.status, 200);
    assert.equal(yes.body, '');
    const no = await get(h, '/sumdb/sum.golang.org/supported');
    assert.equal(no.status, 404, 'a database it does not proxy: the client goes direct');
    assert.match(no.type, /^text\/plain/);
  });

  it('says no for a database it cannot reach (the client goes direct), and fails its lookups with 502', async () => {
    const supported = await get(h, '/sumdb/down.test/supported');
    assert.equal(supported.status, 404, supported.body);
    assert.match(supported.body, /unreachable/);
    const lookup = await get(h, '/sumdb/down.test/lookup/github.com/acme/verified@v1.0.0');
    assert.equal(lookup.status, 502, lookup.body);
    assert.match(lookup.body, /^upstream error: /);
  });

  it('go verifies a module through stoa: the lookup and the tiles reach the database via stoa', async () => {
    db.requests.length = 0;
    const go = h.viaStoa({ GOSUMDB: db.vkey, GONOSUMDB: '', GOPRIVATE: '' });
    const r = await go.download('github.com/acme/verified@v1.0.0');
    assert.equal(r.Error, undefined, `go accepted the module: ${r.Error ?? ''}`);
    assert.ok(db.requests.includes('/lookup/github.com/acme/verified@v1.0.0'), db.requests.join(', '));
    assert.ok(
      db.requests.some((p) => p.startsWith('/tile/')),
      `tiles read through stoa: ${db.requests.join(', ')}`,
    );
  });

  it('go refuses a module whose database record does not match what it downloaded', async () => {
    const go = h.viaStoa({ GOSUMDB: db.vkey, GONOSUMDB: '', GOPRIVATE: '' });
    const r = await go.download('github.com/acme/tampered@v1.0.0');
    assert.ok(r.Error, 'go refused the module');
    assert.match(r.Error, /SECURITY ERROR|checksum mismatch/);
  });

  it('§7.19 passes a lookup with a literal `!` through, and the database answers as it does', async () => {
    // Upper-case owners are escaped with `!`; the database has no record: its 404 is passed on.
    db.requests.length = 0;
    const res = await get(h, `/sumdb/${DB}/lookup/github.com/!acme!corp/widget@v1.0.0`);
    assert.equal(res.status, 404, res.body);
    assert.match(res.body, /^not found: /);
    assert.deepEqual(db.requests, ['/lookup/github.com/!acme!corp/widget@v1.0.0']);
    const encoded = await get(h, `/sumdb/${DB}/lookup/github.com/%21acme%21corp/widget@v1.0.0`);
    assert.equal(encoded.status, 404);
  });

  it('offline, it proxies no database: supported is 404 and the database hears nothing', async () => {
    const offline = await startHarness({
      env: { STOA_SUMDBS: `https://${DB}`, STOA_HOST_MAP: `${DB}=${db.url}`, STOA_OFFLINE: 'true' },
    });
    try {
      db.requests.length = 0;
      const res = await fetch(`${offline.stoa.url}/sumdb/${DB}/supported`);
      assert.equal(res.status, 404);
      await res.text();
      assert.deepEqual(db.requests, []);
    } finally {
      await offline.close();
    }
  });

  it('forwards only lookups, tiles and latest; refuses excluded modules without asking', async () => {
    db.requests.length = 0;
    const refused: [string, number][] = [
      [`/sumdb/${DB}/`, 404],
      [`/sumdb/${DB}/lookup/github.com/Acme/x@v1.0.0`, 400], // upper case: not an escaped path
      [`/sumdb/${DB}/lookup/github.com/acme/x`, 404],
      [`/sumdb/${DB}/tile/8/0/../../x`, 404],
      [`/sumdb/${DB}/tile/8/0/1234`, 404],
      [`/sumdb/${DB}/admin`, 404],
      [`/sumdb/${DB}/lookup/github.com/acme/x@v1.0.0%23x`, 404], // not a canonical version
      [`/sumdb/${DB}/lookup/github.com/acme/x@master`, 404],
      [`/sumdb/${DB}/lookup/github.com/acme/secret@v1.0.0`, 403], // excluded by the download policy
      [`/sumdb/${DB}/lookup/github.com/private/repo@v1.0.0`, 403], // STOA_NOSUMDB
    ];
    for (const [p, status] of refused) {
      const res = await get(h, p);
      assert.equal(res.status, status, `${p}: ${res.body}`);
      assert.match(res.type, /^text\/plain/);
    }
    assert.deepEqual(db.requests, [], 'none of them reached the database');
    const latest = await get(h, `/sumdb/${DB}/latest`);
    assert.equal(latest.status, 200);
    assert.match(latest.body, /^go\.sum database tree\n\d+\n/, 'a signed tree head');
    const tile = await fetch(`${h.stoa.url}/sumdb/${DB}/tile/8/0/000.p/1`);
    assert.equal(tile.status, 200);
    assert.equal((await tile.arrayBuffer()).byteLength, 32, 'one 32-byte hash');
  });
});
