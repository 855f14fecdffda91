/**
 * git's wildmatch (the glob matcher behind .gitattributes patterns), over bytes, with git's exact
 * semantics: `?`, `*`, `**` (special only as a whole path component when `pathname` is set),
 * bracket expressions with `!`/`^` negation, ranges, backslash escapes and `[:class:]` (ASCII
 * classes, as git's own ctype defines them). Case-sensitive (core.ignorecase is false in the bare
 * repository the go command archives from).
 */

const NUL = 0;
const STAR = 0x2a;
const QUESTION = 0x3f;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const CARET = 0x5e;
const BANG = 0x21;
const DASH = 0x2d;
const COLON = 0x3a;

const MATCH = 0;
const NOMATCH = 1;
const ABORT_ALL = -1;
const ABORT_TO_STARSTAR = -2;

/** Byte at `i`, or NUL past the end (C-string semantics). */
function at(b: Uint8Array, i: number): number {
  return i < b.length ? (b[i] ?? NUL) : NUL;
}

function isGlobSpecial(c: number): boolean {
  return c === STAR || c === QUESTION || c === LBRACKET || c === BACKSLASH;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isAlpha = (c: number): boolean => isUpper(c) || isLower(c);
const isPrint = (c: number): boolean => c >= 0x20 && c <= 0x7e;
/** git's own isspace: space, TAB, LF, CR (no VT or FF). */
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

const CLASSES: Record<string, (c: number) => boolean> = {
  alnum: (c) => isAlpha(c) || isDigit(c),
  alpha: isAlpha,
  blank: (c) => c === 0x20 || c === 0x09,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  digit: isDigit,
  graph: (c) => isPrint(c) && !isSpace(c),
  lower: isLower,
  print: isPrint,
  punct: (c) => isPrint(c) && !isAlpha(c) && !isDigit(c) && c !== 0x20,
  space: isSpace,
  upper: isUpper,
  xdigit: (c) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
};

function dowild(pat: Uint8Array, start: number, text: Uint8Array, tStart: number, pathname: boolean): number {
  let p = start;
  let t = tStart;
  for (; at(pat, p) !== NUL; t++, p++) {
    let pc = at(pat, p);
    let tc = at(text, t);
    if (tc === NUL && pc !== STAR) return ABORT_ALL;
    switch (pc) {
      case BACKSLASH:
        pc = at(pat, ++p);
        if (tc !== pc) return NOMATCH;
        continue;
      case QUESTION:
        if (pathname && tc === SLASH) return NOMATCH;
        continue;
      case STAR: {
        let matchSlash: boolean;
        if (at(pat, ++p) === STAR) {
          const prev = p - 2;
          while (at(pat, ++p) === STAR) {
            /* skip the run of stars */
          }
          if (!pathname) {
            matchSlash = true;
          } else if (
            (prev < start || at(pat, prev) === SLASH) &&
            (at(pat, p) === NUL ||
              at(pat, p) === SLASH ||
              (at(pat, p) === BACKSLASH && at(pat, p + 1) === SLASH))
          ) {
            // `**/` may match nothing: try the rest of the pattern right here.
            if (at(pat, p) === SLASH && dowild(pat, p + 1, text, t, pathname) === MATCH) return MATCH;
            matchSlash = true;
          } else {
            matchSlash = false;
          }
        } else {
          matchSlash = !pathname;
        }
        if (at(pat, p) === NUL) {
          // Trailing `**` matches everything; a trailing `*` only if no slash is left.
          if (!matchSlash && text.indexOf(SLASH, t) >= 0) return NOMATCH;
          return MATCH;
        }
        if (!matchSlash && at(pat, p) === SLASH) {
          // One star followed by a slash matches up to the next directory separator.
          const slash = text.indexOf(SLASH, t);
          if (slash < 0) return NOMATCH;
          t = slash;
          break; // the loop increments consume the slash in both
        }
        for (;;) {
          if (tc === NUL) break;
          if (!isGlobSpecial(at(pat, p))) {
            // Fast-forward to the next occurrence of the literal that follows the star.
            pc = at(pat, p);
            while ((tc = at(text, t)) !== NUL && (matchSlash || tc !== SLASH)) {
              if (tc === pc) break;
              t++;
            }
            if (tc !== pc) return NOMATCH;
          }
          const matched = dowild(pat, p, text, t, pathname);
          if (matched !== NOMATCH) {
            if (!matchSlash || matched !== ABORT_TO_STARSTAR) return matched;
          } else if (!matchSlash && tc === SLASH) {
            return ABORT_TO_STARSTAR;
          }
          tc = at(text, ++t);
        }
        return ABORT_ALL;
      }
      case LBRACKET: {
        pc = at(pat, ++p);
        if (pc === CARET) pc = BANG;
        const negated = pc === BANG;
        if (negated) pc = at(pat, ++p);
        let prevc = 0;
        let matched = false;
        do {
          if (pc === NUL) return ABORT_ALL;
          if (pc === BACKSLASH) {
            pc = at(pat, ++p);
            if (pc === NUL) return ABORT_ALL;
            if (tc === pc) matched = true;
          } else if (pc === DASH && prevc !== 0 && at(pat, p + 1) !== NUL && at(pat, p + 1) !== RBRACKET) {
            pc = at(pat, ++p);
            if (pc === BACKSLASH) {
              pc = at(pat, ++p);
              if (pc === NUL) return ABORT_ALL;
            }
            if (tc <= pc && tc >= prevc) matched = true;
            pc = 0; // so that prevc becomes 0
          } else if (pc === LBRACKET && at(pat, p + 1) === COLON) {
            p += 2;
            const s = p;
            while ((pc = at(pat, p)) !== NUL && pc !== RBRACKET) p++;
            if (pc === NUL) return ABORT_ALL;
            const len = p - s - 1;
            if (len < 0 || at(pat, p - 1) !== COLON) {
              // No `:]`: treat the `[` as a literal member of the set.
              p = s - 2;
              pc = LBRACKET;
              if (tc === pc) matched = true;
              continue;
            }
            const name = Buffer.from(pat.subarray(s, s + len)).toString('latin1');
            const test = CLASSES[name];
            if (!test) return ABORT_ALL;
            if (test(tc)) matched = true;
            pc = 0;
          } else if (tc === pc) {
            matched = true;
          }
        } while (((prevc = pc), (pc = at(pat, ++p)) !== RBRACKET));
        if (matched === negated || (pathname && tc === SLASH)) return NOMATCH;
        continue;
      }
      default:
        if (tc !== pc) return NOMATCH;
        continue;
    }
  }
  return at(text, t) !== NUL ? NOMATCH : MATCH;
}

/** git's `wildmatch(pattern, text, pathname ? WM_PATHNAME : 0) == WM_MATCH`. */
export function wildmatch(pattern: Uint8Array, text: Uint8Array, pathname: boolean): boolean {
  return dowild(pattern, 0, text, 0, pathname) === MATCH;
}
