/**
 * go.mod `retract` directives as the go command applies them when it resolves a revision
 * (spec §2.5 "Retractions"; coderepo.go retractedVersions).
 *
 * - The retractions come from the go.mod of the highest release in the version list (else the
 *   highest prerelease), after the list is cut at its first `+incompatible` entry.
 * - That go.mod is read with modfile.ParseLax and no version fixer. If ParseLax fails, nothing is
 *   retracted. Current x/mod also checks `ignore` directives in lax mode, so a malformed
 *   `ignore a b` disables every retraction (spec §8 item 3; go 1.19 ignored the verb).
 * - In lax mode a retract line whose interval does not parse is skipped, and tokens after the
 *   interval are ignored. Versions are kept as written (ParseLax fixes nothing), and containment
 *   uses semver.Compare, so `v1.1` retracts v1.1.0 and an invalid low bound (`[x, v1.2.0]`)
 *   reaches down to every version.
 *
 * The lexer and the statement/block grammar follow modfile/read.go. Whether the whole file passes
 * ParseLax (the module/go/require/ignore checks) is decided by parseGoModLax in gomod-lax.ts.
 */
import { GoModSyntaxError, parseGoModLax } from './gomod-lax.js';
import { goUnquote, isGoPrint, isGoSpace } from './go-strings.js';
import { compare, prerelease, sortVersions } from './semver.js';

/** One retracted interval [low, high] (a single version v is [v, v]). */
export interface Retraction {
  /** Lower bound as written in go.mod (after unquoting). */
  readonly low: string;
  /** Upper bound as written in go.mod (after unquoting). */
  readonly high: string;
  /** The rationale: the directive's comments without `//`, one line each (modfile Rationale). */
  readonly rationale: string;
}

type Kind = 'eof' | 'nl' | 'comment' | 'eolcomment' | 'punct' | 'word';
interface Token {
  readonly kind: Kind;
  readonly text: string;
}

/** Thrown by the lexer and the parser for what read.go reports as a syntax error. */
class SyntaxError extends Error {}

const PUNCT = '()[]{},';

function isIdentRune(c: string | undefined): boolean {
  if (c === undefined || PUNCT.includes(c)) return false;
  return !isGoSpace(c) && isGoPrint(c);
}

/** read.go lex, run over the whole file. Comments swallow their newline. */
function lex(src: string): Token[] {
  const rs = Array.from(src);
  const out: Token[] = [];
  let i = 0;
  const at = (s: string): boolean => rs[i] === s[0] && rs[i + 1] === s[1];
  for (;;) {
    while (i < rs.length && (rs[i] === ' ' || rs[i] === '\t' || rs[i] === '\r')) i++;
    if (i >= rs.length) {
      out.push({ kind: 'eof', text: '' });
      return out;
    }
    const start = i;
    if (at('//')) {
      // A comment alone on its line is a top-level comment; after other text, a suffix comment.
      let j = start - 1;
      while (j >= 0 && rs[j] !== '\n' && isGoSpace(rs[j] ?? '')) j--;
      const alone = j < 0 || rs[j] === '\n';
      while (i < rs.length && rs[i++] !== '\n') {
        /* through the newline */
      }
      const text = rs
        .slice(start, i)
        .join('')
        .replace(/\r?\n$/, '');
      out.push({ kind: alone ? 'comment' : 'eolcomment', text });
      continue;
    }
    if (at('/*')) throw new SyntaxError('mod files must use // comments, not /* */ comments');
    const c = rs[i] ?? '';
    if (c === '\n' || PUNCT.includes(c)) {
      i++;
      out.push({ kind: c === '\n' ? 'nl' : 'punct', text: c });
      continue;
    }
    if (c === '"' || c === '`') {
      i++;
      for (;;) {
        const r = rs[i++];
        if (r === undefined) throw new SyntaxError('unexpected EOF in string');
        if (r === '\n') throw new SyntaxError('unexpected newline in string');
        if (r === c) break;
        if (r === '\\' && c === '"') {
          if (i >= rs.length) throw new SyntaxError('unexpected EOF in string');
          i++;
        }
      }
      out.push({ kind: 'word', text: rs.slice(start, i).join('') });
      continue;
    }
    if (!isIdentRune(c)) throw new SyntaxError(`unexpected input character ${JSON.stringify(c)}`);
    while (isIdentRune(rs[i])) {
      if (at('//')) break;
      if (at('/*')) throw new SyntaxError('mod files must use // comments, not /* */ comments');
      i++;
    }
    out.push({ kind: 'word', text: rs.slice(start, i).join('') });
  }
}

interface Line {
  readonly tokens: string[];
  /** Full-line comments directly above (read.go Comments.Before). */
  readonly before: string[];
  /** The comment at the end of the line (Comments.Suffix). */
  readonly suffix: string[];
}

interface Stmt extends Line {
  /** The lines of a `verb (` block; undefined for a plain line. */
  readonly block?: Line[];
}

const isEol = (t: Token): boolean => t.kind === 'eof' || t.kind === 'nl' || t.kind === 'eolcomment';
const isPunct = (t: Token, c: string): boolean => t.kind === 'punct' && t.text === c;

/** read.go parseFile / parseStmt / parseLineBlock / parseLine, keeping tokens and comments. */
function parse(toks: readonly Token[]): Stmt[] {
  let p = 0;
  const eof: Token = { kind: 'eof', text: '' };
  const peek = (): Token => toks[p] ?? eof;
  const next = (): Token => toks[p++] ?? eof;
  /** Consumes the end of a line; a suffix comment is returned. */
  const endLine = (): string[] => {
    const t = next();
    return t.kind === 'eolcomment' ? [t.text] : [];
  };
  const stmts: Stmt[] = [];
  let pending: string[] = [];
  for (;;) {
    const t = peek();
    if (t.kind === 'eof') return stmts;
    if (t.kind === 'nl') {
      // A blank line detaches the comments above it.
      next();
      pending = [];
      continue;
    }
    if (t.kind === 'comment') {
      pending.push(next().text);
      continue;
    }
    const before = pending;
    pending = [];
    // The first token is never a block's `(`: a line `(` is a one-token statement.
    const tokens: string[] = [next().text];
    for (;;) {
      const tok = peek();
      if (isEol(tok)) {
        stmts.push({ tokens, before, suffix: endLine() });
        break;
      }
      next();
      if (isPunct(tok, '(')) {
        if (isEol(peek())) {
          stmts.push({ tokens, before, suffix: [], block: parseBlock() });
          break;
        }
        if (isPunct(peek(), ')')) {
          next();
          if (isEol(peek())) {
            endLine();
            stmts.push({ tokens, before, suffix: [], block: [] });
            break;
          }
          tokens.push('(', ')');
          continue;
        }
      }
      tokens.push(tok.text);
    }
  }

  function parseBlock(): Line[] {
    const lines: Line[] = [];
    let comments: string[] = [];
    for (;;) {
      const t = peek();
      if (t.kind === 'eolcomment' || t.kind === 'nl') {
        // The `(` line's own comment, or a blank line.
        next();
        continue;
      }
      if (t.kind === 'comment') {
        comments.push(next().text);
        continue;
      }
      if (t.kind === 'eof') throw new SyntaxError('syntax error (unterminated block)');
      if (isPunct(t, ')')) {
        next();
        if (!isEol(peek())) throw new SyntaxError('syntax error (expected newline after closing paren)');
        next();
        return lines;
      }
      const tokens: string[] = [];
      while (!isEol(peek())) tokens.push(next().text);
      lines.push({ tokens, before: comments, suffix: endLine() });
      comments = [];
    }
  }
}

/** modfile parseString: unquotes `"…"`; null where it fails (other quotes are not allowed). */
function parseString(s: string): string | null {
  if (s.startsWith('"')) return goUnquote(s);
  return /["'`]/.test(s) ? null : s;
}

/** rule.go parseVersionInterval with the no-op fixer; null where it reports an error. */
function parseInterval(args: readonly string[]): { low: string; high: string } | null {
  const [first, low, comma, high, close] = args;
  if (first === undefined || first === '(') return null;
  if (first !== '[') {
    const v = parseString(first);
    return v === null ? null : { low: v, high: v };
  }
  if (low === undefined || comma !== ',' || high === undefined || close !== ']') return null;
  const lo = parseString(low);
  const hi = parseString(high);
  return lo === null || hi === null ? null : { low: lo, high: hi };
}

/** rule.go parseDirectiveComment. */
function rationaleOf(line: Line, block: Line | null): string {
  let src: Line = line;
  if (block !== null && line.before.length === 0 && line.suffix.length === 0) src = block;
  return [...src.before, ...src.suffix]
    .filter((c) => c.startsWith('//'))
    .map((c) => c.slice(2).trim())
    .join('\n');
}

/**
 * The retractions of a go.mod as cmd/go reads them from the highest release: ParseLax with no
 * version fixer. Returns null when ParseLax fails (cmd/go then treats nothing as retracted).
 */
export function parseRetractions(goMod: Uint8Array): Retraction[] | null {
  let stmts: Stmt[];
  try {
    // ignoreBOM: Go does not skip a byte order mark (U+FEFF is not printable: a syntax error).
    stmts = parse(lex(new TextDecoder('utf-8', { ignoreBOM: true }).decode(goMod)));
    parseGoModLax(goMod);
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof GoModSyntaxError) return null;
    throw err;
  }
  const out: Retraction[] = [];
  const add = (line: Line, args: readonly string[], block: Line | null): void => {
    const vi = parseInterval(args);
    if (vi !== null) out.push({ ...vi, rationale: rationaleOf(line, block) });
  };
  for (const st of stmts) {
    if (st.tokens[0] !== 'retract') continue;
    if (st.block === undefined) add(st, st.tokens.slice(1), null);
    else if (st.tokens.length === 1) for (const line of st.block) add(line, line.tokens, st);
  }
  return out;
}

/** Whether `version` lies in one of the intervals (semver.Compare, so build metadata is ignored). */
export function isRetracted(version: string, retractions: readonly Retraction[]): boolean {
  return retractions.some((r) => compare(r.low, version) <= 0 && compare(version, r.high) <= 0);
}

/**
 * The version whose go.mod holds the retractions: the list (as `@v/list` gives it) is sorted and
 * cut at its first `+incompatible` entry; then the highest release, else the highest prerelease.
 * null for an empty list.
 */
export function retractionSource(versions: readonly string[]): string | null {
  const sorted = sortVersions(versions);
  const cut = sorted.findIndex((v) => v.endsWith('+incompatible'));
  const usable = cut < 0 ? sorted : sorted.slice(0, cut);
  for (let i = usable.length - 1; i >= 0; i--) {
    const v = usable[i] as string;
    if (prerelease(v) === '') return v;
  }
  return usable[usable.length - 1] ?? null;
}
