/**
 * The P1 baseline: nginx serving a directory (one worker, sendfile, no access log) and wrk as the
 * load generator. Both are optional system tools (`apt-get install -y nginx wrk`); `missingTools`
 * says which are absent so the benchmark can skip with a reason.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './stoa-process.js';

function which(tool: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'];

function nginxPath(): string | null {
  return which('nginx') ?? NGINX_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export function missingTools(): string[] {
  const missing: string[] = [];
  if (nginxPath() === null) missing.push('nginx');
  if (which('wrk') === null) missing.push('wrk');
  return missing;
}

export interface Nginx {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts nginx serving `root` with a config in `dir`, optionally pinned to CPUs. */
export async function startNginx(dir: string, root: string, cpus?: string): Promise<Nginx> {
  const bin = nginxPath();
  if (bin === null) throw new Error('nginx is not installed');
  const port = await freePort();
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${path.join(dir, 'logs/error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  sendfile on;',
      '  tcp_nopush on;',
      '  access_log off;',
      '  default_type application/octet-stream;',
      `  client_body_temp_path ${dir}/tmp-body;`,
      `  proxy_temp_path ${dir}/tmp-proxy;`,
      `  fastcgi_temp_path ${dir}/tmp-fastcgi;`,
      `  uwsgi_temp_path ${dir}/tmp-uwsgi;`,
      `  scgi_temp_path ${dir}/tmp-scgi;`,
      `  server { listen 127.0.0.1:${port}; root ${root}; }`,
      '}',
      '',
    ].join('\n'),
  );
  const args = ['-c', conf, '-p', dir];
  const [cmd = '', ...rest] = cpus === undefined ? [bin, ...args] : ['taskset', '-c', cpus, bin, ...args];
  const child = spawn(cmd, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${err}`);
    try {
      const res = await fetch(`${url}/`);
      await res.arrayBuffer(); // a tiny error page
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface WrkResult {
  requestsPerSec: number;
  /** Bytes per second as wrk reports it (Transfer/sec). */
  bytesPerSec: number;
  latencyAvg: string;
  /** Non-2xx/3xx answers plus socket errors: must be 0 for a valid run. */
  failures: number;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** `wrk -t1 -cC -dSs URL`, optionally pinned to CPUs. */
export function runWrk(url: string, connections: number, seconds: number, cpus?: string): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, url];
  const [cmd = '', ...rest] = cpus === undefined ? ['wrk', ...args] : ['taskset', '-c', cpus, 'wrk', ...args];
  return new Promise((resolve, reject) => {
    execFile(cmd, rest, { timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`wrk failed: ${error.message} ${stderr}`));
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      const transfer = /Transfer\/sec:\s+([\d.]+)([KMG]?)B/.exec(stdout);
      const latency = /Latency\s+(\S+)/.exec(stdout);
      const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      if (rps === null || transfer === null) return reject(new Error(`unparsable wrk output:\n${stdout}`));
      const sockErrors = sock === null ? 0 : sock.slice(1).reduce((a, s) => a + Number(s), 0);
      resolve({
        requestsPerSec: Number(rps[1]),
        bytesPerSec: Number(transfer[1]) * (UNITS[transfer[2] ?? ''] ?? 1),
        latencyAvg: latency?.[1] ?? '?',
        failures: Number(non2xx?.[1] ?? 0) + sockErrors,
      });
    });
  });
}
