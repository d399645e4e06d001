// An in-memory adapter: for tests of the pipeline and as the reference the shared storage contract is checked against.
import { createHash } from 'node:crypto';
import { StorageError } from '../core/errors.ts';
import { assertSafeKey, type Storage, type StoredObject, type WriteOptions, type WriteResult } from './port.ts';

export interface MemoryObject {
  body: Uint8Array;
  options: WriteOptions;
}

export class MemoryStorage implements Storage {
  readonly objects = new Map<string, MemoryObject>();

  displayName(key: string): string {
    return `memory:${key}`;
  }

  async *list(): AsyncIterable<StoredObject> {
    for (const [key, { body }] of this.objects) {
      yield { key, version: createHash('md5').update(body).digest('hex'), size: body.byteLength };
    }
  }

  async read(key: string): Promise<Uint8Array> {
    const object = this.objects.get(key);
    if (!object) throw new StorageError(`Cannot read ${this.displayName(key)}: no such key`, 'NotFound');
    return object.body;
  }

  async write(key: string, body: Uint8Array, options: WriteOptions): Promise<WriteResult> {
    assertSafeKey(key);
    const current = this.objects.get(key);
    if (current && Buffer.compare(current.body, body) === 0) return 'unchanged';
    this.objects.set(key, { body: new Uint8Array(body), options });
    return 'written';
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async holds(key: string, md5: string): Promise<boolean> {
    const object = this.objects.get(key);
    return object !== undefined && createHash('md5').update(object.body).digest('hex') === md5;
  }

  /** Test convenience: a text object. */
  put(key: string, text: string): void {
    this.objects.set(key, { body: new TextEncoder().encode(text), options: { contentType: 'text/markdown' } });
  }

  text(key: string): string | undefined {
    const object = this.objects.get(key);
    return object && new TextDecoder().decode(object.body);
  }
}
