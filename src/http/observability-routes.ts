/**
 * `/metrics` (Prometheus text format), `/stats` (JSON) and the dashboard at `/` with its script.
 * Registered before the GOPROXY catch-all; none of these paths can be a GOPROXY path (those
 * always contain `/@v/` or `/@latest`).
 */
import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { StatsReport } from '../stats/stats-service.js';
import type { AppEnv } from './app-env.js';
import { DASHBOARD_HTML } from './dashboard/page-html.js';
import { DASHBOARD_JS } from './dashboard/page-script.js';

export interface ObservabilityDeps {
  registry: Registry;
  stats: () => Promise<StatsReport>;
}

const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerObservabilityRoutes(app: Hono<AppEnv>, deps: ObservabilityDeps): void {
  app.get('/metrics', async (c) => {
    c.set('endpoint', 'ops');
    const body = await deps.registry.metrics();
    return c.body(body, 200, { 'content-type': deps.registry.contentType, 'cache-control': 'no-store' });
  });
  app.get('/stats', async (c) => {
    c.set('endpoint', 'ops');
    const report = await deps.stats();
    return c.json(report, 200, { 'cache-control': 'no-store' });
  });
  app.get('/', (c) => {
    c.set('endpoint', 'ops');
    return c.html(DASHBOARD_HTML, 200, {
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
  });
  app.get('/dashboard.js', (c) => {
    c.set('endpoint', 'ops');
    return c.body(DASHBOARD_JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
  });
}
