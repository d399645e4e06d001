// Feeds left as they are: a feed made from the same inputs as when a build recorded it (core/site.ts feedInputs),
// whose files the destination still holds with the bytes recorded, would be rendered to those same bytes. A warm
// build then renders only the feeds its changes reach; a file edited or removed in the destination is rendered again.
import { createHash } from 'node:crypto';
import { feedKeys, type Output } from '../core/site.ts';
import type { Storage } from '../storage/port.ts';
import type { FeedRecord } from './manifest.ts';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** feedInputs' texts, hashed for the manifest: by channel folder. */
export function hashInputs(inputs: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...inputs].map(([dir, text]) => [dir, md5(text)]));
}

/**
 * The channels (folders) whose three feed files need no rendering: recorded from the same inputs, listed in the
 * destination (`existing`) and holding the recorded bytes there.
 */
export async function unchangedFeeds(
  destination: Storage,
  existing: ReadonlySet<string>,
  records: ReadonlyMap<string, FeedRecord>,
  inputs: ReadonlyMap<string, string>,
): Promise<Set<string>> {
  const unchanged = new Set<string>();
  const holds = destination.holds?.bind(destination);
  if (!holds) return unchanged;
  await Promise.all(
    [...inputs].map(async ([dir, hash]) => {
      const files = feedKeys(dir).map((key) => ({ key, record: records.get(key) }));
      if (files.some(({ key, record }) => record?.inputs !== hash || !existing.has(key))) return;
      const held = await Promise.all(files.map(({ key, record }) => holds(key, record!.md5)));
      if (held.every(Boolean)) unchanged.add(dir);
    }),
  );
  return unchanged;
}

/**
 * The records the next build gets, for the feeds there are now: as they were for the files left unrendered (`kept`),
 * new for the files rendered by this build (`outputs`). A channel without inputs gets none, so it is always rendered.
 */
export function feedRecords(
  inputs: ReadonlyMap<string, string>,
  outputs: readonly Output[],
  kept: readonly string[],
  previous: ReadonlyMap<string, FeedRecord>,
): Map<string, FeedRecord> {
  const rendered = new Map(outputs.map((output) => [output.key, output.body]));
  const unrendered = new Set(kept);
  const records = new Map<string, FeedRecord>();
  for (const [dir, hash] of inputs) {
    for (const key of feedKeys(dir)) {
      const body = rendered.get(key);
      const record = unrendered.has(key)
        ? previous.get(key)
        : body === undefined
          ? undefined
          : { inputs: hash, md5: md5(body) };
      if (record) records.set(key, record);
    }
  }
  return records;
}
