// Outputs → destination: check first (nothing in the way, no accidental wipe), then write what changed, then the pages
// that link to the feeds, then remove feeds that went away.
import pLimit from 'p-limit';
import { StorageError } from '../core/errors.ts';
import { type ShrinkRefusal, shrinkRefusal } from '../core/shrink.ts';
import { FILE_NAMES, INDEX_KEY, isChannelFeedKey, OPML_KEY, type Output } from '../core/site.ts';
import { isUnlisted, type Storage } from '../storage/port.ts';

export interface PublishCounts {
  written: number;
  unchanged: number;
  deleted: number;
}

export type PublishResult =
  | { refused: undefined; counts: PublishCounts; writtenKeys: string[] }
  | { refused: ShrinkRefusal; counts: PublishCounts; writtenKeys: [] };

export interface PublishOptions {
  /** What the destination holds (listOutputs), listed before anything was rendered. */
  existing: ReadonlySet<string>;
  /** Feed files left unrendered because the destination holds them as they would be: counted unchanged, never stale. */
  kept?: readonly string[];
  cacheControl?: string;
  concurrency?: number;
  /** How many articles the outputs publish, for the shrink guard. */
  published: number;
  /** Lets a build delete most feeds or publish nothing where feeds exist (the shrink guard is off). */
  allowShrink?: boolean;
}

const encoder = new TextEncoder();

/** How many items the site's JSON Feed holds now; 0 when it is missing or unreadable. */
async function siteFeedItems(destination: Storage, existing: ReadonlySet<string>): Promise<number> {
  if (!existing.has(FILE_NAMES.json)) return 0;
  try {
    const feed = JSON.parse(new TextDecoder().decode(await destination.read(FILE_NAMES.json))) as { items?: unknown };
    return Array.isArray(feed.items) ? feed.items.length : 0;
  } catch {
    return 0;
  }
}

/**
 * The keys the destination holds: one listing per build, before anything is rendered. It finds feeds that went away,
 * and lets the S3 adapter compare ETags (for writes and for feeds left unrendered) instead of asking about each one.
 */
export async function listOutputs(destination: Storage): Promise<Set<string>> {
  const existing = new Set<string>();
  for await (const entry of destination.list()) if (!isUnlisted(entry)) existing.add(entry.key);
  return existing;
}

export async function publishOutputs(
  destination: Storage,
  outputs: readonly Output[],
  options: PublishOptions,
): Promise<PublishResult> {
  const kept = options.kept ?? [];
  const counts: PublishCounts = { written: 0, unchanged: kept.length, deleted: 0 };
  const limit = pLimit(options.concurrency ?? 16);
  const { existing } = options;
  const produced = new Set([...outputs.map((o) => o.key), ...kept]);
  const stale = [...existing].filter((key) => isChannelFeedKey(key) && !produced.has(key)).sort();

  // Checked before anything is written, so a refused or impossible build leaves the site exactly as it was.
  const blocked = (await destination.obstacles?.(outputs.map((o) => o.key))) ?? [];
  if (blocked.length > 0) {
    const lines = blocked.map((line) => `  ${line}`).join('\n');
    throw new StorageError(`Cannot publish to ${destination.displayName('')}:\n${lines}`, 'Unwritable');
  }
  if (!options.allowShrink) {
    const needsSiteFeed = options.published === 0;
    const refused = shrinkRefusal({
      existingKeys: existing,
      deletedKeys: stale,
      published: options.published,
      siteFeedItems: needsSiteFeed ? await siteFeedItems(destination, existing) : 0,
    });
    if (refused) return { refused, counts, writtenKeys: [] };
  }

  const writtenKeys: string[] = [];
  const write = (output: Output) =>
    limit(async () => {
      const result = await destination.write(output.key, encoder.encode(output.body), {
        contentType: output.contentType,
        ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}),
      });
      counts[result] += 1;
      if (result === 'written') writtenKeys.push(output.key);
    });
  // Pages (OPML, index) link to feeds, so they go last: no link ever points at a feed not written yet.
  const isPage = (o: Output) => o.key === OPML_KEY || o.key === INDEX_KEY;
  await Promise.all(outputs.filter((o) => !isPage(o)).map(write));
  await Promise.all(outputs.filter(isPage).map(write));

  // A topic or category whose last article went away loses its feed files. Removing (rather than emptying) them
  // makes readers see a 404 instead of a feed that silently never updates again; the index and OPML stop listing it.
  await Promise.all(stale.map((key) => limit(() => destination.delete(key))));
  counts.deleted = stale.length;
  return { refused: undefined, counts, writtenKeys: writtenKeys.sort() };
}
