// Selection: which valid articles are published now, newest first, one copy per story.
import type { Article } from './article.ts';
import { canonicalUrl } from './urls.ts';

export type SkipReason = 'unpublished' | 'belowQuality' | 'scheduled' | 'duplicate';

export interface Skipped {
  file: string;
  reason: SkipReason;
  /** For a duplicate: the file of the copy that is published. */
  duplicateOf?: string;
}

export interface Selection {
  /** Newest first; ties broken by id so the order never depends on listing order. */
  selected: Article[];
  skipped: Skipped[];
}

/** Newest first, then by id: a total order, so equal input always gives equal output. */
export function byNewest(a: Article, b: Article): number {
  return b.publishedAt.getTime() - a.publishedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Keeps articles that are published, good enough and due (not dated after `now`). When several eligible articles share a
 * canonical original URL, the earliest published copy wins (ties: smallest id): it is the one readers already have,
 * so a late re-upload never replaces an item readers have seen.
 */
export function selectArticles(articles: readonly Article[], options: { now: Date; minQuality: number }): Selection {
  const skipped: Skipped[] = [];
  const eligible: Article[] = [];
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

  const firstCopy = new Map<string, Article>();
  for (const article of [...eligible].sort(byOldest)) {
    const key = canonicalUrl(article.originalUrl);
    const first = firstCopy.get(key);
    if (first) skipped.push({ file: article.file, reason: 'duplicate', duplicateOf: first.file });
    else firstCopy.set(key, article);
  }
  skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { selected: [...firstCopy.values()].sort(byNewest), skipped };
}

/** An edit dated after `now` has not happened yet: the article shows as it was published until then. */
function asOf(article: Article, now: Date): Article {
  if (article.updatedAt === undefined || article.updatedAt.getTime() <= now.getTime()) return article;
  const { updatedAt: _future, ...published } = article;
  return published;
}

function byOldest(a: Article, b: Article): number {
  return a.publishedAt.getTime() - b.publishedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
