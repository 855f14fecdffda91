/** The `stoa` entry point: `stoa copy` dispatches to the cache copy command; bad config exits 2. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

function stoa(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('stoa entry point', () => {
  it('`stoa copy` without stores prints its usage and exits 2', () => {
    const r = stoa(['copy']);
    assert.equal(r.code, 2);
    assert.match(r.err, /usage: stoa copy --from <store> --to <store>/);
  });

  it('`stoa copy` between two empty disk stores copies nothing and exits 0', () => {
    const a = mkdtempSync(path.join(tmpdir(), 'stoa-cli-a-'));
    const b = mkdtempSync(path.join(tmpdir(), 'stoa-cli-b-'));
    try {
      const r = stoa(['copy', '--from', `disk:${a}`, '--to', `disk:${b}`]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /0 copied, 0 skipped, 0 failed/);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('`stoa copy` on a terminal draws a progress bar and ends with the summary', () => {
    const a = mkdtempSync(path.join(tmpdir(), 'stoa-cli-a-'));
    const b = mkdtempSync(path.join(tmpdir(), 'stoa-cli-b-'));
    try {
      // `script` gives the command a pseudo-terminal, as an operator's shell would.
      const cmd = `${process.execPath} --import tsx ${MAIN} copy --from disk:${a} --to disk:${b}`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
        env: { PATH: process.env.PATH, TERM: 'xterm' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /stoa copy \[/, 'the bar was drawn');
      assert.match(r.stdout, /0 copied, 0 skipped, 0 failed/);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('invalid settings are listed and the server does not start (exit 2)', () => {
    const r = stoa([], { STOA_PORT: 'eighty', STOA_FILL_CONCURRENCY: '0' });
    assert.equal(r.code, 2);
    assert.match(r.err, /STOA_PORT/);
    assert.match(r.err, /STOA_FILL_CONCURRENCY/);
  });
});
