/**
 * Small pieces of Go's string handling that go.mod rules depend on: unicode.IsSpace,
 * unicode.IsPrint, bytes.TrimSpace, strconv.Unquote (double-quoted and raw forms) and
 * modfile.AutoQuote / MustQuote.
 */
import { goQuote } from './check-path.js';

const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
const GO_PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** unicode.IsSpace for one code point. */
export function isGoSpace(c: string): boolean {
  return GO_SPACE.test(c);
}

/** unicode.IsPrint for one code point (ASCII space is the only printable space). */
export function isGoPrint(c: string): boolean {
  return GO_PRINT.test(c);
}

/** strings.TrimSpace / bytes.TrimSpace (Go's white space set, not JavaScript's). */
export function goTrimSpace(s: string): string {
  const cps = Array.from(s);
  let a = 0;
  let b = cps.length;
  while (a < b && isGoSpace(cps[a] ?? '')) a++;
  while (b > a && isGoSpace(cps[b - 1] ?? '')) b--;
  return cps.slice(a, b).join('');
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

/**
 * strconv.Unquote for a double-quoted or back-quoted string; null where Go returns an error.
 * Byte escapes (`\xNN`, octal) above 0x7f produce U+FFFD here (Go would produce a raw byte).
 */
export function goUnquote(s: string): string | null {
  if (s.length < 2) return null;
  const q = s[0];
  if (q !== s[s.length - 1]) return null;
  const body = s.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) return null;
    return body.replaceAll('\r', '');
  }
  if (q !== '"' || body.includes('\n')) return null;
  let out = '';
  const cps = Array.from(body);
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] ?? '';
    if (c === '"') return null;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = cps[++i];
    if (e === undefined) return null;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const digits = cps.slice(i + 1, i + 1 + hexLen).join('');
      if (!new RegExp(`^[0-9A-Fa-f]{${hexLen}}$`).test(digits)) return null;
      i += hexLen;
      const v = parseInt(digits, 16);
      if (e === 'x') {
        out += v < 0x80 ? String.fromCharCode(v) : '\uFFFD';
      } else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return null;
        out += String.fromCodePoint(v);
      }
      continue;
    }
    if (e >= '0' && e <= '7') {
      const digits = e + cps.slice(i + 1, i + 3).join('');
      if (!/^[0-7]{3}$/.test(digits)) return null;
      const v = parseInt(digits, 8);
      if (v > 255) return null;
      i += 2;
      out += v < 0x80 ? String.fromCharCode(v) : '\uFFFD';
      continue;
    }
    return null;
  }
  return out;
}

/** modfile.MustQuote: whether a go.mod token needs quoting. */
export function mustQuote(s: string): boolean {
  for (const c of s) {
    if (c === ' ' || c === '"' || c === "'" || c === '`') return true;
    if ('()[]{},'.includes(c)) {
      if (s.length > 1) return true;
      continue;
    }
    if (!isGoPrint(c)) return true;
  }
  return s === '' || s.includes('//') || s.includes('/*');
}

/** modfile.AutoQuote: `s`, or its Go-quoted form when it must be quoted. */
export function autoQuote(s: string): string {
  return mustQuote(s) ? goQuote(s) : s;
}
