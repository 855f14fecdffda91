/**
 * The logger's default destination (stdout, written asynchronously) loses nothing when the process
 * exits right after logging; request lines (which skip pino's redaction pass) carry exactly the
 * request's fields, while every other line is still redacted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogTelemetry } from '../../src/log-telemetry.js';
import { createLogger } from '../../src/logger.js';

const LOGGER = fileURLToPath(new URL('../../src/logger.ts', import.meta.url));

function capture(): { destination: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { destination, lines };
}

describe('logger', () => {
  it('writes every line to stdout before the process exits, even on an immediate process.exit', () => {
    const n = 20_000;
    const program = `
      import { createLogger } from ${JSON.stringify(LOGGER)};
      const logger = createLogger({ level: 'info' });
      for (let i = 0; i < ${n}; i++) logger.info({ i, pad: 'x'.repeat(100) }, 'line');
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    const seen = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { i: number }).i);
    assert.equal(seen.length, n);
    assert.deepEqual(
      seen.slice(0, 3).concat(seen.slice(-3)),
      [0, 1, 2, n - 3, n - 2, n - 1],
      'in order, none lost',
    );
  });

  it('request lines carry the request fields as they are; other lines are still redacted', () => {
    const { destination, lines } = capture();
    const logger = createLogger({ level: 'info', destination });
    const telemetry = createLogTelemetry(logger);
    telemetry.request({
      method: 'GET',
      endpoint: 'info',
      module: 'github.com/acme/x',
      path: '/github.com/acme/x/@v/v1.0.0.info',
      status: 200,
      durationMs: 1.234,
      cache: 'hit',
      bytes: 186,
    });
    logger.warn({ token: 'ghp_secretvalue123', headers: { authorization: 'Basic abc' } }, 'other');
    const [request, other] = lines();
    assert.ok(request !== undefined && other !== undefined);
    const { time, ...rest } = request;
    assert.equal(typeof time, 'string');
    assert.deepEqual(rest, {
      level: 'info',
      service: 'stoa',
      method: 'GET',
      path: '/github.com/acme/x/@v/v1.0.0.info',
      endpoint: 'info',
      module: 'github.com/acme/x',
      status: 200,
      durationMs: 1.2,
      cache: 'hit',
      bytes: 186,
      msg: 'request',
    });
    assert.equal(other.token, '[redacted]');
    assert.deepEqual(other.headers, { authorization: '[redacted]' });
  });
});
