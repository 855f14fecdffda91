/**
 * Store specs on the `stoa copy` command line:
 *   disk:/var/cache/athens  (or a plain path)   memory:
 *   s3://bucket/prefix?region=eu-west-1&endpoint=http://minio:9000&path-style=true
 *   gcs://bucket/prefix?project=my-project&endpoint=http://127.0.0.1:9199&key-file=/sa.json
 * S3 and GCS credentials come from their SDKs' default chains (environment, profile, metadata).
 */
import type { StorageConfig } from '../../storage/index.js';

export class StoreSpecError extends Error {
  override readonly name = 'StoreSpecError';
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null || value === '' ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}

export function parseStoreSpec(spec: string): StorageConfig {
  if (spec === 'memory:') return { type: 'memory' };
  if (spec.startsWith('disk:')) {
    const root = spec.slice('disk:'.length);
    if (root === '') throw new StoreSpecError(`disk store needs a path: ${spec}`);
    return { type: 'disk', root };
  }
  if (spec.startsWith('s3://') || spec.startsWith('gcs://')) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch (err) {
      throw new StoreSpecError(`not a valid store URL: ${spec}`, { cause: err });
    }
    const bucket = url.hostname;
    if (bucket === '') throw new StoreSpecError(`store URL needs a bucket: ${spec}`);
    const prefix = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
    const q = url.searchParams;
    if (url.protocol === 's3:') {
      const pathStyle = q.get('path-style');
      return {
        type: 's3',
        bucket,
        ...optional('prefix', prefix),
        ...optional('region', q.get('region')),
        ...optional('endpoint', q.get('endpoint')),
        ...(pathStyle === null ? {} : { forcePathStyle: pathStyle === 'true' || pathStyle === '1' }),
      };
    }
    return {
      type: 'gcs',
      bucket,
      ...optional('prefix', prefix),
      ...optional('projectId', q.get('project')),
      ...optional('apiEndpoint', q.get('endpoint')),
      ...optional('keyFilename', q.get('key-file')),
    };
  }
  if (/^[a-z0-9]+:/i.test(spec)) throw new StoreSpecError(`unknown store type: ${spec}`);
  if (spec === '') throw new StoreSpecError('empty store spec');
  return { type: 'disk', root: spec };
}
