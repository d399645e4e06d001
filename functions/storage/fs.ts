// The local-folder adapter: the embedded default (content/ in, dist/ out). Writes are atomic (temp file + rename).
// Listing and reading use the synchronous calls: a build lists and reads thousands of small files, and a promise-based
// stat, or open/fstat/read/close, costs several times its system call in scheduling (10,000 articles: ~0.2 s
// synchronous, ~0.8 s through promises, on a local disk). Writes are few and stay asynchronous.
import { createHash } from 'node:crypto';
import { closeSync, constants, type Dirent, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { StorageError } from '../core/errors.ts';
import { assertSafeKey, type ListEntry, type Storage, type WriteOptions, type WriteResult } from './port.ts';

// ignoreBOM: a name that starts with U+FEFF must keep it, or the decoded path would name another file.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossyUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The system's reason without the path it repeats: `EACCES: permission denied, scandir '/x'` → `EACCES: permission denied`. */
function reasonOf(error: unknown): string {
  return (error as Error).message.replace(/, \w+ '.*$/s, '');
}

function isInside(path: string, folder: string): boolean {
  const below = relative(folder, path);
  return below !== '' && below !== '..' && !below.startsWith(`..${sep}`) && !isAbsolute(below);
}

// Names come as bytes: Node would decode an invalid UTF-8 name lossily, and the path it then builds does not exist.
async function readFolder(path: string): Promise<Dirent<Buffer>[]> {
  const entries = await readdir(path, { withFileTypes: true, encoding: 'buffer' });
  return entries.sort((a, b) => Buffer.compare(a.name, b.name));
}

/** Whether something other than a folder stands at `path`. */
async function isFile(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && !info.isDirectory();
}

function decodeName(name: Buffer): string | undefined {
  try {
    return strictUtf8.decode(name);
  } catch {
    return undefined;
  }
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

  /** The root with links resolved, found once: every read checks that its target stays below it. */
  private realRoot: string | undefined;

  displayName(key: string): string {
    return join(this.root, key);
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return join(this.root, ...key.split('/'));
  }

  async *list(): AsyncIterable<ListEntry> {
    let realRoot: string;
    let entries: Dirent<Buffer>[];
    try {
      if (this.options.createIfMissing) await mkdir(this.root, { recursive: true });
      realRoot = realpathSync.native(this.root);
      entries = await readFolder(this.root);
    } catch (error) {
      throw new StorageError(`Cannot list ${this.root}: ${(error as Error).message}`, 'Unreadable', { cause: error });
    }
    yield* this.walk(this.root, '', entries, realRoot);
  }

  private async *walk(
    folder: string,
    prefix: string,
    entries: Dirent<Buffer>[],
    realRoot: string,
  ): AsyncGenerator<ListEntry> {
    for (const entry of entries) {
      const name = decodeName(entry.name);
      if (name?.startsWith('.tmp-')) continue; // a write in progress, or one that was interrupted
      if (name === undefined) {
        const [kind, end] = entry.isDirectory() ? ['folder', '/'] : ['file', ''];
        const key = `${prefix}${lossyUtf8.decode(entry.name)}${end}`;
        yield { key, problem: `the ${kind} name is not valid UTF-8; rename it` };
      } else if (entry.isDirectory()) {
        const path = join(folder, name);
        let children: Dirent<Buffer>[];
        try {
          children = await readFolder(path);
        } catch (error) {
          yield { key: `${prefix}${name}/`, problem: `the folder cannot be read (${reasonOf(error)})` };
          continue;
        }
        yield* this.walk(path, `${prefix}${name}/`, children, realRoot);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        yield this.entryAt(join(folder, name), `${prefix}${name}`, entry.isSymbolicLink(), realRoot);
      } else {
        // A pipe, socket or device: reading a pipe would wait forever.
        yield { key: `${prefix}${name}`, problem: 'not a regular file (a pipe, socket or device); not read' };
      }
    }
  }

  // A link is served under its own key only when it ends at a regular file inside the root; folder links could loop.
  private entryAt(path: string, key: string, isLink: boolean, realRoot: string): ListEntry {
    try {
      const target = isLink ? realpathSync.native(path) : path;
      const info = statSync(target);
      // A linked folder keeps a folder's `/`, so a reader sees that articles may be missing from the listing.
      const shown = info.isDirectory() ? `${key}/` : key;
      if (isLink && !isInside(target, realRoot)) {
        return { key: shown, problem: 'a symbolic link that points outside the content folder; not followed' };
      }
      if (info.isDirectory()) return { key: shown, problem: 'a symbolic link to a folder; not followed' };
      if (!info.isFile()) return { key, problem: 'a symbolic link to something other than a file; not followed' };
      return { key, version: `${info.size}-${info.mtimeMs}`, size: info.size };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (isLink && (code === 'ENOENT' || code === 'ELOOP')) return { key, problem: 'a broken symbolic link' };
      return { key, problem: `the file cannot be read (${reasonOf(error)})` };
    }
  }

  async read(key: string): Promise<Uint8Array> {
    const path = this.pathOf(key);
    try {
      const fd = this.openInside(key, path);
      try {
        return readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const code = isMissing(error) ? 'NotFound' : 'Unreadable';
      throw new StorageError(`Cannot read ${this.displayName(key)}: ${(error as Error).message}`, code, {
        cause: error,
      });
    }
  }

  /**
   * Opens `path` for reading when it ends at a file inside the root. A build reads thousands of files and resolving a
   * path costs a system call per folder on the way, so a name directly below the root is opened without following a
   * link (O_NOFOLLOW): only a link there (ELOOP), or a key in a folder, is resolved and checked.
   */
  private openInside(key: string, path: string): number {
    // Non-blocking: a pipe put where an article was listed reads as empty instead of stopping the whole process.
    const flags = constants.O_RDONLY | constants.O_NONBLOCK;
    const noFollow = constants.O_NOFOLLOW ?? 0;
    if (noFollow !== 0 && !key.includes('/')) {
      try {
        return openSync(path, flags | noFollow);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
      }
    }
    const target = realpathSync.native(path);
    // Kept only once found: a root that does not exist yet may be created later (a destination).
    this.realRoot ??= realpathSync.native(this.root);
    if (!isInside(target, this.realRoot)) {
      throw new StorageError(
        `Cannot read ${this.displayName(key)}: a symbolic link leads outside ${this.root}; not followed`,
        'Unreadable',
      );
    }
    return openSync(target, flags);
  }

  async write(key: string, body: Uint8Array, _options: WriteOptions): Promise<WriteResult> {
    const path = this.pathOf(key);
    const temporary = join(dirname(path), `.tmp-${process.pid}-${key.split('/').at(-1)}`);
    try {
      const current = await readFile(path).catch((error) => (isMissing(error) ? undefined : Promise.reject(error)));
      if (current && Buffer.compare(current, body) === 0) return 'unchanged';
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temporary, body);
      await rename(temporary, path);
      return 'written';
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      const obstacle = await this.obstacleTo(key);
      const reason = !obstacle
        ? reasonOf(error)
        : obstacle.path === this.displayName(key)
          ? obstacle.problem
          : `${obstacle.path} is a file, not a folder; move or remove it`;
      throw new StorageError(`Cannot write ${this.displayName(key)}: ${reason}`, 'Unwritable', { cause: error });
    }
  }

  /**
   * What stands where `key` or one of its folders should go: its path, and what to do, in words a person can act on.
   * `folders` remembers what each folder path is, so checking many keys stats each folder once.
   */
  private async obstacleTo(
    key: string,
    folders = new Map<string, Promise<boolean>>(),
  ): Promise<{ path: string; problem: string } | undefined> {
    const segments = key.split('/');
    for (let depth = 0; depth < segments.length; depth += 1) {
      const path = this.displayName(segments.slice(0, depth).join('/'));
      if (!folders.has(path)) folders.set(path, isFile(path));
      if (await folders.get(path)) return { path, problem: 'a file stands where a folder must go; move or remove it' };
    }
    const info = await stat(this.pathOf(key)).catch(() => undefined);
    if (!info?.isDirectory()) return undefined;
    return { path: this.displayName(key), problem: 'a folder is in the way; move or remove it' };
  }

  async obstacles(keys: readonly string[]): Promise<string[]> {
    const folders = new Map<string, Promise<boolean>>();
    const found = await Promise.all(keys.map((key) => this.obstacleTo(key, folders)));
    const lines = found.flatMap((obstacle) => (obstacle ? [`${obstacle.path}: ${obstacle.problem}`] : []));
    return [...new Set(lines)].sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Reads the file: its size and date say nothing of bytes written by a build that stopped before its manifest. */
  async holds(key: string, md5: string): Promise<boolean> {
    try {
      return (
        createHash('md5')
          .update(await this.read(key))
          .digest('hex') === md5
      );
    } catch {
      return false;
    }
  }
}
