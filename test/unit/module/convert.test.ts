/**
 * git archive's content conversions as the go command runs it (spec §5.1, §7.66–§7.70): the
 * eol decision table, git's text/binary heuristic, LF→CRLF and ident, all streaming.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InternalError, InvalidModuleError } from '../../../src/errors.js';
import {
  convertBlob,
  gatherStats,
  isBinary,
  lfToCrlf,
  planConversion,
  willConvertToCrlf,
} from '../../../src/module/convert.js';
import type { ConversionPlan } from '../../../src/module/convert.js';
import type { AttrValue } from '../../../src/module/gitattributes.js';
import { expandIdent } from '../../../src/module/ident.js';
import { asyncChunks, collect } from './streams.js';

const plan = (a: Record<string, AttrValue>): ConversionPlan =>
  planConversion('f', new Map(Object.entries(a)));

function blob(content: string | Uint8Array, chunkSize = 0) {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'latin1') : Buffer.from(content);
  const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  const parts: Uint8Array[] = [];
  if (chunkSize > 0)
    for (let i = 0; i < bytes.length; i += chunkSize) parts.push(bytes.subarray(i, i + chunkSize));
  else parts.push(bytes);
  return { oid, size: bytes.length, open: () => asyncChunks(...parts) };
}

async function convert(
  a: Record<string, AttrValue>,
  content: string | Uint8Array,
  chunk = 0,
): Promise<string> {
  const b = blob(content, chunk);
  const out = await convertBlob(plan(a), b);
  const bytes = await collect(out.open());
  assert.equal(out.size, bytes.length, 'declared size matches the bytes');
  return bytes.toString('latin1');
}

describe('conversion plan (convert_attrs with autocrlf=input, eol=lf)', () => {
  it('§7.68 eol=crlf without text converts, -text eol=crlf does not', () => {
    assert.deepEqual(plan({ eol: 'crlf' }), { ident: false, eol: 'crlf' });
    assert.deepEqual(plan({ text: false, eol: 'crlf' }), { ident: false, eol: 'none' });
    assert.deepEqual(plan({ text: true, eol: 'crlf' }), { ident: false, eol: 'crlf' });
    assert.deepEqual(plan({ text: 'auto', eol: 'crlf' }), { ident: false, eol: 'auto-crlf' });
    assert.deepEqual(plan({ text: 'input', eol: 'crlf' }), { ident: false, eol: 'crlf' });
  });

  it('§7.69 text, text=auto, crlf, eol=lf without eol=crlf keep the raw bytes', () => {
    const cases: Record<string, AttrValue>[] = [
      { text: true },
      { text: 'auto' },
      { crlf: true },
      { eol: 'lf' },
      { text: true, eol: 'lf' },
      {},
    ];
    for (const a of cases) {
      assert.equal(plan(a).eol, 'none', JSON.stringify(a));
    }
  });

  it('legacy crlf attribute stands in for an unspecified or unknown text value', () => {
    assert.equal(plan({ crlf: false, eol: 'crlf' }).eol, 'none');
    assert.equal(plan({ text: 'bogus', crlf: false, eol: 'crlf' }).eol, 'none');
    assert.equal(plan({ crlf: 'auto', eol: 'crlf' }).eol, 'auto-crlf');
    assert.equal(plan({ text: true, crlf: false, eol: 'crlf' }).eol, 'crlf');
    assert.equal(plan({ eol: 'CRLF' }).eol, 'none', 'values are case-sensitive');
  });

  it('ident only when set', () => {
    assert.equal(plan({ ident: true }).ident, true);
    assert.equal(plan({ ident: 'yes' }).ident, false);
  });

  it('working-tree-encoding: true/false fail like git; a real encoding is refused; UTF-8 is a no-op', () => {
    assert.throws(() => plan({ 'working-tree-encoding': true }), InvalidModuleError);
    assert.throws(() => plan({ 'working-tree-encoding': 'UTF-16' }), InternalError);
    assert.deepEqual(plan({ 'working-tree-encoding': 'utf-8' }), { ident: false, eol: 'none' });
    assert.deepEqual(plan({ 'working-tree-encoding': 'UTF8' }), { ident: false, eol: 'none' });
  });
});

describe('text statistics (gather_stats, convert_is_binary)', () => {
  it('counts CRLF pairs across chunk boundaries, lone CR, lone LF, NUL, printable', async () => {
    const s = await gatherStats(asyncChunks('a\r', '\nb\rc\n\0', '\x1b\t\x7f'));
    assert.deepEqual(
      {
        crlf: s.crlf,
        loneCr: s.loneCr,
        loneLf: s.loneLf,
        nul: s.nul,
        printable: s.printable,
        np: s.nonPrintable,
      },
      { crlf: 1, loneCr: 1, loneLf: 1, nul: 1, printable: 5, np: 2 },
    );
    assert.equal(s.size, 11);
  });

  it('binary if (printable >> 7) < nonprintable; a final ^Z is not counted', async () => {
    assert.equal(isBinary(await gatherStats(asyncChunks('a\x01\n'))), true);
    assert.equal(isBinary(await gatherStats(asyncChunks(`${'a'.repeat(128)}\x01\n`))), false);
    assert.equal(isBinary(await gatherStats(asyncChunks('text\n\x1a'))), false);
    assert.equal(isBinary(await gatherStats(asyncChunks('te\x1axt\n'))), true);
  });

  it('auto-crlf converts only text with naked LF and no CR', async () => {
    const st = (s: string) => gatherStats(asyncChunks(s));
    assert.equal(willConvertToCrlf('auto-crlf', await st('p\nq\n')), true);
    assert.equal(willConvertToCrlf('auto-crlf', await st('x\r\ny\n')), false);
    assert.equal(willConvertToCrlf('auto-crlf', await st('x\ry\n')), false);
    assert.equal(willConvertToCrlf('crlf', await st('x\r\ny\n')), true);
    assert.equal(willConvertToCrlf('crlf', await st('')), false);
  });
});

describe('conversions', () => {
  it('§6 example D / LF→CRLF, keeping existing CRLF, across chunk boundaries', async () => {
    assert.equal(await convert({ eol: 'crlf' }, 'a\nb\n'), 'a\r\nb\r\n');
    assert.equal(await convert({ eol: 'crlf' }, 'a\r\nb\nc\rd\n', 1), 'a\r\nb\r\nc\rd\r\n');
    assert.equal(await convert({ eol: 'crlf' }, '\n\n', 1), '\r\n\r\n');
    const out = await collect(lfToCrlf(asyncChunks('x\r', '\ny', '\n')));
    assert.equal(out.toString(), 'x\r\ny\r\n');
  });

  it('§7.67 text=auto eol=crlf: p\\nq\\n converted; x\\r\\ny\\n and NUL data unchanged', async () => {
    const a = { text: 'auto', eol: 'crlf' };
    assert.equal(await convert(a, 'p\nq\n'), 'p\r\nq\r\n');
    assert.equal(await convert(a, 'x\r\ny\n'), 'x\r\ny\n');
    assert.equal(await convert(a, 'a\n\0b\n'), 'a\n\0b\n');
    assert.equal(await convert(a, ''), '');
  });

  it('§7.68 eol=crlf converts binary data too', async () => {
    assert.equal(await convert({ eol: 'crlf' }, '\0\n\xff\n'), '\0\r\n\xff\r\n');
    assert.equal(await convert({ text: false, eol: 'crlf' }, '\0\n\xff\n'), '\0\n\xff\n');
  });

  it('§7.70 ident: $Id$ → $Id: <blob sha1> $', async () => {
    const content = 'a $Id$ b\n';
    const oid = blob(content).oid;
    assert.equal(await convert({ ident: true }, content), `a $Id: ${oid} $ b\n`);
  });

  it('ident keeps foreign ids, ids spanning lines, and unterminated keywords; re-expands git ids', async () => {
    const cases: [string, (oid: string) => string][] = [
      ['$Id: old $', (o) => `$Id: ${o} $`],
      ['$Id:old$', (o) => `$Id: ${o} $`],
      ['$Id:$', (o) => `$Id: ${o} $`],
      ['$Id: a b $', () => '$Id: a b $'],
      ['$Id: a b $Id$', (o) => `$Id: a b $Id: ${o} $`],
      ['$Id:x\ny$', () => '$Id:x\ny$'],
      ['$Id: no end', () => '$Id: no end'],
      ['$Id', () => '$Id'],
      ['$$Id$$', (o) => `$$Id: ${o} $$`],
      ['no keyword', () => 'no keyword'],
      ['$Idx$', () => '$Idx$'],
    ];
    for (const [input, want] of cases) {
      const oid = blob(input).oid;
      for (const chunk of [0, 1, 2, 3]) {
        const got = (await collect(expandIdent(blob(input, chunk).open(), oid))).toString('latin1');
        assert.equal(got, want(oid), `${JSON.stringify(input)} in chunks of ${chunk}`);
      }
    }
  });

  it('ident runs before eol: the CRLF decision sees the expanded text', async () => {
    const content = '$Id$\n';
    const oid = blob(content).oid;
    assert.equal(await convert({ ident: true, eol: 'crlf' }, content, 2), `$Id: ${oid} $\r\n`);
  });

  it('a raw plan does not read the blob to measure it', async () => {
    let opened = 0;
    const b = {
      oid: '0'.repeat(40),
      size: 3,
      open: () => {
        opened++;
        return asyncChunks('abc');
      },
    };
    const out = await convertBlob(plan({ text: true }), b);
    assert.equal(opened, 0);
    assert.equal(out.size, 3);
    assert.equal(out.converted, false);
  });

  it('chunking never changes stats or LF→CRLF output (property, against a one-pass reference)', async () => {
    const byte = fc.constantFrom(0x0a, 0x0d, 0x00, 0x01, 0x1a, 0x09, 0x7f, 0x61, 0xff);
    await fc.assert(
      fc.asyncProperty(
        fc.array(byte, { maxLength: 40 }),
        fc.array(fc.nat(40), { maxLength: 6 }),
        async (bytes, cuts) => {
          const data = Uint8Array.from(bytes);
          const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort((a, b) => a - b);
          const parts: Uint8Array[] = [];
          let from = 0;
          for (const p of [...points, data.length]) {
            parts.push(data.subarray(from, p));
            from = p;
          }
          // Reference: git's gather_stats and crlf_to_worktree over the whole buffer.
          const ref = {
            nul: 0,
            loneCr: 0,
            loneLf: 0,
            crlf: 0,
            printable: 0,
            nonPrintable: 0,
            size: data.length,
          };
          let out = '';
          for (let i = 0; i < data.length; i++) {
            const c = data[i] ?? 0;
            if (c === 0x0a && (i === 0 || data[i - 1] !== 0x0d)) out += '\r';
            out += String.fromCharCode(c);
            if (c === 0x0d) {
              if (data[i + 1] === 0x0a) {
                ref.crlf++;
                out += '\n';
                i++;
              } else ref.loneCr++;
            } else if (c === 0x0a) ref.loneLf++;
            else if (c === 0x7f) ref.nonPrintable++;
            else if (c < 0x20) {
              if ([0x08, 0x09, 0x1b, 0x0c].includes(c)) ref.printable++;
              else {
                if (c === 0) ref.nul++;
                ref.nonPrintable++;
              }
            } else ref.printable++;
          }
          if (data.length > 0 && data[data.length - 1] === 0x1a) ref.nonPrintable--;
          assert.deepEqual(await gatherStats(asyncChunks(...parts)), ref);
          assert.equal((await collect(lfToCrlf(asyncChunks(...parts)))).toString('latin1'), out);
        },
      ),
      { numRuns: 300 },
    );
  });
});
