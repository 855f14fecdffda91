/**
 * The content conversions `git archive` applies to a regular file as the go command runs it
 * (`-c core.autocrlf=input -c core.eol=lf`), spec §5.1: `ident`, then end-of-line conversion, then
 * working-tree-encoding (refused), then filters (no driver configured: nothing).
 *
 * Everything streams: a conversion that needs a decision over the whole blob (text=auto) reads the
 * blob once to decide and once more to produce, so nothing but a few bytes of lookahead (and, for
 * `ident`, at most one line) is held in memory.
 */
import { InternalError, InvalidModuleError } from '../errors.js';
import type { AttrValue } from './gitattributes.js';
import { expandIdent } from './ident.js';

/** What to do with one file's bytes. */
export interface ConversionPlan {
  /** Expand `$Id$` to `$Id: <blob sha1> $`. */
  readonly ident: boolean;
  /**
   * `crlf`: every LF not preceded by CR becomes CRLF. `auto-crlf`: the same, but only when git's
   * text=auto heuristic says so (naked LF present, no CR, no NUL, not binary). `none`: raw.
   */
  readonly eol: 'none' | 'crlf' | 'auto-crlf';
}

export const RAW_PLAN: ConversionPlan = { ident: false, eol: 'none' };

type CrlfAction = 'binary' | 'text' | 'input' | 'auto' | 'undefined';

function checkCrlf(value: AttrValue | undefined): CrlfAction {
  if (value === true) return 'text';
  if (value === false) return 'binary';
  if (value === 'input') return 'input';
  if (value === 'auto') return 'auto';
  return 'undefined';
}

/**
 * Decides the conversion from a file's attributes (git convert.c convert_attrs, with
 * core.autocrlf=input and core.eol=lf). Throws for working-tree-encoding, which stoa does not
 * implement: `true`/`false` make git fail (InvalidModuleError), a real encoding would need iconv
 * (InternalError, a 5xx, rather than a guess).
 */
export function planConversion(path: string, attrs: ReadonlyMap<string, AttrValue>): ConversionPlan {
  let action = checkCrlf(attrs.get('text'));
  if (action === 'undefined') action = checkCrlf(attrs.get('crlf'));
  const eolAttr = attrs.get('eol');
  let eol: ConversionPlan['eol'] = 'none';
  if (action !== 'binary' && eolAttr === 'crlf') eol = action === 'auto' ? 'auto-crlf' : 'crlf';

  const enc = attrs.get('working-tree-encoding');
  if (enc === true || enc === false) {
    throw new InvalidModuleError(`${path}: true/false are no valid working-tree-encodings`);
  }
  if (typeof enc === 'string' && enc !== '' && !isUtf8Name(enc)) {
    throw new InternalError(`${path}: working-tree-encoding=${enc} is not supported`);
  }
  return { ident: attrs.get('ident') === true, eol };
}

function isUtf8Name(enc: string): boolean {
  const e = enc.toLowerCase();
  return e === 'utf-8' || e === 'utf8';
}

/** Returns true when the plan cannot change the bytes. */
export function isRawPlan(plan: ConversionPlan): boolean {
  return !plan.ident && plan.eol === 'none';
}

/** git's gather_stats over a stream (convert.c). */
export interface TextStats {
  nul: number;
  loneCr: number;
  loneLf: number;
  crlf: number;
  printable: number;
  nonPrintable: number;
  size: number;
}

/** Byte classes for gather_stats: 0 printable, 1 non-printable, 2 NUL, 3 CR, 4 LF. */
const BYTE_CLASS = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 32; c++) t[c] = 1;
  t[0x7f] = 1;
  for (const c of [0x08, 0x09, 0x1b, 0x0c]) t[c] = 0;
  t[0] = 2;
  t[0x0d] = 3;
  t[0x0a] = 4;
  return t;
})();

export async function gatherStats(source: AsyncIterable<Uint8Array>): Promise<TextStats> {
  const s: TextStats = { nul: 0, loneCr: 0, loneLf: 0, crlf: 0, printable: 0, nonPrintable: 0, size: 0 };
  let pendingCr = false;
  let last = -1;
  for await (const chunk of source) {
    const n = chunk.length;
    if (n === 0) continue;
    // `other` counts the bytes that are not printable: CR, LF, NUL and other controls.
    let other = 0;
    let i = 0;
    if (pendingCr) {
      pendingCr = false;
      if (chunk[0] === 0x0a) {
        s.crlf++;
        other++;
        i = 1;
      } else {
        s.loneCr++;
      }
    }
    for (; i < n; i++) {
      const k = BYTE_CLASS[chunk[i] ?? 0] ?? 0;
      if (k === 0) continue;
      other++;
      if (k === 1) {
        s.nonPrintable++;
      } else if (k === 2) {
        s.nul++;
        s.nonPrintable++;
      } else if (k === 4) {
        s.loneLf++;
      } else if (i + 1 === n) {
        pendingCr = true;
      } else if (chunk[i + 1] === 0x0a) {
        s.crlf++;
        other++;
        i++;
      } else {
        s.loneCr++;
      }
    }
    s.printable += n - other;
    last = chunk[n - 1] ?? -1;
    s.size += n;
  }
  if (pendingCr) s.loneCr++;
  // A final Ctrl-Z (old DOS EOF) is not counted as non-printable.
  if (last === 0x1a) s.nonPrintable--;
  return s;
}

/** git's convert_is_binary. */
export function isBinary(s: TextStats): boolean {
  return s.loneCr > 0 || s.nul > 0 || s.printable >> 7 < s.nonPrintable;
}

/** Whether LF→CRLF happens for these stats (will_convert_lf_to_crlf). */
export function willConvertToCrlf(eol: ConversionPlan['eol'], s: TextStats): boolean {
  if (eol === 'none' || s.size === 0 || s.loneLf === 0) return false;
  if (eol === 'auto-crlf' && (s.loneCr > 0 || s.crlf > 0 || isBinary(s))) return false;
  return true;
}

/** Every LF not preceded by CR becomes CRLF. */
export async function* lfToCrlf(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  let prevCr = false;
  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    const naked = (i: number): boolean => (i === 0 ? !prevCr : chunk[i - 1] !== 0x0d);
    let extra = 0;
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) if (naked(i)) extra++;
    if (extra === 0) {
      prevCr = chunk[chunk.length - 1] === 0x0d;
      yield chunk;
      continue;
    }
    const out = new Uint8Array(chunk.length + extra);
    let o = 0;
    let from = 0;
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
      if (!naked(i)) continue;
      out.set(chunk.subarray(from, i), o);
      o += i - from;
      out[o++] = 0x0d;
      from = i;
    }
    out.set(chunk.subarray(from), o);
    prevCr = chunk[chunk.length - 1] === 0x0d;
    yield out;
  }
}

/** A blob as the tree gives it. */
export interface BlobSource {
  /** Git object id of the raw blob (what `ident` writes). */
  readonly oid: string;
  readonly size: number;
  open(): AsyncIterable<Uint8Array>;
}

/** The bytes `git archive` would write for a file: exact size, and a producer. */
export interface ConvertedFile {
  readonly size: number;
  /** Whether the bytes differ from the raw blob (or may: ident that found nothing still counts). */
  readonly converted: boolean;
  open(): AsyncIterable<Uint8Array>;
}

/**
 * Applies `plan` to `blob`. When the plan can change the bytes, the blob is read once here to
 * measure the result (and, for eol conversion, to take git's decision); `open()` then reads it again.
 */
export async function convertBlob(plan: ConversionPlan, blob: BlobSource): Promise<ConvertedFile> {
  if (isRawPlan(plan)) return { size: blob.size, converted: false, open: () => blob.open() };
  const stage1 = (): AsyncIterable<Uint8Array> =>
    plan.ident ? expandIdent(blob.open(), blob.oid) : blob.open();
  const stats = await gatherStats(stage1());
  if (willConvertToCrlf(plan.eol, stats)) {
    return { size: stats.size + stats.loneLf, converted: true, open: () => lfToCrlf(stage1()) };
  }
  if (!plan.ident) return { size: blob.size, converted: false, open: () => blob.open() };
  return { size: stats.size, converted: true, open: stage1 };
}
