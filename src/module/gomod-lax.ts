/**
 * golang.org/x/mod/modfile ParseLax, reduced to what stoa needs: whether a dependency's go.mod
 * parses, and its `module` and `go` directives. The lexer and the statement/block grammar follow
 * modfile/read.go; in lax mode only the `module`, `go`, `require`, `retract` and `ignore` verbs are
 * interpreted (retract errors are ignored in lax mode), everything else is skipped, as in
 * modfile/rule.go. Used for the vendor rule of the zip (spec §5.3: a go.mod that fails lax parsing
 * means "no go version").
 */
import { canonicalVersion } from './semver.js';
import { checkPathMajor, splitPathVersion } from './check-path.js';
import { goUnquote, isGoPrint, isGoSpace } from './go-strings.js';

export class GoModSyntaxError extends Error {}

export interface LaxGoMod {
  /** The module path (unquoted), or null without a module directive. */
  readonly module: string | null;
  /** The go directive's version (after the lax fix-up, e.g. `1.24` for `1.24-x`), or null. */
  readonly go: string | null;
}

type Kind = 'eof' | 'nl' | 'comment' | 'eolcomment' | 'punct' | 'string' | 'ident';
interface Token {
  kind: Kind;
  text: string;
}

function isIdentRune(c: string | undefined): boolean {
  if (c === undefined) return false;
  if (' ()[]{},'.includes(c)) return false;
  return !isGoSpace(c) && isGoPrint(c);
}

function lexAll(src: string): Token[] {
  const runes = Array.from(src);
  const toks: Token[] = [];
  let i = 0;
  const peekPrefix = (s: string): boolean => runes.slice(i, i + s.length).join('') === s;
  const lineStartIsBlank = (): boolean => {
    let j = i - 1;
    while (j >= 0 && runes[j] !== '\n') {
      if (!isGoSpace(runes[j] ?? '')) return false;
      j--;
    }
    return true;
  };
  for (;;) {
    while (i < runes.length) {
      const c = runes[i];
      if (c === ' ' || c === '\t' || c === '\r') {
        i++;
        continue;
      }
      if (peekPrefix('//')) {
        const topLevel = lineStartIsBlank();
        const start = i;
        while (i < runes.length && runes[i++] !== '\n') {
          /* consume through the newline */
        }
        toks.push({ kind: topLevel ? 'comment' : 'eolcomment', text: runes.slice(start, i).join('') });
        continue;
      }
      if (peekPrefix('/*')) throw new GoModSyntaxError('mod files must use // comments, not /* */ comments');
      break;
    }
    if (i >= runes.length) {
      toks.push({ kind: 'eof', text: '' });
      return toks;
    }
    const c = runes[i] ?? '';
    if (c === '\n') {
      i++;
      toks.push({ kind: 'nl', text: '\n' });
      continue;
    }
    if ('()[]{},'.includes(c)) {
      i++;
      toks.push({ kind: 'punct', text: c });
      continue;
    }
    if (c === '"' || c === '`') {
      const start = i++;
      for (;;) {
        if (i >= runes.length) throw new GoModSyntaxError('unexpected EOF in string');
        if (runes[i] === '\n') throw new GoModSyntaxError('unexpected newline in string');
        const r = runes[i++];
        if (r === c) break;
        if (r === '\\' && c !== '`') {
          if (i >= runes.length) throw new GoModSyntaxError('unexpected EOF in string');
          i++;
        }
      }
      toks.push({ kind: 'string', text: runes.slice(start, i).join('') });
      continue;
    }
    if (!isIdentRune(c)) throw new GoModSyntaxError(`unexpected input character ${JSON.stringify(c)}`);
    const start = i;
    while (isIdentRune(runes[i])) {
      if (peekPrefix('//')) break;
      if (peekPrefix('/*')) throw new GoModSyntaxError('mod files must use // comments, not /* */ comments');
      i++;
    }
    toks.push({ kind: 'ident', text: runes.slice(start, i).join('') });
  }
}

const isEol = (t: Token | undefined): boolean =>
  t === undefined || t.kind === 'eof' || t.kind === 'nl' || t.kind === 'eolcomment';

interface Stmt {
  /** Verb and arguments of a line; for a block, the tokens before `(`. */
  tokens: string[];
  /** Lines of a block (undefined for a plain line). */
  block?: string[][];
}

function parseStatements(toks: Token[]): Stmt[] {
  let p = 0;
  const stmts: Stmt[] = [];
  const next = (): Token => toks[p++] ?? { kind: 'eof', text: '' };
  const peek = (): Token => toks[p] ?? { kind: 'eof', text: '' };
  const isPunct = (t: Token, c: string): boolean => t.kind === 'punct' && t.text === c;
  for (;;) {
    const t = peek();
    if (t.kind === 'eof') return stmts;
    if (t.kind === 'nl' || t.kind === 'comment' || t.kind === 'eolcomment') {
      next();
      continue;
    }
    // A statement: tokens up to the end of the line, or `verb... (` starting a block.
    const tokens = [next().text];
    for (;;) {
      const tok = next();
      if (isEol(tok)) {
        stmts.push({ tokens });
        break;
      }
      if (isPunct(tok, '(')) {
        if (isEol(peek())) {
          stmts.push({ tokens, block: parseBlock() });
          break;
        }
        if (isPunct(peek(), ')')) {
          const rparen = next();
          if (isEol(peek())) {
            next();
            stmts.push({ tokens, block: [] });
            break;
          }
          tokens.push(tok.text, rparen.text);
          continue;
        }
      }
      tokens.push(tok.text);
    }
  }

  function parseBlock(): string[][] {
    const lines: string[][] = [];
    for (;;) {
      const t = peek();
      if (t.kind === 'eolcomment' || t.kind === 'nl' || t.kind === 'comment') {
        next();
        continue;
      }
      if (t.kind === 'eof') throw new GoModSyntaxError('syntax error (unterminated block)');
      if (isPunct(t, ')')) {
        next();
        if (!isEol(peek())) throw new GoModSyntaxError('syntax error (expected newline after closing paren)');
        next();
        return lines;
      }
      const line = [next().text];
      for (;;) {
        const tok = next();
        if (isEol(tok)) break;
        line.push(tok.text);
      }
      lines.push(line);
    }
  }
}

/** modfile parseString: a quoted string is unquoted; other quotes are refused. */
function parseString(s: string): string {
  if (s.startsWith('"')) {
    const u = goUnquote(s);
    if (u === null) throw new GoModSyntaxError('invalid quoted string: invalid syntax');
    return u;
  }
  if (/["'`]/.test(s))
    throw new GoModSyntaxError('invalid quoted string: unquoted string cannot contain quote');
  return s;
}

const GO_VERSION_RE = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$/;
const LAX_GO_VERSION_RE = /^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)$/s;

/** Parses a dependency's go.mod as ParseLax does; throws GoModSyntaxError where ParseLax fails. */
export function parseGoModLax(data: Uint8Array): LaxGoMod {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(data);
  const stmts = parseStatements(lexAll(text));
  let mod: string | null = null;
  let go: string | null = null;
  let seenModule = false;
  const add = (verb: string, args: string[]): void => {
    switch (verb) {
      case 'module': {
        if (seenModule) throw new GoModSyntaxError('repeated module statement');
        seenModule = true;
        if (args.length !== 1) throw new GoModSyntaxError('usage: module module/path');
        mod = parseString(args[0] ?? '');
        return;
      }
      case 'go': {
        if (go !== null) throw new GoModSyntaxError('repeated go statement');
        if (args.length !== 1) throw new GoModSyntaxError('go directive expects exactly one argument');
        let v = args[0] ?? '';
        if (!GO_VERSION_RE.test(v)) {
          const m = LAX_GO_VERSION_RE.exec(v);
          if (!m?.[1]) throw new GoModSyntaxError(`invalid go version '${v}': must match format 1.23.0`);
          v = m[1];
        }
        go = v;
        return;
      }
      case 'require': {
        if (args.length !== 2) throw new GoModSyntaxError('usage: require module/path v1.2.3');
        const path = parseString(args[0] ?? '');
        const raw = parseString(args[1] ?? '');
        // Without a fixer, any valid semver is accepted and canonicalized (`v1.2` → `v1.2.0`).
        const v = canonicalVersion(raw);
        if (v === '')
          throw new GoModSyntaxError(`require ${path}: version "${raw}" invalid: must be of the form v1.2.3`);
        const split = splitPathVersion(path);
        if (!split) throw new GoModSyntaxError(`require ${path}: invalid module path`);
        try {
          checkPathMajor(v, split.pathMajor);
        } catch (err) {
          throw new GoModSyntaxError(`require ${path}: ${(err as Error).message}`);
        }
        return;
      }
      case 'ignore': {
        if (args.length !== 1) throw new GoModSyntaxError('usage: ignore local/dir');
        parseString(args[0] ?? '');
        return;
      }
      default:
        // retract errors are only reported for the main module; other verbs are main-module only
        // or unknown, and lax parsing skips them.
        return;
    }
  };
  const BLOCK_VERBS = new Set([
    'module',
    'godebug',
    'require',
    'exclude',
    'replace',
    'retract',
    'tool',
    'ignore',
  ]);
  for (const st of stmts) {
    const verb = st.tokens[0] ?? '';
    if (st.block === undefined) {
      add(verb, st.tokens.slice(1));
    } else if (st.tokens.length === 1 && BLOCK_VERBS.has(verb)) {
      for (const line of st.block) add(verb, line);
    }
  }
  return { module: mod, go };
}

/** The go directive of a go.mod, or null when it has none or fails lax parsing. */
export function laxGoVersion(data: Uint8Array): string | null {
  try {
    return parseGoModLax(data).go;
  } catch (err) {
    if (err instanceof GoModSyntaxError) return null;
    throw err;
  }
}
