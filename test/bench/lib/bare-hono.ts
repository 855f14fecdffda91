/**
 * Reference points for P1: a bare hono app on @hono/node-server (stoa's HTTP stack) serving the
 * files of a directory and nothing else, either with hono's own `serveStatic` (per request a stat
 * and a `createReadStream`) or from memory. Comparing stoa with them separates the cost of the
 * HTTP stack from the cost of stoa's own serving path.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { REPO_ROOT, freePort } from './stoa-process.js';

export type BareMode = 'static' | 'memory';

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile()) yield full;
  }
}

/**
 * Serves `root` on 127.0.0.1:`port` (in the calling process): `static` with hono's `serveStatic`,
 * `memory` from bytes loaded at start (the stack's ceiling: no file system work per request).
 */
export function serveDirectory(root: string, port: number, mode: BareMode): Promise<void> {
  const app = new Hono();
  if (mode === 'static') {
    app.use('*', serveStatic({ root }));
  } else {
    const files = new Map<string, Uint8Array<ArrayBuffer>>();
    for (const file of walk(root))
      files.set(`/${path.relative(root, file)}`, new Uint8Array(readFileSync(file)));
    app.get('*', (c) => {
      const bytes = files.get(c.req.path);
      if (bytes === undefined) return c.text('not found\n', 404);
      return c.body(bytes, 200, {
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.byteLength),
      });
    });
  }
  return new Promise((resolve) => {
    serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve());
  });
}

export interface BareServer {
  url: string;
  stop(): Promise<void>;
}

/** Runs `serveDirectory` in a child process (optionally pinned to CPUs). */
export async function startBareHono(root: string, mode: BareMode, cpus?: string): Promise<BareServer> {
  const port = await freePort();
  const self = fileURLToPath(import.meta.url);
  const code = `import { serveDirectory } from ${JSON.stringify(self)}; await serveDirectory(${JSON.stringify(root)}, ${port}, ${JSON.stringify(mode)});`;
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', code];
  const [cmd = '', ...args] = cpus === undefined ? node : ['taskset', '-c', cpus, ...node];
  const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bare hono server exited ${child.exitCode}: ${err}`);
    try {
      const res = await fetch(`${url}/`);
      await res.text();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`bare hono server did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
