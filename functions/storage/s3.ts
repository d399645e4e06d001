// The S3 adapter. ETags learned from a listing let write-if-changed compare without a request per object; paging,
// retries with backoff (the SDK's standard mode) and error mapping stay here, out of the pipeline.
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StorageError } from '../core/errors.ts';
import { assertSafeKey, type Storage, type StoredObject, type WriteOptions, type WriteResult } from './port.ts';

export interface S3Location {
  bucket: string;
  /** '' or a folder ending in '/'. */
  prefix: string;
}

const unquote = (etag: string | undefined) => etag?.replace(/^"|"$/g, '');
const isMissing = (error: unknown) => {
  const name = (error as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
};

export class S3Storage implements Storage {
  /** ETags of the objects below the prefix, as of the last complete listing plus this instance's own writes. */
  private readonly etags = new Map<string, string>();
  private listed = false;

  constructor(
    private readonly client: S3Client,
    private readonly location: S3Location,
  ) {}

  displayName(key: string): string {
    return `s3://${this.location.bucket}/${this.location.prefix}${key}`;
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return `${this.location.prefix}${key}`;
  }

  async *list(): AsyncIterable<StoredObject> {
    const { bucket, prefix } = this.location;
    const seen = new Map<string, string>();
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: bucket, Prefix: prefix })) {
        for (const object of page.Contents ?? []) {
          if (!object.Key || object.Key.endsWith('/')) continue;
          const key = object.Key.slice(prefix.length);
          const version = unquote(object.ETag) ?? '';
          seen.set(key, version);
          yield { key, version, ...(object.Size === undefined ? {} : { size: object.Size }) };
        }
      }
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageError(`Cannot list s3://${bucket}/${prefix}: ${(error as Error).message}`, 'Unreadable', {
        cause: error,
      });
    }
    this.etags.clear();
    for (const [key, etag] of seen) this.etags.set(key, etag);
    this.listed = true;
  }

  async read(key: string): Promise<Uint8Array> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }),
      );
      if (!response.Body) throw new Error('empty response body');
      return await response.Body.transformToByteArray();
    } catch (error) {
      const code = isMissing(error) ? 'NotFound' : 'Unreadable';
      throw new StorageError(`Cannot read ${this.displayName(key)}: ${(error as Error).message}`, code, {
        cause: error,
      });
    }
  }

  /** The stored ETag: from the last listing when there was one (absent there means absent), else a HEAD request. */
  private async currentEtag(key: string): Promise<string | undefined> {
    if (this.etags.has(key) || this.listed) return this.etags.get(key);
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }),
      );
      return unquote(head.ETag);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new StorageError(`Cannot read ${this.displayName(key)}: ${(error as Error).message}`, 'Unreadable', {
        cause: error,
      });
    }
  }

  async write(key: string, body: Uint8Array, options: WriteOptions): Promise<WriteResult> {
    // A single-part upload's ETag is the MD5 of its bytes (SSE-S3 and unencrypted buckets). Where it is not (SSE-KMS),
    // the comparison always differs and the object is simply rewritten: never wrong, only less thrifty.
    const md5 = createHash('md5').update(body).digest();
    if ((await this.currentEtag(key)) === md5.toString('hex')) return 'unchanged';
    try {
      const response = await this.client.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.objectKey(key),
          Body: body,
          ContentMD5: md5.toString('base64'),
          ContentType: options.contentType,
          ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
        }),
      );
      this.etags.set(key, unquote(response.ETag) ?? md5.toString('hex'));
      return 'written';
    } catch (error) {
      throw new StorageError(`Cannot write ${this.displayName(key)}: ${(error as Error).message}`, 'Unwritable', {
        cause: error,
      });
    }
  }

  /** From the listing's ETags (a single-part upload's ETag is its MD5): no request after a listing. */
  async holds(key: string, md5: string): Promise<boolean> {
    return (await this.currentEtag(key)) === md5;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.objectKey(key) }));
      this.etags.delete(key);
    } catch (error) {
      throw new StorageError(`Cannot delete ${this.displayName(key)}: ${(error as Error).message}`, 'Unwritable', {
        cause: error,
      });
    }
  }
}
