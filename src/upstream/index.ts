/** Builds the upstream ModuleSource from settings (the only place that wires sources together). */
import { createGitSource } from './git-source.js';
import type { FetchText } from './go-import.js';
import { createRepoResolver } from './repo-resolver.js';
import type { ModuleSource } from './source.js';

export interface UpstreamOptions {
  githubUrl: string;
  githubToken: string | undefined;
  hostMap: Readonly<Record<string, string>>;
  idleTimeoutMs: number;
  tempDir: string;
}

const MAX_DISCOVERY_BODY = 1 << 20;

/** GET with a deadline; reads at most 1 MiB of the body (go-import tags live in the head). */
export const fetchText: FetchText = async (url, signal) => {
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
  return { status: res.status, body };
};

export function createUpstreamSource(options: UpstreamOptions): ModuleSource {
  const resolver = createRepoResolver({ githubUrl: options.githubUrl, hostMap: options.hostMap, fetchText });
  return createGitSource({
    resolver,
    githubToken: options.githubToken,
    idleTimeoutMs: options.idleTimeoutMs,
    tempDir: options.tempDir,
  });
}
