/**
 * GETs from a checksum database (sum.golang.org or another `GOSUMDB`), for the `/sumdb/` proxy
 * (spec §1.7): through the per-host gate (concurrency, retries of 5xx and network failures, the
 * rate-limit circuit), with a deadline, reading at most 4 MiB (a lookup or a tile is a few KiB).
 * The database's answers are passed on, never invented: 200 with its bytes, 404/410 as not found
 * with its message, 429 and 5xx as upstream failures.
 */
import {
  GoneError,
  isStoaError,
  NotFoundError,
  RateLimitedError,
  UpstreamError,
  UpstreamTimeoutError,
} from '../errors.js';
import { retryAfterFrom, shortText } from '../git/remote-errors.js';
import type { Telemetry, UpstreamOperation } from '../telemetry.js';
import { hostOf, type HostGate } from './politeness.js';

export type SumdbOperation = Extract<UpstreamOperation, 'lookup' | 'tile' | 'latest'>;

export interface SumdbAnswer {
  body: Uint8Array;
  contentType: string;
  /** The database's Cache-Control, passed on when it sent one. */
  cacheControl: string | undefined;
}

export interface SumdbRequest {
  /** The database's name, for messages (never the URL, which may name a private mirror). */
  database: string;
  /** The full URL to fetch (host map already applied). */
  url: string;
  operation: SumdbOperation;
}

export interface SumdbUpstream {
  get(request: SumdbRequest, signal: AbortSignal): Promise<SumdbAnswer>;
}

export interface SumdbUpstreamOptions {
  gate: HostGate;
  telemetry: Pick<Telemetry, 'upstream'>;
  /** Deadline of one request, body included. */
  timeoutMs: number;
}

const MAX_BODY = 4 << 20;

async function readBounded(res: Response, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_BODY) throw new UpstreamError(`${what}: answer larger than ${MAX_BODY} bytes`);
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, size);
}

function failure(what: string, err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (isStoaError(err)) return err;
  if (err instanceof Error && err.name === 'TimeoutError')
    return new UpstreamTimeoutError(`${what}: no answer in time`);
  // Only the error's code: a network error's message may repeat the URL, and with it a mirror's
  // credentials.
  const code = err instanceof Error ? (err.cause as { code?: unknown } | undefined)?.code : undefined;
  return new UpstreamError(`${what}: request failed${typeof code === 'string' ? ` (${code})` : ''}`);
}

export function createSumdbUpstream(options: SumdbUpstreamOptions): SumdbUpstream {
  return {
    get({ database, url, operation }, signal) {
      const what = `checksum database ${database} (${operation})`;
      return options.gate.run(
        hostOf(url),
        async () => {
          const started = performance.now();
          let status = 0;
          let bytes = 0;
          try {
            const res = await fetch(url, {
              signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
              redirect: 'follow',
              headers: { 'user-agent': 'stoa (checksum database proxy)' },
            });
            status = res.status;
            const body = await readBounded(res, what);
            bytes = body.byteLength;
            if (status === 200) {
              return {
                body,
                contentType: res.headers.get('content-type') ?? 'application/octet-stream',
                cacheControl: res.headers.get('cache-control') ?? undefined,
              };
            }
            const text = shortText(Buffer.from(body).toString('utf8'));
            if (status === 404) throw new NotFoundError(`${what}: ${text || 'not found'}`);
            if (status === 410) throw new GoneError(`${what}: ${text || 'gone'}`);
            if (status === 429) {
              const headers = Object.fromEntries(res.headers);
              throw new RateLimitedError(`${what}: rate limited (HTTP 429)`, {
                retryAfterSeconds: retryAfterFrom(headers),
              });
            }
            throw new UpstreamError(`${what}: HTTP ${status}${text ? `: ${text}` : ''}`);
          } catch (err) {
            throw failure(what, err, signal);
          } finally {
            options.telemetry.upstream({
              source: 'sumdb',
              operation,
              ok: status === 200,
              status,
              bytes,
              durationMs: performance.now() - started,
            });
          }
        },
        signal,
      );
    },
  };
}
