/** Starting and stopping the replayed image's command as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Started {
  proc: ChildProcess;
  /** stdout and stderr so far, for failure messages. */
  output: () => string;
}

export function start(argv: readonly string[], cwd: string, env: Record<string, string>): Started {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('empty command');
  let output = '';
  const proc = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { proc, output: () => output };
}

/** Polls `url` until it answers 200; fails when the process exits first or after 30 s. */
export async function waitFor200(url: string, s: Started): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (s.proc.exitCode !== null) throw new Error(`exited ${s.proc.exitCode} before ${url}:\n${s.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no 200 from ${url} within 30 s:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends `signal` and waits for the exit; SIGKILL after 30 s so that a hung drain cannot hang the test. */
export async function stop(
  s: Started,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
    return { code: s.proc.exitCode, signal: s.proc.signalCode };
  }
  const exited = once(s.proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  s.proc.kill(signal);
  const guard = setTimeout(() => s.proc.kill('SIGKILL'), 30_000);
  const [code, sig] = await exited;
  clearTimeout(guard);
  return { code, signal: sig };
}

/** Runs a command to completion and returns its exit code. */
export async function exitCode(
  argv: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<number | null> {
  const s = start(argv, cwd, env);
  const [code] = (await once(s.proc, 'exit')) as [number | null];
  return code;
}
