// Selection: which valid articles are published now, newest first, one copy per story.
import type { ArticleFacts } from './article.ts';
import { canonicalUrl } from './urls.ts';

export type SkipReason = 'unpublished' | 'belowQuality' | 'scheduled' | 'duplicate';

export interface Skipped {
  file: string;
  reason: SkipReason;
  /** For a duplicate: the file of the copy that is published. */
  duplicateOf?: string;
}

export interface Selection<T extends ArticleFacts = ArticleFacts> {
  /** Newest first; ties broken by id so the order never depends on listing order. */
  selected: T[];
  skipped: Skipped[];
}

/** Newest first, then by id: a total order, so equal input always gives equal output. */
export function byNewest(a: ArticleFacts, b: ArticleFacts): number {
  return b.publishedAt.getTime() - a.publishedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Keeps articles that are published, good enough and due (not dated after `now`). When several eligible articles share a
 * canonical original URL, the earliest published copy wins (ties: smallest id): it is the one readers already have,
 * so a late re-upload never replaces an item readers have seen.
 */
export function selectArticles<T extends ArticleFacts>(
  articles: readonly T[],
  options: { now: Date; minQuality: number },
): Selection<T> {
  const skipped: Skipped[] = [];
  const eligible: T[] = [];
  for (const article of articles) {
    const reason: SkipReason | undefined = !article.published
      ? 'unpublished'
      : article.quality < options.minQuality
        ? 'belowQuality'
        : article.publishedAt.getTime() > options.now.getTime()
          ? 'scheduled'
          : undefined;
    if (reason) skipped.push({ file: article.file, reason });
    else eligible.push(asOf(article, options.now));
  }

  const firstCopy = new Map<string, T>();
  for (const article of [...eligible].sort(byOldest)) {
    const key = canonicalOf(article);
    const first = firstCopy.get(key);
    if (first) skipped.push({ file: article.file, reason: 'duplicate', duplicateOf: first.file });
    else firstCopy.set(key, article);
  }
  skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { selected: [...firstCopy.values()].sort(byNewest), skipped };
}

// Parsing a URL is the costliest step of selection, which runs several times per build over the same articles: each
// article's canonical URL is worked out once (held as long as the article is).
const canonical = new WeakMap<object, string>();
function canonicalOf(article: ArticleFacts): string {
  let key = canonical.get(article);
  if (key === undefined) {
    key = canonicalUrl(article.originalUrl);
    canonical.set(article, key);
  }
  return key;
}

/** An edit dated after `now` has not happened yet: the article shows as it was published until then. */
export function asOf<T extends ArticleFacts>(article: T, now: Date): T {
  if (article.updatedAt === undefined || article.updatedAt.getTime() <= now.getTime()) return article;
  const { updatedAt: _future, ...published } = article;
  return published as T;
}

function byOldest(a: ArticleFacts, b: ArticleFacts): number {
  return a.publishedAt.getTime() - b.publishedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
