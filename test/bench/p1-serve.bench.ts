/**
 * P1 (issue 7): warm serving throughput of stoa versus nginx serving the same bytes. stoa runs as
 * its own process with the disk store; a ~1 MiB module zip and its `.info` are filled once, then
 * copied (as stoa served them) into nginx's root under the same URL paths. wrk (one thread, 5 s)
 * drives each server in turn: `-c8` for the zip, `-c16` for the info, rounds alternating between
 * the servers. Two more servers show what stoa's HTTP stack alone reaches (lib/bare-hono.ts): a
 * bare hono app serving the same files with `serveStatic`, and one serving them from memory; and a
 * second stoa at the default log level (a JSON line per request), for what request logs cost.
 * With 2+ cores the servers are pinned to CPU 0 and wrk to CPU 1.
 * Targets: zip ≥ 0.9× nginx's requests/s, info ≥ 0.6×. Skipped with a reason without nginx/wrk.
 * Run: `npm run bench -- test/bench/p1-serve.bench.ts`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import {
  MiB,
  createCleanup,
  getDigest,
  median,
  ratio,
  startStoa,
  startUpstream,
  verdict,
} from './lib/bench-fixtures.js';
import { startBareHono } from './lib/bare-hono.js';
import { missingTools, runWrk, startNginx, type WrkResult } from './lib/http-baseline.js';

const ROUNDS = 3;
const SECONDS = 5;
const MODULE = 'github.com/acme/serve';
const pinned = availableParallelism() >= 2;
const SERVER_CPUS = pinned ? '0' : undefined;
const WRK_CPUS = pinned ? '1' : undefined;

interface Target {
  name: 'zip' | 'info';
  file: string;
  connections: number;
  goal: number;
}

const TARGETS: Target[] = [
  { name: 'zip', file: `/${MODULE}/@v/v1.0.0.zip`, connections: 8, goal: 0.9 },
  { name: 'info', file: `/${MODULE}/@v/v1.0.0.info`, connections: 16, goal: 0.6 },
];

function line(server: string, t: Target, r: WrkResult): string {
  const mb = (r.bytesPerSec / MiB).toFixed(0);
  return `  ${server.padEnd(9)} ${t.name.padEnd(4)} -c${String(t.connections).padEnd(2)}: ${r.requestsPerSec.toFixed(0).padStart(6)} req/s, ${mb.padStart(5)} MiB/s, avg latency ${r.latencyAvg}`;
}

async function main(): Promise<void> {
  const missing = missingTools();
  if (missing.length > 0) {
    console.log(`P1 skipped: ${missing.join(' and ')} not installed (apt-get install -y nginx wrk)`);
    return;
  }
  const cleanup = createCleanup();
  try {
    const work = mkdtempSync(path.join(tmpdir(), 'stoa-bench-p1-'));
    cleanup.add(() => rmSync(work, { recursive: true, force: true }));
    chmodSync(work, 0o755); // nginx's worker runs as an unprivileged user
    const upstream = await startUpstream();
    cleanup.add(() => upstream.close());
    upstream.publishModule('acme/serve', {
      'serve.go': Buffer.from('package serve\n'),
      // incompressible, so the zip is ~1 MiB on the wire
      'testdata/blob.bin': randomBytes(MiB - 1024),
    });
    const stoa = await startStoa(upstream, { cpus: SERVER_CPUS });
    cleanup.add(() => stoa.stop());
    // The same at the default log level: one JSON line per request on stdout (read by this process).
    const stoaLogs = await startStoa(upstream, { cpus: SERVER_CPUS, env: { STOA_LOG_LEVEL: 'info' } });
    cleanup.add(() => stoaLogs.stop());
    const docroot = path.join(work, 'root');
    for (const t of TARGETS) {
      const res = await fetch(`${stoa.url}${t.file}`);
      if (res.status !== 200) throw new Error(`stoa answered ${res.status} for ${t.file}`);
      const dest = path.join(docroot, t.file);
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, Buffer.from(await res.arrayBuffer())); // ~1 MiB fixture, written once
    }
    const nginx = await startNginx(path.join(work, 'nginx'), docroot, SERVER_CPUS);
    cleanup.add(() => nginx.stop());
    const honoDisk = await startBareHono(docroot, 'static', SERVER_CPUS);
    cleanup.add(() => honoDisk.stop());
    const honoMem = await startBareHono(docroot, 'memory', SERVER_CPUS);
    cleanup.add(() => honoMem.stop());
    const servers = {
      stoa: stoa.url,
      'stoa-logs': stoaLogs.url,
      nginx: nginx.url,
      'hono-disk': honoDisk.url,
      'hono-mem': honoMem.url,
    };
    for (const t of TARGETS) {
      const a = await getDigest(`${stoa.url}${t.file}`);
      for (const [name, base] of Object.entries(servers)) {
        const b = await getDigest(`${base}${t.file}`);
        if (a.sha256 !== b.sha256 || b.status !== 200) {
          throw new Error(`${name} does not serve the bytes stoa serves for ${t.file}`);
        }
      }
      console.log(`P1 file ${t.name}: ${a.size} bytes, identical from all servers`);
    }
    console.log(
      `P1 wrk -t1, ${SECONDS} s per run, ${ROUNDS} rounds alternating servers; ${pinned ? 'server on CPU 0, wrk on CPU 1' : 'not pinned (1 CPU)'}`,
    );
    // one short warm-up per server and target (JIT, page cache, connection setup)
    for (const t of TARGETS)
      for (const base of Object.values(servers)) await runWrk(`${base}${t.file}`, t.connections, 1, WRK_CPUS);
    const results: Record<string, number[]> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of TARGETS) {
        for (const [name, base] of Object.entries(servers)) {
          const r = await runWrk(`${base}${t.file}`, t.connections, SECONDS, WRK_CPUS);
          if (r.failures > 0) throw new Error(`${name} ${t.name}: ${r.failures} failed requests under wrk`);
          (results[`${name}/${t.name}`] ??= []).push(r.requestsPerSec);
          console.log(`${line(name, t, r)}  (round ${round})`);
        }
      }
    }
    for (const t of TARGETS) {
      const s = median(results[`stoa/${t.name}`] ?? []);
      const n = median(results[`nginx/${t.name}`] ?? []);
      const hd = median(results[`hono-disk/${t.name}`] ?? []);
      const hm = median(results[`hono-mem/${t.name}`] ?? []);
      const sl = median(results[`stoa-logs/${t.name}`] ?? []);
      const sBest = Math.max(...(results[`stoa/${t.name}`] ?? []));
      const nBest = Math.max(...(results[`nginx/${t.name}`] ?? []));
      console.log(
        `P1 ${t.name.padEnd(4)} median: stoa ${s.toFixed(0)} req/s, nginx ${n.toFixed(0)} req/s → stoa ${ratio(s / n)} nginx (goal ≥ ${t.goal}×: ${verdict(s / n >= t.goal)}); best of ${ROUNDS}: ${sBest.toFixed(0)} vs ${nBest.toFixed(0)} = ${ratio(sBest / nBest)}`,
      );
      console.log(
        `P1 ${t.name.padEnd(4)} stoa logging every request (STOA_LOG_LEVEL=info, the default): ${sl.toFixed(0)} req/s = ${ratio(sl / n)} nginx`,
      );
      console.log(
        `P1 ${t.name.padEnd(4)} references: hono serveStatic ${hd.toFixed(0)} req/s = ${ratio(hd / n)} nginx; hono from memory ${hm.toFixed(0)} req/s = ${ratio(hm / n)} nginx`,
      );
    }
  } finally {
    await cleanup.run();
  }
}

await main();
