// The local-folder adapter: the embedded default (content/ in, dist/ out). Writes are atomic (temp file + rename).
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { StorageError } from '../core/errors.ts';
import { assertSafeKey, type Storage, type StoredObject, type WriteOptions, type WriteResult } from './port.ts';

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

export class FsStorage implements Storage {
  /**
   * `createIfMissing` is for destinations: an output folder that does not exist yet is created (and lists as empty).
   * A source folder that does not exist is an error, so a mistyped path never builds empty feeds.
   */
  constructor(
    private readonly root: string,
    private readonly options: { createIfMissing?: boolean } = {},
  ) {}

  displayName(key: string): string {
    return join(this.root, key);
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return join(this.root, ...key.split('/'));
  }

  async *list(): AsyncIterable<StoredObject> {
    let entries: Dirent[];
    try {
      if (this.options.createIfMissing) await mkdir(this.root, { recursive: true });
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (error) {
      throw new StorageError(`Cannot list ${this.root}: ${(error as Error).message}`, 'Unreadable', { cause: error });
    }
    for (const entry of entries) {
      if (!entry.isFile() || entry.name.startsWith('.tmp-')) continue;
      const path = join(entry.parentPath, entry.name);
      const info = await stat(path);
      yield { key: relative(this.root, path).split(sep).join('/'), version: `${info.size}-${info.mtimeMs}` };
    }
  }

  async read(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      const code = isMissing(error) ? 'NotFound' : 'Unreadable';
      throw new StorageError(`Cannot read ${this.displayName(key)}: ${(error as Error).message}`, code, {
        cause: error,
      });
    }
  }

  async write(key: string, body: Uint8Array, _options: WriteOptions): Promise<WriteResult> {
    const path = this.pathOf(key);
    const current = await readFile(path).catch((error) => (isMissing(error) ? undefined : Promise.reject(error)));
    if (current && Buffer.compare(current, body) === 0) return 'unchanged';
    try {
      await mkdir(dirname(path), { recursive: true });
      const temporary = join(dirname(path), `.tmp-${process.pid}-${key.split('/').at(-1)}`);
      await writeFile(temporary, body);
      await rename(temporary, path);
      return 'written';
    } catch (error) {
      throw new StorageError(`Cannot write ${this.displayName(key)}: ${(error as Error).message}`, 'Unwritable', {
        cause: error,
      });
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
