// The storage contract every adapter must pass: list, read, write-if-changed, delete, missing keys, many keys.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../functions/core/errors.ts';
import { isUnlisted, type Storage } from '../../functions/storage/port.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const meta = { contentType: 'text/plain; charset=utf-8' };

async function keysOf(storage: Storage): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list()) keys.push(object.key);
  return keys.sort();
}

async function versionOf(storage: Storage, key: string): Promise<string | undefined> {
  for await (const entry of storage.list()) if (entry.key === key && !isUnlisted(entry)) return entry.version;
  return undefined;
}

/** Runs the contract against fresh, empty storage from `make`. */
export function storageContract(name: string, make: () => Promise<Storage>, options: { manyKeys?: number } = {}): void {
  describe(`${name} storage contract`, () => {
    it('reads back what it wrote, at nested keys too', async () => {
      const storage = await make();
      expect(await storage.write('a.txt', bytes('alpha'), meta)).toBe('written');
      expect(await storage.write('deep/er/b.txt', bytes('beta ü 漢'), meta)).toBe('written');
      expect(text(await storage.read('a.txt'))).toBe('alpha');
      expect(text(await storage.read('deep/er/b.txt'))).toBe('beta ü 漢');
      expect(await keysOf(storage)).toEqual(['a.txt', 'deep/er/b.txt']);
    });

    it("tells each object's size in bytes in the listing", async () => {
      const storage = await make();
      await storage.write('a.txt', bytes('beta ü 漢'), meta);
      const sizes = [];
      for await (const entry of storage.list()) if (!isUnlisted(entry)) sizes.push(entry.size);
      expect(sizes).toEqual([11]);
    });

    it('answers "unchanged" and keeps the version when the bytes are the same', async () => {
      const storage = await make();
      await storage.write('a.txt', bytes('alpha'), meta);
      const before = await versionOf(storage, 'a.txt');
      expect(await storage.write('a.txt', bytes('alpha'), meta)).toBe('unchanged');
      expect(await versionOf(storage, 'a.txt')).toBe(before);
    });

    it('overwrites and changes the version when the bytes differ', async () => {
      const storage = await make();
      await storage.write('a.txt', bytes('alpha'), meta);
      const before = await versionOf(storage, 'a.txt');
      expect(await storage.write('a.txt', bytes('alphabet'), meta)).toBe('written');
      expect(text(await storage.read('a.txt'))).toBe('alphabet');
      expect(await versionOf(storage, 'a.txt')).not.toBe(before);
    });

    it('tells whether a key holds the bytes of a given MD5, after a listing too', async () => {
      const storage = await make();
      const md5 = (data: string) => createHash('md5').update(data).digest('hex');
      await storage.write('a.txt', bytes('alpha'), meta);
      await storage.write('deep/b.txt', bytes('beta ü 漢'), meta);
      expect(await storage.holds?.('a.txt', md5('alpha'))).toBe(true);
      await keysOf(storage);
      expect(await storage.holds?.('a.txt', md5('alpha'))).toBe(true);
      expect(await storage.holds?.('deep/b.txt', md5('beta ü 漢'))).toBe(true);
      expect(await storage.holds?.('a.txt', md5('alpha!'))).toBe(false);
      expect(await storage.holds?.('missing.txt', md5(''))).toBe(false);
      expect(await storage.holds?.('deep', md5(''))).toBe(false);
      await storage.write('a.txt', bytes('alphabet'), meta);
      expect(await storage.holds?.('a.txt', md5('alpha'))).toBe(false);
      expect(await storage.holds?.('a.txt', md5('alphabet'))).toBe(true);
      await storage.delete('a.txt');
      expect(await storage.holds?.('a.txt', md5('alphabet'))).toBe(false);
    });

    it('throws a NotFound StorageError for a missing key', async () => {
      const storage = await make();
      await expect(storage.read('missing.txt')).rejects.toSatisfy(
        (error) => error instanceof StorageError && error.code === 'NotFound',
      );
    });

    it('deletes a key, and deleting a missing key is not an error', async () => {
      const storage = await make();
      await storage.write('a.txt', bytes('alpha'), meta);
      await storage.delete('a.txt');
      await storage.delete('never-there.txt');
      expect(await keysOf(storage)).toEqual([]);
    });

    it('refuses keys that could escape the root', async () => {
      const storage = await make();
      for (const key of ['../outside.txt', '/absolute.txt', 'a/../../b.txt', 'a//b.txt']) {
        await expect(storage.write(key, bytes('x'), meta), key).rejects.toThrow(/Unsafe storage key/);
      }
    });

    const many = options.manyKeys ?? 1_050;
    it(`lists all of ${many} keys (past one page of 1,000)`, async () => {
      const storage = await make();
      const keys = Array.from({ length: many }, (_, i) => `k/${String(i).padStart(5, '0')}.md`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => storage.write(key, bytes(key), meta)));
      }
      expect(await keysOf(storage)).toEqual(keys);
    });
  });
}
