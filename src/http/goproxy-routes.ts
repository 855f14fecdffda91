/**
 * The GOPROXY endpoints (spec §1.1): `/<module>/@v/list`, `/<module>/@v/<version>.info|.mod|.zip`,
 * `/<module>/@latest`, and a 404 for `/sumdb/...` (stoa does not proxy checksum databases, so the
 * go command talks to sum.golang.org directly, §1.7). GET and HEAD.
 */
import type { Context, Hono } from 'hono';
import { NotFoundError } from '../errors.js';
import type { ModuleService } from '../service/module-service.js';
import type { AppEnv } from './app-env.js';
import { parseGoproxyPath } from './goproxy-request.js';

type ResponseBody = ConstructorParameters<typeof Response>[0];

export const TEXT = 'text/plain; charset=utf-8';
/** Artifacts of a canonical version never change. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Lists, latest, and queries that name a branch or a hash can move. */
const SHORT = 'public, max-age=60';
export const JSON_TYPE = 'application/json';

export function rawPath(c: Context<AppEnv>): string {
  // The raw (still percent-encoded) path: decoding happens once, in parseGoproxyPath.
  const url = c.req.url;
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const end = url.indexOf('?', start);
  return start < 0 ? '/' : url.slice(start, end < 0 ? undefined : end);
}

function respond(
  c: Context<AppEnv>,
  body: ResponseBody,
  type: string,
  length: number,
  cacheControl: string,
): Response {
  const isHead = c.req.method === 'HEAD';
  if (isHead && body instanceof ReadableStream) void body.cancel().catch(() => undefined);
  // Counted here: reading it back from the response's headers would make it build a Headers object.
  c.set('bytesOut', length);
  const headers = { 'content-type': type, 'content-length': String(length), 'cache-control': cacheControl };
  return new Response(isHead ? null : body, { status: 200, headers });
}

export function registerGoproxyRoutes(app: Hono<AppEnv>, service: ModuleService): void {
  app.on(['GET', 'HEAD'], '*', async (c) => {
    const req = parseGoproxyPath(rawPath(c));
    // The request's AbortSignal is created on first access, so only zips (which stream) use it; a
    // small answer's waiter that outlives its client only waits for a fill that runs anyway.
    if (req.kind !== 'sumdb') c.set('module', req.module);
    switch (req.kind) {
      case 'sumdb':
        throw new NotFoundError(
          'stoa does not proxy checksum databases; the go command will use sum.golang.org',
        );
      case 'list': {
        c.set('endpoint', 'list');
        const { value, cache } = await service.list(req.module);
        c.set('cacheResult', cache);
        const body = value.length === 0 ? '' : `${value.join('\n')}\n`;
        return respond(c, body, TEXT, Buffer.byteLength(body), SHORT);
      }
      case 'latest': {
        c.set('endpoint', 'latest');
        const { value, cache } = await service.latest(req.module);
        c.set('cacheResult', cache);
        const body = JSON.stringify(value);
        return respond(c, body, JSON_TYPE, Buffer.byteLength(body), SHORT);
      }
      case 'info': {
        c.set('endpoint', 'info');
        const { value, cache, raw } = await service.info(req.module, req.version);
        c.set('cacheResult', cache);
        const body = raw ?? JSON.stringify(value);
        // A query naming a branch, a hash or HEAD can resolve differently tomorrow.
        const cc = value.Version === req.version ? IMMUTABLE : SHORT;
        return respond(
          c,
          body,
          JSON_TYPE,
          typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
          cc,
        );
      }
      case 'mod': {
        c.set('endpoint', 'mod');
        const { value, cache } = await service.mod(req.module, req.version);
        c.set('cacheResult', cache);
        return respond(c, value, TEXT, value.byteLength, IMMUTABLE);
      }
      case 'zip': {
        c.set('endpoint', 'zip');
        const { value, cache } = await service.zip(req.module, req.version, c.req.raw.signal);
        c.set('cacheResult', cache);
        return respond(c, value.body, 'application/zip', value.size, IMMUTABLE);
      }
    }
  });
}
