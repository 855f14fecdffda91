/**
 * The GOPROXY endpoints (spec §1.1): `/<module>/@v/list`, `/<module>/@v/<version>.info|.mod|.zip`,
 * `/<module>/@latest`, and `/sumdb/<db>/...` for the checksum databases stoa proxies (404 for others,
 * so the go command talks to those directly, §1.7). GET and HEAD.
 */
import type { Context, Hono } from 'hono';
import { NotFoundError } from '../errors.js';
import type { ModuleService } from '../service/module-service.js';
import type { SumdbProxy } from '../service/sumdb-proxy.js';
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

export function registerGoproxyRoutes(app: Hono<AppEnv>, service: ModuleService, sumdb?: SumdbProxy): void {
  app.on(['GET', 'HEAD'], '*', async (c) => {
    const req = parseGoproxyPath(rawPath(c));
    // The request's AbortSignal is created on first access, so only zips (which stream) use it; a
    // small answer's waiter that outlives its client only waits for a fill that runs anyway.
    if (req.kind !== 'sumdb') c.set('module', req.module);
    switch (req.kind) {
      case 'sumdb': {
        c.set('endpoint', 'sumdb');
        const slash = req.rest.indexOf('/');
        const name = slash < 0 ? req.rest : req.rest.slice(0, slash);
        const path = slash < 0 ? '' : req.rest.slice(slash + 1);
        if (sumdb === undefined || !sumdb.supports(name)) {
          throw new NotFoundError(
            `stoa does not proxy the checksum database ${name.slice(0, 100)}; the go command will contact it directly`,
          );
        }
        if (path === 'supported') {
          if (!(await sumdb.reachable(name))) {
            throw new NotFoundError(
              `the checksum database ${name} is unreachable from stoa; ask it directly`,
            );
          }
          return respond(c, '', TEXT, 0, SHORT);
        }
        const answer = await sumdb.get(name, path, c.req.raw.signal);
        const cc = answer.cacheControl ?? SHORT;
        return respond(c, answer.body, answer.contentType, answer.body.byteLength, cc);
      }
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
