/**
 * Parsing of .gitattributes blobs with git's rules (attr.c parse_attr_line, dir.c
 * parse_path_pattern): quoted patterns with C escapes, `[attr]` macros (root file only), lines with
 * an invalid attribute name or a negative pattern dropped, the 2048-byte line limit, and reading
 * stops at a NUL byte.
 */

/** `true` set, `false` unset (`-a`), `null` unspecified (`!a`), or a string value (`a=v`). */
export type AttrValue = boolean | null | string;

export type AttrState = readonly [name: string, value: AttrValue];

export interface AttrPattern {
  /** Pattern bytes without a leading `!` and without a trailing `/`. */
  readonly bytes: Uint8Array;
  readonly mustBeDir: boolean;
  readonly noDir: boolean;
  readonly endsWith: boolean;
  /** Length of the leading part free of glob specials. */
  readonly noWildcardLen: number;
}

export interface AttrRule {
  readonly pattern: AttrPattern;
  readonly states: readonly AttrState[];
}

export interface AttrFile {
  readonly rules: readonly AttrRule[];
  /** `[attr]name states...` definitions, in file order. */
  readonly macros: readonly (readonly [name: string, states: readonly AttrState[]])[];
}

/** git ignores .gitattributes blobs of this size or more. */
export const ATTR_MAX_FILE_SIZE = 100 * 1024 * 1024;
/** git ignores attribute lines of this length or more. */
const ATTR_MAX_LINE_LENGTH = 2048;
const MACRO_PREFIX = '[attr]';

export const BUILTIN_MACROS: AttrFile['macros'] = [
  [
    'binary',
    [
      ['diff', false],
      ['merge', false],
      ['text', false],
    ],
  ],
];

function isBlank(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isGlobSpecial(c: number | undefined): boolean {
  return c === 0x2a || c === 0x3f || c === 0x5b || c === 0x5c;
}

function attrNameValid(name: string): boolean {
  return /^[A-Za-z0-9._][-A-Za-z0-9._]*$/.test(name);
}

/** git's unquote_c_style on `line` starting at a `"`; returns the bytes and the index after the quote. */
function unquoteC(line: Uint8Array, start: number): { value: Uint8Array; end: number } | null {
  const out: number[] = [];
  let i = start + 1;
  for (;;) {
    const c = line[i];
    if (c === undefined) return null;
    if (c === 0x22) return { value: Uint8Array.from(out), end: i + 1 };
    if (c !== 0x5c) {
      out.push(c);
      i++;
      continue;
    }
    const e = line[i + 1];
    i += 2;
    switch (e) {
      case 0x61: out.push(0x07); break; // prettier-ignore
      case 0x62: out.push(0x08); break; // prettier-ignore
      case 0x66: out.push(0x0c); break; // prettier-ignore
      case 0x6e: out.push(0x0a); break; // prettier-ignore
      case 0x72: out.push(0x0d); break; // prettier-ignore
      case 0x74: out.push(0x09); break; // prettier-ignore
      case 0x76: out.push(0x0b); break; // prettier-ignore
      case 0x5c: out.push(0x5c); break; // prettier-ignore
      case 0x22: out.push(0x22); break; // prettier-ignore
      default: {
        // \ooo with the first digit 0-3.
        if (e === undefined || e < 0x30 || e > 0x33) return null;
        const d1 = line[i];
        const d2 = line[i + 1];
        if (d1 === undefined || d2 === undefined || d1 < 0x30 || d1 > 0x37 || d2 < 0x30 || d2 > 0x37) {
          return null;
        }
        out.push(((e - 0x30) << 6) | ((d1 - 0x30) << 3) | (d2 - 0x30));
        i += 2;
      }
    }
  }
}

/** Parses the blank-separated `states` part; null if any token is invalid (git drops the line). */
function parseStates(line: Uint8Array, from: number): AttrState[] | null {
  const text = Buffer.from(line.subarray(from)).toString('latin1');
  const states: AttrState[] = [];
  for (const tok of text.split(/[ \t\r\n]+/)) {
    if (tok === '') continue;
    const eq = tok.indexOf('=');
    let name = eq >= 0 ? tok.slice(0, eq) : tok;
    let value: AttrValue = true;
    if (name.startsWith('-') || name.startsWith('!')) {
      value = name.startsWith('-') ? false : null;
      name = name.slice(1);
    } else if (eq >= 0) {
      value = Buffer.from(tok.slice(eq + 1), 'latin1').toString('utf8');
    }
    if (!attrNameValid(name)) return null;
    states.push([name, value]);
  }
  return states;
}

function parsePattern(raw: Uint8Array): (AttrPattern & { negative: boolean }) | null {
  let p = raw;
  let negative = false;
  if (p[0] === 0x21) {
    negative = true;
    p = p.subarray(1);
  }
  let len = p.length;
  let mustBeDir = false;
  if (len > 0 && p[len - 1] === 0x2f) {
    len--;
    mustBeDir = true;
  }
  const noDir = !p.subarray(0, len).includes(0x2f);
  let simple = 0;
  while (simple < p.length && !isGlobSpecial(p[simple])) simple++;
  const tail = p.subarray(1);
  const endsWith = p[0] === 0x2a && !tail.some((c) => isGlobSpecial(c));
  return {
    bytes: p.slice(0, len),
    mustBeDir,
    noDir,
    endsWith,
    noWildcardLen: Math.min(simple, len),
    negative,
  };
}

/**
 * Parses one .gitattributes blob. `macrosAllowed` is true only for the repository-root file: in
 * other files git ignores `[attr]` lines.
 */
export function parseGitattributes(blob: Uint8Array, options: { macrosAllowed: boolean }): AttrFile {
  const rules: AttrRule[] = [];
  const macros: [string, AttrState[]][] = [];
  if (blob.length >= ATTR_MAX_FILE_SIZE) return { rules, macros };
  const nul = blob.indexOf(0);
  const data = nul >= 0 ? blob.subarray(0, nul) : blob;
  let pos = 0;
  while (pos < data.length) {
    let end = data.indexOf(0x0a, pos);
    if (end < 0) end = data.length;
    const line = data.subarray(pos, end);
    pos = end + 1;
    let cp = 0;
    while (cp < line.length && isBlank(line[cp])) cp++;
    if (cp >= line.length || line[cp] === 0x23) continue;
    if (line.length >= ATTR_MAX_LINE_LENGTH) continue;
    let name: Uint8Array;
    let statesAt: number;
    const quoted = line[cp] === 0x22 ? unquoteC(line, cp) : null;
    if (quoted) {
      name = quoted.value;
      statesAt = quoted.end;
    } else {
      let e = cp;
      while (e < line.length && !isBlank(line[e])) e++;
      name = line.subarray(cp, e);
      statesAt = e;
    }
    const nameText = Buffer.from(name).toString('latin1');
    if (nameText.length > MACRO_PREFIX.length && nameText.startsWith(MACRO_PREFIX)) {
      if (!options.macrosAllowed) continue;
      const macroName = nameText.slice(MACRO_PREFIX.length).split(/[ \t\r\n]/)[0] ?? '';
      if (!attrNameValid(macroName)) continue;
      const states = parseStates(line, statesAt);
      if (states) macros.push([macroName, states]);
      continue;
    }
    const states = parseStates(line, statesAt);
    if (!states) continue;
    const pattern = parsePattern(name);
    if (!pattern || pattern.negative) continue;
    rules.push({ pattern, states });
  }
  return { rules, macros };
}
