// The local-folder adapter of the build lease (pipeline/lease.ts), for the CLI's state folder: `<name>.lease` holds
// the holder, created only where none is; `<name>.dirty` is the mark. Each step that must not race rests on one
// atomic file operation: a link (which never replaces), a rename, an unlink.
import { randomUUID } from 'node:crypto';
import { access, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import type { Lease } from '../pipeline/lease.ts';

const Holder = z.object({
  owner: z.string(),
  expiresAtMs: z.number(),
  pid: z.number().int(),
  host: z.string(),
});
type Holder = z.infer<typeof Holder>;

/** A breaker older than this belongs to a process that died inside the few milliseconds of a takeover. */
const BREAKER_STALE_MS = 30_000;

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Whether process `pid` runs on this machine: signal 0 only asks (EPERM: it runs, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return code(error) !== 'ESRCH';
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    (error) => {
      if (code(error) === 'ENOENT') return false;
      throw error;
    },
  );
}

async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (code(error) === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Creates `path` with `text` only if nothing is there: false when something is. Written aside and linked into place
 * (a link never replaces), so a reader never sees the file half written, as it could after `open(path, 'wx')`.
 */
async function createExclusive(path: string, text: string): Promise<boolean> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, text);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (code(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlinkIfPresent(temp);
  }
}

export class FileLease implements Lease {
  private readonly leasePath: string;
  private readonly dirtyPath: string;
  /** Held (exclusively created) while a stale lease is removed, so two takers never remove each other's new lease. */
  private readonly breakerPath: string;

  constructor(
    private readonly folder: string,
    name: string,
  ) {
    if (!/^[\w.-]+$/.test(name)) throw new RangeError(`A lease name is letters, digits, ".", "-" and "_": ${name}`);
    this.leasePath = join(folder, `${name}.lease`);
    this.dirtyPath = join(folder, `${name}.dirty`);
    this.breakerPath = join(folder, `${name}.lease.breaker`);
  }

  async acquire(owner: string, now: Date, ttlMs: number): Promise<boolean> {
    await mkdir(this.folder, { recursive: true });
    const text = this.holderText(owner, now, ttlMs);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await createExclusive(this.leasePath, text)) return true;
      const current = await this.holder();
      if (!current) continue; // released between our two looks
      if (current.owner === owner) {
        await this.replace(text);
        return true;
      }
      if (this.isLive(current, now)) return false;
      if (!(await this.removeStale(current, now))) return false;
    }
    return false;
  }

  async markDirty(now: Date): Promise<boolean> {
    await mkdir(this.folder, { recursive: true });
    // The mark first, then the look: a holder releasing in between either sees the mark or is gone when we look.
    await writeFile(this.dirtyPath, `${now.toISOString()}\n`);
    const current = await this.holder();
    return current !== undefined && this.isLive(current, now);
  }

  async takeDirty(owner: string, now: Date, ttlMs: number): Promise<boolean> {
    if ((await this.holder())?.owner !== owner) return false;
    await this.replace(this.holderText(owner, now, ttlMs));
    return unlinkIfPresent(this.dirtyPath);
  }

  async release(owner: string): Promise<boolean> {
    if ((await this.holder())?.owner !== owner) return true;
    // Give the lease up atomically (a rename), then look for a mark: one set before the rename is seen now, one set
    // after it finds no lease, and its caller takes the lease itself.
    const given = await this.moveAside();
    if (!given) return true;
    try {
      if (given.holder?.owner !== owner) {
        // Not ours after all (our lease expired and was taken over in between): put it back, never over another.
        await link(given.path, this.leasePath).catch(() => undefined);
        return true;
      }
      if (!(await exists(this.dirtyPath))) return true;
      try {
        // Take it back as it was; if someone took the lease meanwhile, the mark is theirs to see.
        await link(given.path, this.leasePath);
        return false;
      } catch (error) {
        if (code(error) === 'EEXIST') return true;
        throw error;
      }
    } finally {
      await unlinkIfPresent(given.path);
    }
  }

  async abandon(owner: string): Promise<void> {
    if ((await this.holder())?.owner !== owner) return;
    const given = await this.moveAside();
    if (!given) return;
    if (given.holder?.owner !== owner) await link(given.path, this.leasePath).catch(() => undefined);
    await unlinkIfPresent(given.path);
  }

  private holderText(owner: string, now: Date, ttlMs: number): string {
    const holder: Holder = { owner, expiresAtMs: now.getTime() + ttlMs, pid: process.pid, host: hostname() };
    return `${JSON.stringify(holder)}\n`;
  }

  /** The lease file's holder; undefined when there is none. An unreadable file counts as an expired lease. */
  private async holder(path = this.leasePath): Promise<Holder | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const parsed = Holder.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {}
    return { owner: '', expiresAtMs: 0, pid: 0, host: '' };
  }

  /** Unexpired, and (on this machine) its process still runs: a crashed CLI run need not be waited out. */
  private isLive(holder: Holder, now: Date): boolean {
    if (holder.expiresAtMs < now.getTime()) return false;
    return holder.host !== hostname() || isAlive(holder.pid);
  }

  /** Rewrites the lease file in one step (temp file + rename), for its holder. */
  private async replace(text: string): Promise<void> {
    const temp = `${this.leasePath}.${randomUUID()}.tmp`;
    await writeFile(temp, text);
    await rename(temp, this.leasePath);
  }

  /** Renames the lease file to a private name: from then on there is no lease. Undefined when there was none. */
  private async moveAside(): Promise<{ path: string; holder: Holder | undefined } | undefined> {
    const path = `${this.leasePath}.${randomUUID()}.released`;
    try {
      await rename(this.leasePath, path);
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw error;
    }
    return { path, holder: await this.holder(path) };
  }

  /**
   * Removes the stale lease `seen`, unless it changed meanwhile; false when another process is removing it. Only the
   * one holding the breaker removes, and it removes only what it saw: never a new lease someone just created.
   */
  private async removeStale(seen: Holder, now: Date): Promise<boolean> {
    const breaker = JSON.stringify({ pid: process.pid, host: hostname(), atMs: now.getTime() });
    if (!(await createExclusive(this.breakerPath, breaker))) {
      await this.clearStaleBreaker(now);
      return false;
    }
    try {
      const current = await this.holder();
      if (current && current.owner === seen.owner && current.expiresAtMs === seen.expiresAtMs) {
        await unlinkIfPresent(this.leasePath);
      }
      return true;
    } finally {
      await unlinkIfPresent(this.breakerPath);
    }
  }

  private async clearStaleBreaker(now: Date): Promise<void> {
    let breaker: { pid?: unknown; host?: unknown; atMs?: unknown };
    try {
      breaker = JSON.parse(await readFile(this.breakerPath, 'utf8'));
    } catch (error) {
      if (code(error) === 'ENOENT') return;
      breaker = {};
    }
    const dead = breaker.host === hostname() && typeof breaker.pid === 'number' && !isAlive(breaker.pid);
    const old = typeof breaker.atMs !== 'number' || now.getTime() - breaker.atMs > BREAKER_STALE_MS;
    if (dead || old) await unlinkIfPresent(this.breakerPath);
  }
}
