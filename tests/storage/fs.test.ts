import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../functions/core/errors.ts';
import { FsStorage } from '../../functions/storage/fs.ts';
import type { ListEntry } from '../../functions/storage/port.ts';
import { useTempDirs } from '../support/temp-dir.ts';
import { storageContract } from './contract.ts';

const tempDir = useTempDirs();
storageContract('fs', async () => new FsStorage(await tempDir()));

const bytes = (text: string) => new TextEncoder().encode(text);
const meta = { contentType: 'application/xml' };
const runFile = promisify(execFile);

async function listAll(storage: FsStorage): Promise<ListEntry[]> {
  const entries: ListEntry[] = [];
  for await (const entry of storage.list()) entries.push(entry);
  return entries.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** Writes files below `root`, creating their folders. */
async function makeFiles(root: string, files: [key: string, text: string][]): Promise<void> {
  for (const [key, text] of files) {
    await mkdir(dirname(join(root, key)), { recursive: true });
    await writeFile(join(root, key), text);
  }
}

/** A path below `root` whose last name is Latin-1 bytes, which are not valid UTF-8 (é is the lone byte 0xE9). */
const latin1Path = (root: string, name: string) =>
  Buffer.concat([Buffer.from(`${root}/`), Buffer.from(name, 'latin1')]);

// Root ignores file permissions, so as root the calls that must meet them run as `nobody` in a child process.
const isRoot = process.getuid?.() === 0;
const asNobody = fileURLToPath(new URL('./fs-as-nobody.mjs', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url)); // where `--import tsx` resolves

async function callAsNobody(root: string, ...call: ['list'] | ['write', string, string]): Promise<unknown> {
  const { stdout } = await runFile(process.execPath, ['--import', 'tsx', asNobody, root, ...call], { cwd: repo });
  const outcome = JSON.parse(stdout) as { value?: unknown; error?: unknown };
  if (outcome.error) throw outcome.error;
  return outcome.value;
}

async function listAsOrdinaryUser(root: string): Promise<ListEntry[]> {
  if (!isRoot) return listAll(new FsStorage(root));
  await chmod(root, 0o755); // mkdtemp makes it 0o700, which `nobody` may not enter
  const entries = (await callAsNobody(root, 'list')) as ListEntry[];
  return entries.sort((a, b) => (a.key < b.key ? -1 : 1));
}

it('leaves no temporary files behind after writing', async () => {
  const root = await tempDir();
  const storage = new FsStorage(root);
  await storage.write('dir/a.xml', bytes('<a/>'), meta);
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

describe('listing a folder with odd entries', () => {
  it('lists every other file when one name is not valid UTF-8, and reports that one by name', async () => {
    const root = await tempDir();
    await makeFiles(root, [
      ['a.md', 'a'],
      ['sub/b.md', 'b'],
    ]);
    await writeFile(latin1Path(root, 'caf\xe9.md'), 'a Latin-1 name');
    expect(await listAll(new FsStorage(root))).toEqual([
      { key: 'a.md', version: expect.any(String), size: expect.any(Number) },
      { key: 'caf\uFFFD.md', problem: 'the file name is not valid UTF-8; rename it' },
      { key: 'sub/b.md', version: expect.any(String), size: expect.any(Number) },
    ]);
  });

  it('reports a folder whose name is not valid UTF-8, without looking inside, and lists the rest', async () => {
    const root = await tempDir();
    await mkdir(latin1Path(root, 'd\xe9j\xe0'));
    await writeFile(latin1Path(root, 'd\xe9j\xe0/inside.md'), 'hidden');
    await makeFiles(root, [['ok.md', 'ok']]);
    expect(await listAll(new FsStorage(root))).toEqual([
      { key: 'd\uFFFDj\uFFFD/', problem: 'the folder name is not valid UTF-8; rename it' },
      { key: 'ok.md', version: expect.any(String), size: expect.any(Number) },
    ]);
  });

  it('reports a named pipe instead of reading it (a read would wait forever), and lists the rest', async () => {
    const root = await tempDir();
    await makeFiles(root, [['ok.md', 'ok']]);
    await runFile('mkfifo', [join(root, 'pipe.md')]);
    expect(await listAll(new FsStorage(root))).toEqual([
      { key: 'ok.md', version: expect.any(String), size: expect.any(Number) },
      { key: 'pipe.md', problem: 'not a regular file (a pipe, socket or device); not read' },
    ]);
  });

  it('reports a folder it may not read, by its folder key, and lists everything else', async () => {
    const root = await tempDir();
    await makeFiles(root, [
      ['a.md', 'a'],
      ['sub/b.md', 'b'],
      ['sub/locked/c.md', 'c'],
    ]);
    const locked = join(root, 'sub', 'locked');
    await chmod(locked, 0o000);
    try {
      expect(await listAsOrdinaryUser(root)).toEqual([
        { key: 'a.md', version: expect.any(String), size: expect.any(Number) },
        { key: 'sub/b.md', version: expect.any(String), size: expect.any(Number) },
        { key: 'sub/locked/', problem: 'the folder cannot be read (EACCES: permission denied)' },
      ]);
    } finally {
      await chmod(locked, 0o755);
    }
  });

  it('reports each file it may not look at (a folder readable but not searchable), and lists everything else', async () => {
    const root = await tempDir();
    await makeFiles(root, [
      ['a.md', 'a'],
      ['sealed/x.md', 'x'],
    ]);
    const sealed = join(root, 'sealed');
    await chmod(sealed, 0o644);
    try {
      expect(await listAsOrdinaryUser(root)).toEqual([
        { key: 'a.md', version: expect.any(String), size: expect.any(Number) },
        { key: 'sealed/x.md', problem: 'the file cannot be read (EACCES: permission denied)' },
      ]);
    } finally {
      await chmod(sealed, 0o755);
    }
  });
});

describe('symbolic links', () => {
  it("follows a link to a file inside the root: listed under the link's key with the target's version, read returns the target", async () => {
    const root = await tempDir();
    await makeFiles(root, [['articles/real.md', 'the real article']]);
    await symlink(join('articles', 'real.md'), join(root, 'linked.md'));
    const storage = new FsStorage(root);
    const target = await stat(join(root, 'articles', 'real.md'));
    const version = `${target.size}-${target.mtimeMs}`;
    expect(await listAll(storage)).toEqual([
      { key: 'articles/real.md', version, size: target.size },
      { key: 'linked.md', version, size: target.size },
    ]);
    expect(new TextDecoder().decode(await storage.read('linked.md'))).toBe('the real article');
  });

  it('reports a link to a file outside the root instead of following it', async () => {
    const root = await tempDir();
    const elsewhere = await tempDir();
    await makeFiles(elsewhere, [['secret.md', 'outside']]);
    await symlink(join(elsewhere, 'secret.md'), join(root, 'out.md'));
    expect(await listAll(new FsStorage(root))).toEqual([
      { key: 'out.md', problem: 'a symbolic link that points outside the content folder; not followed' },
    ]);
  });

  it('reports a link whose target does not exist as broken', async () => {
    const root = await tempDir();
    await symlink('missing.md', join(root, 'dangling.md'));
    expect(await listAll(new FsStorage(root))).toEqual([{ key: 'dangling.md', problem: 'a broken symbolic link' }]);
  });

  it('reports a link that loops as broken', async () => {
    const root = await tempDir();
    await symlink('loop-b.md', join(root, 'loop-a.md'));
    await symlink('loop-a.md', join(root, 'loop-b.md'));
    expect(await listAll(new FsStorage(root))).toEqual([
      { key: 'loop-a.md', problem: 'a broken symbolic link' },
      { key: 'loop-b.md', problem: 'a broken symbolic link' },
    ]);
  });

  it('reports a link to a folder, by its folder key, instead of following it', async () => {
    const root = await tempDir();
    await makeFiles(root, [['articles/a.md', 'a']]);
    await symlink('articles', join(root, 'docs'));
    expect(await listAll(new FsStorage(root))).toEqual([
      { key: 'articles/a.md', version: expect.any(String), size: expect.any(Number) },
      { key: 'docs/', problem: 'a symbolic link to a folder; not followed' },
    ]);
  });

  it('refuses to read a key that is a link leaving the root, naming the path', async () => {
    const root = await tempDir();
    const elsewhere = await tempDir();
    await makeFiles(elsewhere, [['secret.md', 'outside']]);
    await symlink(join(elsewhere, 'secret.md'), join(root, 'out.md'));
    await expect(new FsStorage(root).read('out.md')).rejects.toSatisfy(
      (error) =>
        error instanceof StorageError && error.code === 'Unreadable' && error.message.includes(join(root, 'out.md')),
    );
  });
});

describe('reading through links', () => {
  it('refuses to read a key below a folder that is a link leaving the root', async () => {
    const root = await tempDir();
    const elsewhere = await tempDir();
    await makeFiles(elsewhere, [['secret.md', 'outside']]);
    await symlink(elsewhere, join(root, 'docs'));
    await expect(new FsStorage(root).read('docs/secret.md')).rejects.toSatisfy(
      (error) => error instanceof StorageError && error.code === 'Unreadable' && error.message.includes('not followed'),
    );
  });

  it('reads below a root that is itself a link', async () => {
    const real = await tempDir();
    await makeFiles(real, [
      ['a.md', 'through the link'],
      ['2026/b.md', 'nested'],
    ]);
    const parent = await tempDir();
    await symlink(real, join(parent, 'content'));
    const storage = new FsStorage(join(parent, 'content'));
    expect(new TextDecoder().decode(await storage.read('a.md'))).toBe('through the link');
    expect(new TextDecoder().decode(await storage.read('2026/b.md'))).toBe('nested');
  });
});

describe('writing where something else stands in the way', () => {
  it('refuses to write a file where a folder stands, with an Unwritable error naming the path', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'feed.xml'));
    await expect(new FsStorage(root).write('feed.xml', bytes('<rss/>'), meta)).rejects.toSatisfy(
      (error) =>
        error instanceof StorageError &&
        error.code === 'Unwritable' &&
        error.message === `Cannot write ${join(root, 'feed.xml')}: a folder is in the way; move or remove it`,
    );
  });

  it('refuses to write below a file that stands where a folder should be, naming that file', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'topics'), 'not a folder');
    const key = 'topics/x/feed.xml';
    await expect(new FsStorage(root).write(key, bytes('<rss/>'), meta)).rejects.toSatisfy(
      (error) =>
        error instanceof StorageError &&
        error.code === 'Unwritable' &&
        error.message ===
          `Cannot write ${join(root, key)}: ${join(root, 'topics')} is a file, not a folder; move or remove it`,
    );
  });

  // Renaming over a file fails only for a user who neither owns it nor its sticky folder: needs root to set up.
  it.runIf(isRoot)('removes its temporary file when the final rename fails', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'feed.xml'), 'old, owned by root');
    await chmod(root, 0o1777);
    await expect(callAsNobody(root, 'write', 'feed.xml', 'new')).rejects.toMatchObject({
      name: 'StorageError',
      code: 'Unwritable',
      message: expect.stringContaining('EPERM'), // the rename, not an earlier step, failed
    });
    expect(await readdir(root)).toEqual(['feed.xml']);
    expect(await readFile(join(root, 'feed.xml'), 'utf8')).toBe('old, owned by root');
  });
});
