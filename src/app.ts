/**
 * createApp(deps): the hono application. Middleware order: draining guard, request log, routes
 * (ops and observability first, then the GOPROXY catch-all), and one onError that maps every error through
 * errorAnswer.
 */
import { Hono } from 'hono';
import type { AppEnv } from './http/app-env.js';
import { errorAnswer } from './http/error-response.js';
import { rawPath, registerGoproxyRoutes } from './http/goproxy-routes.js';
import { registerObservabilityRoutes, type ObservabilityDeps } from './http/observability-routes.js';
import { registerOpsRoutes, type OpsDeps } from './http/ops-routes.js';
import type { Logger } from './logger.js';
import type { ModuleService } from './service/module-service.js';
import type { SumdbProxy } from './service/sumdb-proxy.js';
import type { Telemetry } from './telemetry.js';

export interface AppDeps extends OpsDeps {
  service: ModuleService;
  logger: Logger;
  telemetry: Telemetry;
  /** The checksum databases proxied under `/sumdb/`; none when absent. */
  sumdb?: SumdbProxy;
  /** `/metrics`, `/stats` and the dashboard at `/`; absent in apps built without them. */
  observability?: ObservabilityDeps;
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async function drainingGuard(c, next) {
    if (deps.isDraining() && c.req.path !== '/healthz' && c.req.path !== '/readyz') {
      c.header('retry-after', '5');
      c.header('connection', 'close');
      return c.text('overloaded: stoa is shutting down\n', 503);
    }
    await next();
  });

  app.use('*', async function reportRequest(c, next) {
    const start = performance.now();
    c.set('endpoint', 'other');
    await next();
    deps.telemetry.request({
      method: c.req.method,
      endpoint: c.get('endpoint'),
      module: c.get('module'),
      path: c.req.path,
      status: c.res.status,
      durationMs: performance.now() - start,
      cache: c.get('cacheResult'),
      bytes: c.get('bytesOut') ?? Number(c.res.headers.get('content-length') ?? 0),
    });
  });

  registerOpsRoutes(app, deps);
  if (deps.observability) registerObservabilityRoutes(app, deps.observability);
  registerGoproxyRoutes(app, deps.service, deps.sumdb);

  app.onError((err, c) => {
    const answer = errorAnswer(err, rawPath(c));
    if (answer.status >= 500)
      deps.logger.warn({ err, path: c.req.path, code: answer.code }, 'request failed');
    return new Response(c.req.method === 'HEAD' ? null : answer.body, {
      status: answer.status,
      headers: answer.headers,
    });
  });

  return app;
}
