/** Pure parts of the git client: pkt-line framing, deltas, object parsing, error mapping, graph. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CommitGraph } from '../../../src/git/commit-graph.js';
import { applyDelta, deltaTargetSize } from '../../../src/git/delta.js';
import { parseCapTokens } from '../../../src/git/handshake.js';
import { hashObject, parseCommit, parseTag, parseTree } from '../../../src/git/objects.js';
import { FLUSH, PktReader, pktLine, type Packet } from '../../../src/git/pkt-line.js';
import { remoteMessageError, retryAfterFrom } from '../../../src/git/remote-errors.js';
import { redactUrl } from '../../../src/git/transport.js';
import { varint } from '../../git/helpers.js';

async function readAll(bytes: Buffer, chunk: number): Promise<Packet[]> {
  const parts: Buffer[] = [];
  for (let o = 0; o < bytes.length; o += chunk) parts.push(bytes.subarray(o, o + chunk));
  const r = new PktReader(Readable.from(parts));
  const out: Packet[] = [];
  for (let p = await r.next(); p !== null; p = await r.next()) out.push(p);
  return out;
}

describe('pkt-line', () => {
  it('round-trips data packets split at any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 50 }),
        async (payloads, chunk) => {
          const bytes = Buffer.concat([...payloads.map((p) => pktLine(p)), FLUSH]);
          const got = await readAll(bytes, chunk);
          assert.equal(got.length, payloads.length + 1);
          payloads.forEach((p, i) => {
            const g = got[i];
            assert.ok(g?.kind === 'data' && g.data.equals(Buffer.from(p)));
          });
          assert.equal(got.at(-1)?.kind, 'flush');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects bad lengths and truncation', async () => {
    await assert.rejects(readAll(Buffer.from('zzzz'), 4), { name: 'UpstreamError' });
    await assert.rejects(readAll(Buffer.from('0003'), 4), { name: 'UpstreamError' });
    await assert.rejects(readAll(Buffer.from('0010abc'), 4), { name: 'UpstreamError', message: /early EOF/ });
    assert.deepEqual(await readAll(Buffer.from('00000001'), 3), [{ kind: 'flush' }, { kind: 'delim' }]);
  });
});

describe('delta', () => {
  it('applies copy and insert instructions (property: copy-all + insert reproduces target)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.uint8Array({ maxLength: 127 }),
        (base, tail) => {
          const off = Math.floor(base.length / 3);
          const len = base.length - off;
          const copy = [0x80 | 0x01 | 0x02 | 0x10 | 0x20, off & 0xff, off >> 8, len & 0xff, len >> 8];
          const ins = tail.length ? [tail.length, ...tail] : [];
          const target = Buffer.concat([Buffer.from(base.subarray(off)), Buffer.from(tail)]);
          const delta = Uint8Array.from([...varint(base.length), ...varint(target.length), ...copy, ...ins]);
          assert.equal(deltaTargetSize(delta), target.length);
          assert.ok(applyDelta(base, delta).equals(target));
        },
      ),
    );
  });

  it('treats size 0 as 0x10000 and rejects out-of-range copies and base-size mismatches', () => {
    const base = Buffer.alloc(0x10000, 7);
    const d = Uint8Array.from([...varint(base.length), ...varint(0x10000), 0x80]);
    assert.ok(applyDelta(base, d).equals(base));
    assert.throws(() => applyDelta(base.subarray(1), d), { name: 'UpstreamError' });
    const bad = Uint8Array.from([...varint(4), ...varint(8), 0x90, 8]);
    assert.throws(() => applyDelta(Buffer.alloc(4), bad), { name: 'UpstreamError' });
    assert.throws(() => applyDelta(Buffer.alloc(4), Uint8Array.from([4, 1, 0])), { name: 'UpstreamError' });
  });
});

describe('objects', () => {
  it('hashes like git (empty blob) and parses commits with signatures and merge parents', () => {
    assert.equal(hashObject('blob', new Uint8Array()), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const t = 'c'.repeat(40);
    const text = [
      `tree ${t}`,
      `parent ${a}`,
      `parent ${b}`,
      'author A <a@x> 1 +0000',
      'committer C <c@x> 1700000000 -0530',
      'gpgsig -----BEGIN PGP SIGNATURE-----',
      ' committer fake <f@x> 5 +0100',
      ' -----END PGP SIGNATURE-----',
      '',
      'message',
      'committer not a header 9 +0900',
    ].join('\n');
    assert.deepEqual(parseCommit(Buffer.from(text)), {
      tree: t,
      parents: [a, b],
      committerTime: 1_700_000_000,
      committerTz: '-0530',
    });
    assert.throws(() => parseCommit(Buffer.from('tree nope\n\n')), { name: 'UpstreamError' });
    assert.deepEqual(parseTag(Buffer.from(`object ${a}\ntype commit\ntag v1\n\nmsg`)), {
      object: a,
      type: 'commit',
    });
  });

  it('parses tree entries and rejects malformed ones', () => {
    const oid = Buffer.alloc(20, 0xab);
    const tree = Buffer.concat([Buffer.from('100644 a.go\0'), oid, Buffer.from('40000 dir\0'), oid]);
    assert.deepEqual(parseTree(tree), [
      { mode: 0o100644, name: 'a.go', oid: 'ab'.repeat(20) },
      { mode: 0o40000, name: 'dir', oid: 'ab'.repeat(20) },
    ]);
    assert.throws(() => parseTree(Buffer.concat([Buffer.from('100644 ..\0'), oid])), {
      name: 'UpstreamError',
    });
    assert.throws(() => parseTree(Buffer.from('100644 a\0short')), { name: 'UpstreamError' });
  });
});

describe('capabilities, errors, urls', () => {
  it('parses capability tokens, keeping every symref', () => {
    const caps = parseCapTokens(['multi_ack', 'symref=HEAD:refs/heads/main', 'agent=git/x', 'symref=X:Y']);
    assert.equal(caps.get('symref'), 'HEAD:refs/heads/main X:Y');
    assert.equal(caps.get('agent'), 'git/x');
    assert.equal(caps.get('multi_ack'), '');
  });

  it('classifies remote messages and Retry-After forms', () => {
    assert.equal(remoteMessageError('x', 'upload-pack: not our ref abc').name, 'NotFoundError');
    assert.equal(
      remoteMessageError('x', 'Daily ls-remote rate limit exceeded for IP').name,
      'RateLimitedError',
    );
    assert.equal(
      remoteMessageError('x', 'RESOURCE_EXHAUSTED: Resource has been exhausted').name,
      'RateLimitedError',
    );
    assert.equal(remoteMessageError('x', 'something odd').name, 'UpstreamError');
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterFrom({ 'retry-after': '30' }, now), 30);
    assert.equal(retryAfterFrom({ 'retry-after': 'Thu, 01 Jan 2026 00:01:00 GMT' }, now), 60);
    assert.equal(retryAfterFrom({ 'x-ratelimit-reset': String(now / 1000 + 90) }, now), 90);
    assert.equal(retryAfterFrom({}, now), undefined);
  });

  it('redacts credentials and queries from URLs', () => {
    assert.equal(redactUrl('https://user:secret@github.com/o/r.git?x=1'), 'https://github.com/o/r.git');
  });
});

describe('CommitGraph', () => {
  it('answers ancestry, finds heads and round-trips through JSON; rejects bad JSON', () => {
    const [a, b, c, d] = ['1', '2', '3', '4'].map((x) => x.repeat(40)) as [string, string, string, string];
    const g = new CommitGraph();
    g.add(a, { parents: [], time: 1 });
    g.add(b, { parents: [a], time: 2 });
    g.add(c, { parents: [a], time: 3 });
    g.add(d, { parents: [b, c], time: 4 });
    assert.ok(g.isAncestor(a, d) && g.isAncestor(c, d) && g.isAncestor(d, d));
    assert.ok(!g.isAncestor(d, a) && !g.isAncestor(b, c) && !g.isAncestor('f'.repeat(40), d));
    assert.deepEqual(g.heads(), [d]);
    assert.deepEqual(CommitGraph.fromJSON(JSON.parse(JSON.stringify(g))).toJSON(), g.toJSON());
    assert.throws(() => CommitGraph.fromJSON({ version: 2, commits: [] }), TypeError);
    assert.throws(() => CommitGraph.fromJSON({ version: 1, commits: [['xyz', 1]] }), TypeError);
    assert.throws(() => CommitGraph.fromJSON({ version: 1, commits: [[a, 1, 'bad']] }), TypeError);
  });
});
