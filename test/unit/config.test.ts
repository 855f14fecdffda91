/** src/config.ts: parsing, Athens aliases, validation with every problem listed, secrets hidden. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('accepts Athens names as aliases, with the STOA_ name winning', () => {
    const c = loadConfig({
      ATHENS_PORT: ':3100',
      ATHENS_STORAGE_TYPE: 'minio',
      ATHENS_MINIO_BUCKET_NAME: 'gomods',
      ATHENS_GITHUB_TOKEN: 'ghp_x',
      ATHENS_DISK_STORAGE_ROOT: '/var/athens',
      STOA_STORAGE_ROOT: '/var/stoa',
    });
    assert.equal(c.port, 3100);
    assert.equal(c.storageType, 's3');
    assert.equal(c.s3Bucket, 'gomods');
    assert.equal(c.githubToken, 'ghp_x');
    assert.equal(c.storageRoot, '/var/stoa');
  });

  it('proxies sum.golang.org by default; STOA_SUMDBS (or ATHENS_SUM_DBS) lists databases, `off` for none', () => {
    const golang = { name: 'sum.golang.org', url: 'https://sum.golang.org' };
    assert.deepEqual(loadConfig({}).sumdbs, [golang]);
    assert.deepEqual(loadConfig({ STOA_SUMDBS: 'off' }).sumdbs, []);
    assert.deepEqual(
      loadConfig({
        ATHENS_SUM_DBS:
          'https://sum.golang.org/, sum.golang.org=https://sum.golang.google.cn/x/, https://Sum.Example:8443',
      }).sumdbs,
      [
        golang,
        { name: 'sum.golang.org', url: 'https://sum.golang.google.cn/x' },
        { name: 'sum.example:8443', url: 'https://Sum.Example:8443' },
      ],
    );
    assert.throws(
      () => loadConfig({ STOA_SUMDBS: 'sum.golang.org,ftp://x.example' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /bad entry "sum\.golang\.org"/.test(err.message) &&
        /bad entry "ftp:\/\/x\.example"/.test(err.message),
    );
    assert.equal(loadConfig({ ATHENS_GONOSUM_PATTERNS: 'github.com/corp/*' }).noSumdb, 'github.com/corp/*');
  });

  it('parses durations, host maps and booleans', () => {
    const c = loadConfig({
      STOA_FILL_TIMEOUT: '90',
      STOA_UPSTREAM_TIMEOUT: '1500ms',
      STOA_SHUTDOWN_TIMEOUT: '2m',
      STOA_HOST_MAP: 'golang.org=http://127.0.0.1:8080/x/, go.googlesource.com=https://mirror.example/g',
      STOA_OFFLINE: 'true',
    });
    assert.equal(c.fillTimeout, 90_000);
    assert.equal(c.upstreamIdleTimeout, 1500);
    assert.equal(c.shutdownTimeout, 120_000);
    assert.deepEqual(c.hostMap, {
      'golang.org': 'http://127.0.0.1:8080/x',
      'go.googlesource.com': 'https://mirror.example/g',
    });
    assert.equal(c.offline, true);
    assert.ok(Object.isFrozen(c));
  });

  it('lists every problem at once and never echoes a secret', () => {
    assert.throws(
      () =>
        loadConfig({
          STOA_PORT: 'eighty',
          STOA_FILL_CONCURRENCY: '0',
          STOA_OFFLINE: 'maybe',
          STOA_HOST_MAP: 'nonsense',
          STOA_STORAGE_TYPE: 's3',
          STOA_S3_SECRET_ACCESS_KEY: 'supersecretvalue',
          // an invalid secret is reported by name only
          STOA_GITHUB_TOKEN: '  ',
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.problems.length >= 4, err.message);
        assert.match(err.message, /STOA_PORT/);
        assert.match(err.message, /STOA_FILL_CONCURRENCY/);
        assert.match(err.message, /STOA_OFFLINE/);
        assert.match(err.message, /STOA_HOST_MAP/);
        assert.doesNotMatch(err.message, /supersecretvalue/);
        assert.match(err.message, /STOA_GITHUB_TOKEN=\(hidden\)/);
        return true;
      },
    );
  });

  it('never echoes credentials embedded in a URL setting', () => {
    assert.throws(
      () => loadConfig({ STOA_GITHUB_URL: 'ftp://user:hunter2secret@example.com' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /STOA_GITHUB_URL/);
        assert.doesNotMatch(err.message, /hunter2secret/);
        return true;
      },
    );
  });

  it('requires a bucket for s3 and gcs, and S3 keys in pairs', () => {
    assert.throws(() => loadConfig({ STOA_STORAGE_TYPE: 's3' }), /STOA_S3_BUCKET is required/);
    assert.throws(() => loadConfig({ STOA_STORAGE_TYPE: 'gcp' }), /STOA_GCS_BUCKET is required/);
    assert.throws(
      () => loadConfig({ STOA_S3_ACCESS_KEY_ID: 'AKIA' }),
      /STOA_S3_ACCESS_KEY_ID and STOA_S3_SECRET_ACCESS_KEY go together/,
    );
  });
});
