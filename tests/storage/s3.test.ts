import { describe, expect, it } from 'vitest';
import { S3Storage } from '../../functions/storage/s3.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { storageContract } from './contract.ts';

const client = testS3Client();
storageContract('s3 (s3rver)', async () => new S3Storage(client, { bucket: await newBucket(client), prefix: '' }));
storageContract(
  's3 below a prefix (s3rver)',
  async () => new S3Storage(client, { bucket: await newBucket(client), prefix: 'site/feeds/' }),
  { manyKeys: 20 },
);

describe('S3Storage', () => {
  it('keeps objects outside its prefix out of its listing', async () => {
    const bucket = await newBucket(client);
    const outside = new S3Storage(client, { bucket, prefix: '' });
    await outside.write('other/a.md', new TextEncoder().encode('x'), { contentType: 'text/markdown' });
    const inside = new S3Storage(client, { bucket, prefix: 'articles/' });
    await inside.write('b.md', new TextEncoder().encode('y'), { contentType: 'text/markdown' });
    const keys: string[] = [];
    for await (const object of inside.list()) keys.push(object.key);
    expect(keys).toEqual(['b.md']);
    expect(inside.displayName('b.md')).toBe(`s3://${bucket}/articles/b.md`);
  });
});
