/**
 * Runs stoa as a child process (`node --import tsx src/main.ts`, configured through env) so that a
 * benchmark's load generator, git server and go clients do not share stoa's event loop, and so
 * that stoa's memory is its own (`/proc/<pid>/status`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface StoaProcess {
  readonly url: string;
  readonly pid: number;
  /** Current and peak resident set size in KiB, from `/proc/<pid>/status` (VmRSS, VmHWM). */
  memory(): { rssKiB: number; hwmKiB: number };
  /** Resets the kernel's peak-RSS mark (VmHWM) to the current RSS (`clear_refs` 5; needs root). */
  resetPeak(): boolean;
  /** Lines stoa wrote to stderr and stdout (logs at `warn` and above by default). */
  output(): string;
  stop(): Promise<void>;
}

export interface StoaProcessOptions {
  githubUrl: string;
  storageRoot: string;
  tempDir: string;
  env?: Record<string, string>;
  /** `taskset -c` CPU list to pin stoa to, e.g. `0`. */
  cpus?: string;
  /** Extra node options, e.g. `--cpu-prof` to profile a run. */
  nodeArgs?: string[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function statusKiB(pid: number, field: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return Number(m?.[1] ?? NaN);
}

async function waitHealthy(url: string, child: ChildProcess, out: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`stoa exited ${child.exitCode}: ${out()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      await res.text();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stoa did not become healthy: ${out()}`);
}

export async function startStoaProcess(options: StoaProcessOptions): Promise<StoaProcess> {
  const port = await freePort();
  const node = [
    process.execPath,
    ...(options.nodeArgs ?? []),
    '--import',
    'tsx',
    path.join(REPO_ROOT, 'src/main.ts'),
  ];
  const [cmd = '', ...args] = options.cpus === undefined ? node : ['taskset', '-c', options.cpus, ...node];
  const child = spawn(cmd, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: options.tempDir,
      NODE_ENV: 'production',
      STOA_HOST: '127.0.0.1',
      STOA_PORT: String(port),
      STOA_STORAGE_TYPE: 'disk',
      STOA_STORAGE_ROOT: options.storageRoot,
      STOA_TEMP_DIR: options.tempDir,
      STOA_GITHUB_URL: options.githubUrl,
      STOA_SUMDBS: 'off', // never a checksum database on the internet
      STOA_LOG_LEVEL: 'warn',
      STOA_STATS_INTERVAL: '1h',
      ...options.env,
    },
  });
  let text = '';
  const keep = (c: Buffer): void => {
    text = (text + c.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, child, () => text);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  // With taskset the spawned pid execs into node, so it is node's pid either way.
  const pid = child.pid ?? 0;
  return {
    url,
    pid,
    memory: () => ({ rssKiB: statusKiB(pid, 'VmRSS'), hwmKiB: statusKiB(pid, 'VmHWM') }),
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    output: () => text,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
