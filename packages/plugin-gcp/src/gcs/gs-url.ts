import { MlopsError } from '@mlops/core';

/** A bucket and the object-name prefix under it, parsed from `gs://bucket/prefix`. */
export interface GsLocation {
  /** Bucket name. */
  bucket: string;
  /** Object-name prefix without leading or trailing `/` (empty for the bucket root). */
  prefix: string;
}

// Bucket names: 3-63 (or up to 222 with dots) chars of lowercase letters, digits, -, _ and dots.
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** Parses `gs://bucket[/prefix]`; throws a usage error naming the value and its expected form. */
export function parseGsUrl(url: string, source = 'store.remote'): GsLocation {
  const match = /^gs:\/\/([^/]+)\/?(.*)$/.exec(url.trim());
  const bucket = match?.[1] ?? '';
  if (!match || !BUCKET_NAME.test(bucket)) {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `${source} ${JSON.stringify(url)} is not a gs:// URL`, {
      hint: 'Write it as gs://<bucket>/<prefix>, e.g. store: { remote: "gs://my-ml-bucket/mlops" }.',
    });
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket, prefix };
}

/** The full object name of `path` under the location's prefix. */
export function objectNameIn(location: GsLocation, path: string): string {
  return location.prefix ? `${location.prefix}/${path}` : path;
}

/** `gs://bucket/prefix` for a location (and an optional path under it). */
export function formatGsUrl(location: GsLocation, path?: string): string {
  const name = path === undefined ? location.prefix : objectNameIn(location, path);
  return name ? `gs://${location.bucket}/${name}` : `gs://${location.bucket}`;
}

/** Object name of a content-addressed object: `objects/<2 hex>/<62 hex>`, as in the local store. */
export function objectKey(hash: string): string {
  return `objects/${hash.slice(0, 2)}/${hash.slice(2)}`;
}
