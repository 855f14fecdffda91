/** Helpers of the observability e2e tests: Prometheus text parsing, fixture publishing, fetching. */
import { RepoBuilder } from '../fixtures/repo.js';
import type { StatsReport } from '../../src/stats/stats-service.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (as prom-client writes it). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] ?? ''] = l[2] ?? '';
    }
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of a metric's samples whose labels match every given value (a RegExp or exact string). */
export function sum(samples: Sample[], name: string, match: Record<string, string | RegExp> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    const ok = Object.entries(match).every(([k, v]) => {
      const got = s.labels[k] ?? '';
      return typeof v === 'string' ? got === v : v.test(got);
    });
    if (ok) total += s.value;
  }
  return total;
}

export async function scrape(base: string): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  return { text, samples: parseMetrics(text) };
}

export async function getStats(base: string): Promise<StatsReport> {
  const res = await fetch(`${base}/stats`);
  if (res.status !== 200) throw new Error(`/stats answered ${res.status}`);
  return (await res.json()) as StatsReport;
}

/** Builds a fixture repository and publishes it as `owner/repo` under the git server root. */
export function publishRepo(gitRoot: string, ownerRepo: string, build: (r: RepoBuilder) => void): void {
  const r = new RepoBuilder();
  try {
    build(r);
    r.publish(gitRoot, ownerRepo);
  } finally {
    r.dispose();
  }
}

/** Two small modules with three versions in all. */
export function publishFixtureSet(gitRoot: string): string[] {
  publishRepo(gitRoot, 'acme/hello', (r) => {
    r.write({ 'go.mod': 'module github.com/acme/hello\n\ngo 1.18\n', 'hello.go': 'package hello\n' }).commit(
      'v1',
    );
    r.tag('v1.0.0');
    r.write({ 'extra.go': 'package hello\n\nconst X = 1\n' }).commit('v1.1');
    r.tag('v1.1.0');
  });
  publishRepo(gitRoot, 'acme/other', (r) => {
    r.write({ 'go.mod': 'module github.com/acme/other\n', 'o.go': 'package other\n' }).commit('init');
    r.tag('v0.1.0');
  });
  return ['github.com/acme/hello@v1.0.0', 'github.com/acme/hello@v1.1.0', 'github.com/acme/other@v0.1.0'];
}
