// Outputs → destination: write what changed, then the pages that link to the feeds, then remove feeds that went away.
import pLimit from 'p-limit';
import { INDEX_KEY, isChannelFeedKey, OPML_KEY, type Output } from '../core/site.ts';
import { isUnlisted, type Storage } from '../storage/port.ts';

export interface PublishCounts {
  written: number;
  unchanged: number;
  deleted: number;
}

const encoder = new TextEncoder();

export async function publishOutputs(
  destination: Storage,
  outputs: readonly Output[],
  options: { cacheControl?: string; concurrency?: number } = {},
): Promise<PublishCounts> {
  const counts: PublishCounts = { written: 0, unchanged: 0, deleted: 0 };
  const limit = pLimit(options.concurrency ?? 16);
  // One listing up front: it finds feeds that went away, and lets the S3 adapter compare ETags instead of asking
  // about every output.
  const produced = new Set(outputs.map((o) => o.key));
  const stale: string[] = [];
  for await (const entry of destination.list()) {
    if (isUnlisted(entry)) continue;
    if (isChannelFeedKey(entry.key) && !produced.has(entry.key)) stale.push(entry.key);
  }

  const write = (output: Output) =>
    limit(async () => {
      const result = await destination.write(output.key, encoder.encode(output.body), {
        contentType: output.contentType,
        ...(options.cacheControl ? { cacheControl: options.cacheControl } : {}),
      });
      counts[result] += 1;
    });
  // Pages (OPML, index) link to feeds, so they go last: no link ever points at a feed not written yet.
  const isPage = (o: Output) => o.key === OPML_KEY || o.key === INDEX_KEY;
  await Promise.all(outputs.filter((o) => !isPage(o)).map(write));
  await Promise.all(outputs.filter(isPage).map(write));

  // A topic or category whose last article went away loses its feed files. Removing (rather than emptying) them
  // makes readers see a 404 instead of a feed that silently never updates again; the index and OPML stop listing it.
  await Promise.all(stale.sort().map((key) => limit(() => destination.delete(key))));
  counts.deleted = stale.length;
  return counts;
}
