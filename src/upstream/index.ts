/** Builds the upstream ModuleSource from settings (the only place that wires sources together). */
import { createGitSource } from './git-source.js';
import type { FetchText } from './go-import.js';
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
  const resolver = createRepoResolver({
    githubUrl: options.githubUrl,
    hostMap: options.hostMap,
    fetchText: createFetchText(options.telemetry),
  });
  return createGitSource({
    resolver,
    githubToken: options.githubToken,
    idleTimeoutMs: options.idleTimeoutMs,
    tempDir: options.tempDir,
    telemetry: options.telemetry,
  });
}
