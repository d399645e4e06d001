// Where a source or destination lives: a local folder or `s3://bucket/prefix`, and the storage that serves it.
// The AWS SDK is loaded only for a location in S3: a local build never pays its start-up time and memory.
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { FsStorage } from './fs.ts';
import type { Storage } from './port.ts';

export type Location = { kind: 'fs'; path: string } | { kind: 's3'; bucket: string; prefix: string };

/** `s3://bucket/some/prefix` → an S3 location (prefix ends in `/`); anything else is a folder path. */
export function parseLocation(value: string): Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value);
  if (!match) return { kind: 'fs', path: value };
  const [, bucket = '', rest = ''] = match;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(`Not a valid S3 bucket name in ${value}: 3-63 lower-case letters, digits, dots or hyphens`);
  }
  const prefix = rest.replace(/^\/+|\/+$/g, '');
  return { kind: 's3', bucket, prefix: prefix ? `${prefix}/` : '' };
}

/**
 * S3 client settings from the standard AWS environment. The SDK itself finds credentials and AWS_REGION; the endpoint
 * (AWS_ENDPOINT_URL_S3, or AWS_ENDPOINT_URL) is taken from `env` here so the settings come from one place. A custom,
 * S3-compatible endpoint gets path-style addressing and checksums only when required, which such stores need
 * (s3rver would otherwise store aws-chunked framing inside the object).
 */
export function s3ClientConfig(env: Record<string, string | undefined>): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  return {
    maxAttempts: 5, // standard retry mode: exponential backoff with jitter on throttling and 5xx (SlowDown)
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  };
}

/** Opens the storage for a location; the S3 client is created (and the SDK loaded) only when needed. */
export async function openStorage(
  location: Location,
  s3: () => Promise<S3Client>,
  role: 'source' | 'destination',
): Promise<Storage> {
  if (location.kind === 'fs') return new FsStorage(location.path, { createIfMissing: role === 'destination' });
  const { S3Storage } = await import('./s3.ts');
  return new S3Storage(await s3(), location);
}

/** One S3 client for every location of a run, created on first use. */
export function lazyS3Client(env: Record<string, string | undefined>): () => Promise<S3Client> {
  let client: Promise<S3Client> | undefined;
  return () => {
    client ??= import('@aws-sdk/client-s3').then(({ S3Client }) => new S3Client(s3ClientConfig(env)));
    return client;
  };
}
