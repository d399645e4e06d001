// The shrink guard: a build that would wipe most of what is published is far more often a mistake (a mistyped
// content folder, an empty bucket, a broken upload) than an intention, so it is refused unless asked for.
import { isChannelFeedKey } from './site.ts';

/** Refused when more than this share of the existing topic and category feeds would be deleted… */
export const SHRINK_SHARE = 0.5;
/** …and more than this many: on a small site, one article going away can empty several feeds, and that is ordinary. */
export const SHRINK_MIN_FEEDS = 5;

export interface ShrinkRefusal {
  /** A stable name for alarms and scripts. */
  code: 'ShrinkRefused';
  reason: string;
  existingFeeds: number;
  deletedFeeds: number;
  published: number;
}

/** The channel folder of a feed file: `topics/ai/feed.xml` → `topics/ai/`. */
const channelOf = (key: string) => key.slice(0, key.lastIndexOf('/') + 1);

/**
 * Decides from what the destination holds and what the build would do. `existingKeys` are the destination's keys,
 * `deletedKeys` the feed files the build would remove, `published` how many articles it selected, and `siteFeedItems`
 * how many items the site feed holds now (0 when there is none).
 */
export function shrinkRefusal(input: {
  existingKeys: Iterable<string>;
  deletedKeys: readonly string[];
  published: number;
  siteFeedItems: number;
}): ShrinkRefusal | undefined {
  const existing = new Set<string>();
  for (const key of input.existingKeys) if (isChannelFeedKey(key)) existing.add(channelOf(key));
  const deleted = new Set(input.deletedKeys.map(channelOf));
  const counts = { existingFeeds: existing.size, deletedFeeds: deleted.size, published: input.published };
  if (input.published === 0 && (existing.size > 0 || input.siteFeedItems > 0)) {
    return { code: 'ShrinkRefused', reason: 'the build would publish no article where feeds exist', ...counts };
  }
  if (deleted.size > SHRINK_MIN_FEEDS && deleted.size > existing.size * SHRINK_SHARE) {
    const reason = `the build would delete ${deleted.size} of the ${existing.size} topic and category feeds`;
    return { code: 'ShrinkRefused', reason, ...counts };
  }
  return undefined;
}
