/** Typed context variables shared by stoa's middleware and routes. */
import type { CacheResult } from '../service/module-service.js';

export type Endpoint = 'list' | 'latest' | 'info' | 'mod' | 'zip' | 'sumdb' | 'ops' | 'other';

export interface AppEnv {
  Variables: {
    endpoint: Endpoint;
    cacheResult: CacheResult | undefined;
    bytesOut: number | undefined;
    /** Module path of a GOPROXY request. */
    module: string | undefined;
  };
}
