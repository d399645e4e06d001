// S3 clients and buckets for tests, against the s3rver stand-in started by global-setup.ts.
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';

/** A client with the settings s3rver needs: path-style addressing and checksums only when required. */
export function testS3Client(endpoint = inject('s3Endpoint')): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
}

/** A new, empty bucket with a unique name, so tests never share state. */
export async function newBucket(client: S3Client, label = 'test'): Promise<string> {
  const name = `${label}-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}
