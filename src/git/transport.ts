/**
 * Smart-HTTP transport: the `info/refs` GET (following redirects and rebasing later POSTs on the
 * final URL, like git's `http.followRedirects=initial`) and `git-upload-pack` POSTs. Adds the
 * `git/` User-Agent, `Git-Protocol`, content types and the token (Basic x-access-token, sent up
 * front, only to the original origin). Every response body is guarded by a no-data timeout that runs
 * only while we wait for the network, is counted into stats, and reported once via onRequest.
 */
import { request, type Dispatcher } from 'undici';
import { UpstreamError, UpstreamTimeoutError, isStoaError } from '../errors.js';
import { decodeBody, redactUrl } from './http-body.js';
import { errorForStatus, header, type Headers } from './http-status.js';

export { redactUrl } from './http-body.js';

export type Operation = 'info-refs' | 'ls-refs' | 'fetch';

export interface RequestEvent {
  operation: Operation;
  status: number;
  bytes: number;
  durationMs: number;
  ok: boolean;
}

export interface TransportOptions {
  url: string;
  token?: string;
  /** Basic-auth user name sent with the token; default `x-access-token` (GitHub). */
  tokenUsername?: string;
  userAgent: string;
  timeoutMs: number;
  dispatcher?: Dispatcher;
  onRequest?: (e: RequestEvent) => void;
}

export interface TransportResponse {
  status: number;
  contentType: string;
  /** Decoded body; must be fully consumed or returned (break) to release the connection. */
  body: AsyncIterable<Uint8Array>;
}

export interface TransportStats {
  requests: number;
  bytesReceived: number;
}

export interface Transport {
  readonly stats: TransportStats;
  /** The base URL after redirects (no trailing slash), redacted of credentials. */
  readonly displayUrl: string;
  infoRefs(v2: boolean, signal?: AbortSignal): Promise<TransportResponse>;
  uploadPack(
    body: Buffer,
    operation: Operation,
    v2: boolean,
    signal?: AbortSignal,
    gzipped?: boolean,
  ): Promise<TransportResponse>;
}

const MAX_REDIRECTS = 5;
const ERROR_BODY_LIMIT = 4096;

export function createTransport(options: TransportOptions): Transport {
  const { token, userAgent, timeoutMs } = options;
  if (!userAgent.startsWith('git/')) throw new TypeError('userAgent must start with "git/"');
  const original = new URL(options.url.replace(/\/+$/, ''));
  if (original.protocol !== 'https:' && original.protocol !== 'http:') {
    throw new TypeError(`unsupported git URL scheme ${original.protocol}`);
  }
  let base = original.toString().replace(/\/+$/, '');
  const stats: TransportStats = { requests: 0, bytesReceived: 0 };
  const user = options.tokenUsername ?? 'x-access-token';
  const auth = token ? `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` : undefined;

  // Hosts may echo what they were sent: neither the token nor its Basic encoding may reach a message.
  const secrets = token && auth ? [token, auth.slice('Basic '.length)] : [];
  const scrub = (s: string): string => secrets.reduce((t, secret) => t.split(secret).join('<redacted>'), s);

  function headersFor(target: URL, extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': userAgent, ...extra };
    if (auth && target.origin === original.origin) h.authorization = auth;
    return h;
  }

  async function send(
    target: URL,
    method: 'GET' | 'POST',
    hdrs: Record<string, string>,
    body: Buffer | undefined,
    operation: Operation,
    signal: AbortSignal | undefined,
  ): Promise<{
    status: number;
    headers: Headers;
    body: AsyncIterable<Uint8Array>;
    drain(): Promise<string>;
  }> {
    signal?.throwIfAborted();
    const started = performance.now();
    const internal = new AbortController();
    const combined = signal ? AbortSignal.any([signal, internal.signal]) : internal.signal;
    const where = `${operation} ${redactUrl(target.toString())}`;
    const timeoutError = (): UpstreamTimeoutError =>
      new UpstreamTimeoutError(`${where}: no data from upstream for ${timeoutMs} ms`);

    const mapError = (err: unknown): unknown => {
      if (signal?.aborted) return signal.reason;
      if (internal.signal.aborted) return internal.signal.reason;
      if (isStoaError(err)) return err;
      const code = (err as { code?: unknown }).code;
      if (
        code === 'UND_ERR_HEADERS_TIMEOUT' ||
        code === 'UND_ERR_BODY_TIMEOUT' ||
        code === 'UND_ERR_CONNECT_TIMEOUT'
      ) {
        return timeoutError();
      }
      const msg = err instanceof Error ? err.message : String(err);
      return new UpstreamError(`${where}: ${scrub(msg)}`);
    };

    /** Races `p` against the idle timer; on timeout aborts the request. */
    const idle = async <T>(p: Promise<T>): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const t = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = timeoutError();
          internal.abort(e);
          reject(e);
        }, timeoutMs);
      });
      try {
        return await Promise.race([p, t]);
      } finally {
        clearTimeout(timer);
      }
    };

    stats.requests++;
    let status = 0;
    let bytes = 0;
    let reported = false;
    const report = (ok: boolean): void => {
      if (reported) return;
      reported = true;
      options.onRequest?.({ operation, status, bytes, durationMs: performance.now() - started, ok });
    };

    let res: Dispatcher.ResponseData<unknown>;
    try {
      const pending = request(target, {
        method,
        headers: hdrs,
        body,
        signal: combined,
        dispatcher: options.dispatcher,
      });
      pending.catch(() => undefined); // a timeout race may leave it unobserved
      res = await idle(pending);
    } catch (err) {
      report(false);
      throw mapError(err);
    }
    status = res.statusCode;
    const raw = res.body;
    const headers: Headers = res.headers;

    async function* guarded(): AsyncGenerator<Uint8Array> {
      const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      let ok = false;
      try {
        for (;;) {
          let r: IteratorResult<Buffer>;
          try {
            r = await idle(it.next());
          } catch (err) {
            throw mapError(err);
          }
          if (r.done) break;
          bytes += r.value.length;
          stats.bytesReceived += r.value.length;
          yield r.value;
        }
        ok = status >= 200 && status < 300;
      } finally {
        report(ok);
        if (!raw.destroyed) raw.destroy();
      }
    }

    const encoding = header(headers, 'content-encoding').toLowerCase();
    let decoded: AsyncIterable<Uint8Array>;
    try {
      decoded = decodeBody(guarded(), encoding, where, signal);
    } catch (err) {
      raw.destroy();
      report(false);
      throw err;
    }

    const drain = async (): Promise<string> => {
      const parts: Buffer[] = [];
      let n = 0;
      for await (const c of decoded) {
        if (n < ERROR_BODY_LIMIT) parts.push(Buffer.from(c));
        n += c.length;
        if (n >= ERROR_BODY_LIMIT) break;
      }
      return scrub(Buffer.concat(parts).toString('utf8').slice(0, ERROR_BODY_LIMIT));
    };
    return { status, headers, body: decoded, drain };
  }

  async function failFor(
    operation: Operation,
    target: URL,
    status: number,
    headers: Headers,
    drain: () => Promise<string>,
  ): Promise<never> {
    const text = await drain().catch(() => '');
    const where = `${operation} ${redactUrl(target.toString())}`;
    throw errorForStatus({ where, status, headers, text, tokenSent: auth !== undefined });
  }

  return {
    stats,
    get displayUrl() {
      return redactUrl(base);
    },

    async infoRefs(v2, signal) {
      let target = new URL(`${base}/info/refs?service=git-upload-pack`);
      for (let hop = 0; ; hop++) {
        const extra: Record<string, string> = { accept: '*/*', 'accept-encoding': 'gzip' };
        if (v2) extra['git-protocol'] = 'version=2';
        const r = await send(target, 'GET', headersFor(target, extra), undefined, 'info-refs', signal);
        if ([301, 302, 303, 307, 308].includes(r.status)) {
          await r.drain().catch(() => '');
          const loc = header(r.headers, 'location');
          if (!loc || hop >= MAX_REDIRECTS) {
            throw new UpstreamError(`info-refs ${redactUrl(target.toString())}: too many or bad redirects`);
          }
          const next = new URL(loc, target);
          const m = /^(.*)\/info\/refs$/.exec(next.pathname);
          if (!m || (next.protocol !== 'https:' && next.protocol !== 'http:')) {
            throw new UpstreamError(
              `info-refs: redirected to an unexpected location ${redactUrl(next.toString())}`,
            );
          }
          const nb = new URL(next);
          nb.pathname = m[1] ?? '';
          nb.search = '';
          base = nb.toString().replace(/\/+$/, '');
          target = new URL(`${base}/info/refs?service=git-upload-pack`);
          continue;
        }
        if (r.status < 200 || r.status >= 300)
          return failFor('info-refs', target, r.status, r.headers, () => r.drain());
        const contentType = header(r.headers, 'content-type').toLowerCase();
        if (r.status !== 200 || !contentType.startsWith('application/x-git-upload-pack-advertisement')) {
          await r.drain().catch(() => '');
          throw new UpstreamError(
            `info-refs ${redactUrl(target.toString())}: not a git smart-HTTP server (HTTP ${r.status}, ${contentType || 'no content type'})`,
          );
        }
        return { status: r.status, contentType, body: r.body };
      }
    },

    async uploadPack(body, operation, v2, signal, gzipped = false) {
      const target = new URL(`${base}/git-upload-pack`);
      const extra: Record<string, string> = {
        'content-type': 'application/x-git-upload-pack-request',
        accept: 'application/x-git-upload-pack-result',
      };
      if (v2) extra['git-protocol'] = 'version=2';
      if (gzipped) extra['content-encoding'] = 'gzip';
      const r = await send(target, 'POST', headersFor(target, extra), body, operation, signal);
      if (r.status < 200 || r.status >= 300)
        return failFor(operation, target, r.status, r.headers, () => r.drain());
      const contentType = header(r.headers, 'content-type').toLowerCase();
      if (!contentType.startsWith('application/x-git-upload-pack-result')) {
        await r.drain().catch(() => '');
        throw new UpstreamError(
          `${operation} ${redactUrl(target.toString())}: unexpected content type ${contentType || '(none)'}`,
        );
      }
      return { status: r.status, contentType, body: r.body };
    },
  };
}
