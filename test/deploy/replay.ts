/**
 * Replays a Dockerfile's stages without Docker: each stage gets its own directory standing for the
 * image's root filesystem; WORKDIR, COPY (from the build context or `--from` a stage), ENV and the
 * npm commands of RUN are carried out there. Commands that change the system outside the app (such
 * as `mkdir /data && chown`) and `npm cache clean` (it would empty the host's shared npm cache) are
 * skipped and reported.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { execForm, stageEnv, type Dockerfile, type Stage } from './dockerfile.js';

export interface StageResult {
  stage: Stage;
  /** Host directory standing for the stage's `/`. */
  root: string;
  /** Container path of the final WORKDIR. */
  workdir: string;
  env: Record<string, string>;
  ran: string[];
  skipped: { command: string; reason: string }[];
}

export interface ReplayOptions {
  /** The build context (the repository root). */
  context: string;
  /** Empty directory that receives one root per stage. */
  scratch: string;
  /** Environment for RUN commands (PATH, HOME, npm settings); the stage's ENV is added on top. */
  env: Record<string, string>;
  /** Paths excluded by .dockerignore: COPY of an excluded path is an error, as the build would miss it. */
  ignored: (relativePath: string) => boolean;
  /**
   * Stages (by index) whose dev-dependency `npm ci` is replaced by a symlink to this node_modules
   * (installed from the same lockfile): a full install costs 20-40 s on a loaded 2-core machine.
   */
  reuseNodeModules?: { stages: readonly number[]; from: string };
}

/** The host path of a container path inside a stage root. */
export function hostPath(root: string, containerPath: string): string {
  return path.join(root, path.posix.resolve('/', containerPath));
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p)).isDirectory();
}

/** Expands a `*` in the last segment of a source path (`package*.json`). */
async function expand(base: string, src: string): Promise<string[]> {
  const name = path.posix.basename(src);
  if (!name.includes('*')) return [src];
  const dir = path.posix.dirname(src);
  const re = new RegExp(
    `^${name
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  const entries = await readdir(path.join(base, dir));
  return entries.filter((e) => re.test(e)).map((e) => path.posix.join(dir, e));
}

async function copy(
  opts: ReplayOptions,
  results: readonly StageResult[],
  cur: StageResult,
  flags: Record<string, string>,
  rest: string,
): Promise<void> {
  const parts = execForm(rest) ?? rest.split(/\s+/);
  const dest = parts.pop() ?? '';
  const from = flags.from;
  const fromStage =
    from === undefined
      ? undefined
      : results.find((r) => r.stage.name === from || String(r.stage.index) === from);
  if (from !== undefined && fromStage === undefined) throw new Error(`COPY --from=${from}: no such stage`);
  const base = fromStage === undefined ? opts.context : fromStage.root;
  const sources: string[] = [];
  for (const src of parts)
    sources.push(...(await expand(base, fromStage === undefined ? src : path.posix.resolve('/', src))));
  const destPath = path.posix.resolve(cur.workdir, dest);
  const intoDir = dest.endsWith('/') || sources.length > 1;
  for (const src of sources) {
    if (fromStage === undefined && opts.ignored(path.posix.normalize(src))) {
      throw new Error(`COPY ${src}: excluded by .dockerignore`);
    }
    const from = path.join(base, src);
    const target = hostPath(
      cur.root,
      intoDir && !(await isDir(from)) ? path.posix.join(destPath, path.posix.basename(src)) : destPath,
    );
    await mkdir(path.dirname(target), { recursive: true });
    // A directory's contents are copied (not the directory itself), as Docker does.
    await cp(from, target, { recursive: true });
  }
}

function runShell(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`RUN ${command} exited ${code}:\n${output.slice(-4000)}`));
    });
  });
}

async function run(opts: ReplayOptions, cur: StageResult, rest: string): Promise<void> {
  const argv = execForm(rest);
  const segments = argv === undefined ? rest.split('&&').map((s) => s.trim()) : [argv.join(' ')];
  const cwd = hostPath(cur.root, cur.workdir);
  for (const command of segments) {
    const devInstall = /^npm\s+ci\b/.test(command) && !command.includes('--omit=dev');
    const reuse = opts.reuseNodeModules;
    if (devInstall && reuse?.stages.includes(cur.stage.index) === true) {
      await symlink(reuse.from, path.join(cwd, 'node_modules'), 'dir');
      cur.skipped.push({ command, reason: `node_modules symlinked from ${reuse.from} (same lockfile)` });
    } else if (/^npm\s+cache\s+clean\b/.test(command)) {
      cur.skipped.push({ command, reason: "would empty the host's shared npm cache" });
    } else if (/^npm\s+(ci|install|run|prune)\b/.test(command)) {
      await runShell(command, cwd, { ...opts.env, ...cur.env });
      cur.ran.push(command);
    } else {
      cur.skipped.push({ command, reason: 'changes the system outside the app directory' });
    }
  }
}

/** Replays every stage in order; returns one result per stage. */
export async function replayStages(df: Dockerfile, opts: ReplayOptions): Promise<StageResult[]> {
  const results: StageResult[] = [];
  for (const stage of df.stages) {
    const root = path.join(opts.scratch, `stage-${stage.index}`);
    await mkdir(root, { recursive: true });
    const cur: StageResult = { stage, root, workdir: '/', env: {}, ran: [], skipped: [] };
    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'WORKDIR':
          cur.workdir = path.posix.resolve(cur.workdir, ins.rest);
          await mkdir(hostPath(root, cur.workdir), { recursive: true });
          break;
        case 'COPY':
          await copy(opts, results, cur, ins.flags, ins.rest);
          break;
        case 'RUN':
          await run(opts, cur, ins.rest);
          break;
        case 'ENV':
          Object.assign(cur.env, stageEnv({ ...stage, instructions: [ins] }));
          break;
        case 'ADD':
          throw new Error(`line ${ins.line}: ADD is not replayed; use COPY`);
        default:
          // FROM, ARG, USER, EXPOSE, VOLUME, CMD, HEALTHCHECK, LABEL: metadata, nothing to build.
          break;
      }
    }
    results.push(cur);
  }
  return results;
}
