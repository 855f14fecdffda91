/**
 * End-to-end harness: a local git server that behaves like github.com (401 for missing repos), a
 * running stoa whose GitHub base URL points at it, and go sandboxes for both stoa and direct mode.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { startGitServer, type GitServer, type GitServerOptions } from '../fixtures/git-server.js';
import { GoSandbox } from '../fixtures/go.js';

export interface Harness {
  gitRoot: string;
  git: GitServer;
  stoa: RunningServer;
  storageRoot: string;
  /** The directory holding the store (and nothing else). */
  sandbox: string;
  logs: string[];
  /** A go sandbox using stoa as GOPROXY (with extra environment, e.g. a GOSUMDB). */
  viaStoa(env?: NodeJS.ProcessEnv): GoSandbox;
  /** A go sandbox in direct mode against the same git server. */
  direct(): GoSandbox;
  close(): Promise<void>;
}

/**
 * Tests never reach the internet: by default only github.com (the local git server) and example.org
 * (mapped by the tests that use it) are fetched; every other host is `none` (served from the store only).
 */
const DEFAULT_POLICY = {
  mode: 'none',
  rules: [
    { pattern: 'github.com', mode: 'sync' },
    { pattern: 'example.org', mode: 'sync' },
  ],
};

export interface HarnessOptions {
  /** Extra settings; a function gets the git server's URL (for host maps). */
  env?: Record<string, string> | ((gitUrl: string) => Record<string, string>);
  intercept?: GitServerOptions['intercept'];
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const gitRoot = mkdtempSync(path.join(tmpdir(), 'stoa-e2e-git-'));
  // The store lives one level down, so a test can check that nothing lands beside it.
  const sandbox = mkdtempSync(path.join(tmpdir(), 'stoa-e2e-store-'));
  const storageRoot = path.join(sandbox, 'store');
  const git = await startGitServer({ root: gitRoot, missingAs401: true, intercept: options.intercept });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const policyDir = mkdtempSync(path.join(tmpdir(), 'stoa-e2e-policy-'));
  const policyFile = path.join(policyDir, 'download.json');
  writeFileSync(policyFile, JSON.stringify(DEFAULT_POLICY));
  const config = loadConfig({
    STOA_DOWNLOAD_FILE: policyFile,
    STOA_HOST: '127.0.0.1',
    STOA_STORAGE_ROOT: storageRoot,
    STOA_GITHUB_URL: git.url,
    STOA_LOG_LEVEL: 'info',
    STOA_UPSTREAM_TIMEOUT: '20s',
    STOA_FILL_TIMEOUT: '60s',
    // No checksum database proxying unless a test maps one to a local server (never the internet).
    STOA_SUMDBS: 'off',
    ...(typeof options.env === 'function' ? options.env(git.url) : options.env),
  });
  // port 0: an ephemeral port (the setting itself must be 1–65535)
  const stoa = await startServer(
    { ...config, port: 0 },
    createLogger({ level: config.logLevel, destination: sink }),
  );
  const sandboxes: GoSandbox[] = [];
  return {
    gitRoot,
    git,
    stoa,
    storageRoot,
    sandbox,
    logs,
    viaStoa(env) {
      const s = new GoSandbox({ goproxy: stoa.url, env });
      sandboxes.push(s);
      return s;
    },
    direct() {
      const s = new GoSandbox({ goproxy: 'direct', gitServerUrl: git.url });
      sandboxes.push(s);
      return s;
    },
    async close() {
      for (const s of sandboxes) s.dispose();
      await stoa.close();
      await git.close();
      rmSync(gitRoot, { recursive: true, force: true });
      rmSync(sandbox, { recursive: true, force: true });
      rmSync(policyDir, { recursive: true, force: true });
    },
  };
}
