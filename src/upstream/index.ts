/** Builds the upstream ModuleSource from settings (the only place that wires sources together). */
import { createGitSource } from './git-source.js';
import type { FetchText } from './go-import.js';
import { createHostGate, politeFetchText } from './politeness.js';
import { createRepoResolver } from './repo-resolver.js';
import type { ModuleSource } from './source.js';
import type { Telemetry } from '../telemetry.js';

export interface UpstreamOptions {
  githubUrl: string;
  githubToken: string | undefined;
  hostMap: Readonly<Record<string, string>>;
  idleTimeoutMs: number;
  tempDir: string;
  telemetry: Pick<Telemetry, 'upstream'>;
  /** Requests at once per upstream host; default 16. */
  hostConcurrency?: number;
  /** Extra attempts after a network error, 5xx or timeout; default 2. */
  retries?: number;
  /** Ceiling of the first retry's (jittered) delay; default 250 ms. */
  retryDelayMs?: number;
  /** How long a rate-limited host is left alone when it gave no reset time; default 60 s. */
  rateLimitWaitMs?: number;
}

const MAX_DISCOVERY_BODY = 1 << 20;

/** GET with a deadline; reads at most 1 MiB of the body (go-import tags live in the head). */
export function createFetchText(telemetry: Pick<Telemetry, 'upstream'>): FetchText {
  return async (url, signal) => {
    const started = performance.now();
    const res = await fetch(url, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      redirect: 'follow',
      headers: { 'user-agent': 'stoa (go-get discovery)' },
    });
    let body = '';
    if (res.body) {
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        body += decoder.decode(chunk as Uint8Array, { stream: true });
        if (body.length > MAX_DISCOVERY_BODY || /<body[\s>]/i.test(body)) break;
      }
    }
    telemetry.upstream({
      source: 'discovery',
      operation: 'go-get',
      ok: res.status === 200,
      status: res.status,
      bytes: Buffer.byteLength(body),
      durationMs: performance.now() - started,
    });
    return { status: res.status, body };
  };
}

export function createUpstreamSource(options: UpstreamOptions): ModuleSource {
  const gate = createHostGate({
    concurrency: options.hostConcurrency ?? 16,
    retries: options.retries ?? 2,
    retryBaseMs: options.retryDelayMs,
    rateLimitWaitMs: options.rateLimitWaitMs,
  });
  const resolver = createRepoResolver({
    githubUrl: options.githubUrl,
    hostMap: options.hostMap,
    fetchText: politeFetchText(createFetchText(options.telemetry), gate),
  });
  return createGitSource({
    resolver,
    githubToken: options.githubToken,
    idleTimeoutMs: options.idleTimeoutMs,
    tempDir: options.tempDir,
    telemetry: options.telemetry,
    gate,
  });
}
