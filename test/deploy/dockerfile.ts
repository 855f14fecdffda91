/**
 * A small Dockerfile reader for the rules test: instructions with line continuations and comments
 * resolved, grouped into stages; global ARG defaults substituted into FROM.
 */

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** Leading `--name=value` flags (COPY --from, --chown, ...). */
  flags: Record<string, string>;
  /** args without the flags. */
  rest: string;
  line: number;
}

export interface Stage {
  index: number;
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Dockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
}

function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (m === null) break;
    flags[m[1] ?? ''] = m[2] ?? '';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let current: string[] = [];
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines are dropped, also inside a continued instruction (as Docker does).
    if (trimmed.startsWith('#')) return;
    if (current.length === 0) {
      if (trimmed === '') return;
      start = i + 1;
    }
    if (trimmed.endsWith('\\')) {
      current.push(trimmed.slice(0, -1).trim());
      return;
    }
    current.push(trimmed);
    out.push({ text: current.filter((s) => s !== '').join(' '), line: start });
    current = [];
  });
  if (current.length > 0) out.push({ text: current.join(' '), line: start });
  return out;
}

function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a?: string, b?: string) => {
      const name = a ?? b ?? '';
      return vars[name] ?? '';
    },
  );
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { text: l, line } of logicalLines(text)) {
    const m = /^([A-Za-z]+)\s*(.*)$/.exec(l);
    if (m === null) throw new Error(`line ${line}: cannot parse "${l}"`);
    const keyword = (m[1] ?? '').toUpperCase();
    const args = m[2] ?? '';
    const { flags, rest } = splitFlags(args);
    const ins: Instruction = { keyword, args, flags, rest, line };
    const current = stages[stages.length - 1];
    if (keyword === 'FROM') {
      const [image = '', as, name] = substitute(rest, globalArgs).split(/\s+/);
      stages.push({
        index: stages.length,
        image,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [ins],
      });
    } else if (current === undefined) {
      if (keyword !== 'ARG') throw new Error(`line ${line}: ${keyword} before FROM`);
      const [k = '', v = ''] = rest.split('=', 2);
      globalArgs[k.trim()] = v.trim();
    } else {
      current.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** The argv of an exec-form (JSON array) instruction, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) return undefined;
  return parsed;
}

/** ENV instructions of a stage as name → value (`ENV A=1 B=2` and legacy `ENV A 1`). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions) {
    if (ins.keyword !== 'ENV') continue;
    const tokens = ins.rest.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
    if (tokens.length > 0 && !(tokens[0] ?? '').includes('=')) {
      env[tokens[0] ?? ''] = tokens.slice(1).join(' ');
      continue;
    }
    for (const t of tokens) {
      const i = t.indexOf('=');
      env[t.slice(0, i)] = t.slice(i + 1).replace(/^(["'])(.*)\1$/, '$2');
    }
  }
  return env;
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/**
 * A matcher for .dockerignore patterns (exact paths, directories with everything under them, `*`
 * within a segment, `**` across segments). `!` exceptions are not supported and rejected.
 */
export function dockerignoreMatcher(text: string): (relativePath: string) => boolean {
  const patterns = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const exception = patterns.find((p) => p.startsWith('!'));
  if (exception !== undefined) throw new Error(`.dockerignore exception ${exception} is not supported here`);
  const res = patterns.map((p) => {
    const body = p
      .replace(/^\/+|\/+$/g, '')
      .split('**')
      .map((part) =>
        part
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]*'),
      )
      .join('.*');
    return new RegExp(`^${body}(/.*)?$`);
  });
  return (relativePath) => {
    const p = relativePath.replace(/^\.\/+/, '').replace(/\/+$/, '');
    return res.some((re) => re.test(p));
  };
}
