import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { StorageError } from '../../functions/core/errors.ts';
import { FsStorage } from '../../functions/storage/fs.ts';
import { useTempDirs } from '../support/temp-dir.ts';
import { storageContract } from './contract.ts';

const tempDir = useTempDirs();
storageContract('fs', async () => new FsStorage(await tempDir()));

it('leaves no temporary files behind after writing', async () => {
  const root = await tempDir();
  const storage = new FsStorage(root);
  await storage.write('dir/a.xml', new TextEncoder().encode('<a/>'), { contentType: 'application/xml' });
  expect(await readdir(join(root, 'dir'))).toEqual(['a.xml']);
});

it('throws an Unreadable StorageError when the root folder does not exist', async () => {
  const storage = new FsStorage(join(await tempDir(), 'missing'));
  const list = async () => {
    for await (const _ of storage.list()) return;
  };
  await expect(list()).rejects.toSatisfy((error) => error instanceof StorageError && error.code === 'Unreadable');
});

it('creates a missing destination folder, which then lists as empty', async () => {
  const root = join(await tempDir(), 'new', 'dist');
  const storage = new FsStorage(root, { createIfMissing: true });
  const keys: string[] = [];
  for await (const object of storage.list()) keys.push(object.key);
  expect(keys).toEqual([]);
  expect(await readdir(root)).toEqual([]);
});
