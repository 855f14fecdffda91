/** Operational endpoints: `/healthz` (alive), `/readyz` (store reachable, not draining), `/version`. */
import type { Hono } from 'hono';
import type { AppEnv } from './app-env.js';

export interface OpsDeps {
  version: string;
  /** Throws when the store is unreachable. */
  checkStore: (signal: AbortSignal) => Promise<void>;
  isDraining: () => boolean;
}

export function registerOpsRoutes(app: Hono<AppEnv>, deps: OpsDeps): void {
  app.get('/healthz', (c) => {
    c.set('endpoint', 'ops');
    return c.text('ok\n');
  });
  app.get('/readyz', async (c) => {
    c.set('endpoint', 'ops');
    if (deps.isDraining()) return c.text('draining\n', 503);
    try {
      await deps.checkStore(AbortSignal.timeout(5000));
    } catch {
      return c.text('store unreachable\n', 503);
    }
    return c.text('ready\n');
  });
  app.get('/version', (c) => {
    c.set('endpoint', 'ops');
    return c.json({ name: 'stoa', version: deps.version, node: process.version });
  });
}
