// Ranking: the order of an issue's articles, the per-provider cap, the top stories and the topic groups. Pure and
// total: equal input gives equal order, ties broken by id.
import type { ArticleCard, ArticleFacts } from '../article.ts';
import { slugify } from '../slug.ts';

const DAY_MS = 86_400_000;

/**
 * `quality + heat / 2 + 10 × freshness`: quality leads (it is the editors' judgement), heat (how much the story is
 * talked about) counts half, and freshness (1 for an article published at the issue's time, falling linearly to 0 at
 * the start of the look-back window) breaks near-ties in favour of the newer story. Range 0–160.
 */
export function storyScore(article: ArticleFacts, dueAt: Date, lookBackDays: number): number {
  const ageDays = (dueAt.getTime() - article.publishedAt.getTime()) / DAY_MS;
  const freshness = Math.min(1, Math.max(0, 1 - ageDays / lookBackDays));
  return article.quality + (article.heat ?? 0) / 2 + 10 * freshness;
}

/** Best first; equal scores by id, so the order never depends on how the articles were listed. */
export function rankArticles<T extends ArticleFacts>(articles: readonly T[], dueAt: Date, lookBackDays: number): T[] {
  const scored = articles.map((article) => ({ article, score: storyScore(article, dueAt, lookBackDays) }));
  scored.sort((a, b) => b.score - a.score || (a.article.id < b.article.id ? -1 : a.article.id > b.article.id ? 1 : 0));
  return scored.map((s) => s.article);
}

/** The provider an article is counted against: its domain when known, else its name; none for no provider. */
function providerKey(article: ArticleFacts): string | undefined {
  const provider = article.provider;
  if (!provider) return undefined;
  return provider.domain ? `d:${provider.domain.toLowerCase()}` : `n:${provider.name.toLowerCase()}`;
}

/** Keeps, in rank order, at most `perProvider` articles of each provider; the rest are left out of the issue. */
export function capPerProvider<T extends ArticleFacts>(ranked: readonly T[], perProvider: number): T[] {
  const counts = new Map<string, number>();
  return ranked.filter((article) => {
    const key = providerKey(article);
    if (key === undefined) return true;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    return count <= perProvider;
  });
}

export interface TopicGroup {
  /** The topic's label as the first article in the group spells it; '' for articles without a matching topic. */
  topic: string;
  articles: ArticleCard[];
}

export interface Arrangement {
  top: ArticleCard[];
  /** Groups in the order of their best article; the group of articles with no topic comes last. */
  groups: TopicGroup[];
}

/**
 * Lays an issue out for a reader. `ranked` is the issue's articles in rank order. With `topics` (slugs a subscriber
 * chose), only articles with at least one of them stay, plus articles with no topic at all (they go to everyone);
 * each article is shown once, under its first topic the reader chose. Without `topics`, under its first topic.
 */
export function arrangeIssue(
  ranked: readonly ArticleCard[],
  topStories: number,
  topics?: ReadonlySet<string>,
): Arrangement {
  const matching = (article: ArticleCard) =>
    article.topics.find((label) => {
      const slug = slugify(label);
      return slug !== '' && (!topics || topics.has(slug));
    });
  // A topic that slugs to nothing (`🚀`) has no feed and no subscriber can choose it: such an article counts as
  // having no topic, and goes to everyone.
  const untopical = (article: ArticleCard) => article.topics.every((label) => slugify(label) === '');
  const kept = ranked.filter((article) => !topics || untopical(article) || matching(article) !== undefined);
  const top = kept.slice(0, topStories);
  const bySlug = new Map<string, TopicGroup>();
  const unfiled: ArticleCard[] = [];
  for (const article of kept.slice(topStories)) {
    const label = matching(article);
    if (label === undefined) {
      unfiled.push(article);
      continue;
    }
    const slug = slugify(label);
    const group = bySlug.get(slug) ?? { topic: label, articles: [] };
    group.articles.push(article);
    bySlug.set(slug, group);
  }
  const groups = [...bySlug.values()];
  if (unfiled.length > 0) groups.push({ topic: '', articles: unfiled });
  return { top, groups };
}
