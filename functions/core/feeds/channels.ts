// Which feeds exist: the whole site, one per topic, one per category, each at a predictable slugged folder.
import type { ArticleFacts } from '../article.ts';
import { slugify } from '../slug.ts';

export type ChannelKind = 'site' | 'topic' | 'category';

export interface Channel<T extends ArticleFacts = ArticleFacts> {
  kind: ChannelKind;
  /** Display name; for a topic spelled several ways, the most used spelling. */
  label: string;
  /** Folder of its files below the output root: `''`, `topics/ai/`, `categories/news/`. */
  dir: string;
  /** Every selected article in the channel, newest first (the item limit is applied when rendering). */
  articles: T[];
}

const FOLDER: Record<Exclude<ChannelKind, 'site'>, string> = { topic: 'topics', category: 'categories' };

/** Groups articles by the slug of a label; labels that slug to nothing (`!!!`) get no feed of their own. */
function group<T extends ArticleFacts>(
  kind: 'topic' | 'category',
  articles: readonly T[],
  labelsOf: (a: T) => string[],
): Channel<T>[] {
  const bySlug = new Map<string, { spellings: Map<string, number>; articles: T[] }>();
  const empty = () => ({ spellings: new Map<string, number>(), articles: [] as T[] });
  // Thousands of articles share a few dozen labels: each is slugged once.
  const slugs = new Map<string, string>();
  for (const article of articles) {
    for (const label of labelsOf(article)) {
      let slug = slugs.get(label);
      if (slug === undefined) {
        slug = slugify(label);
        slugs.set(label, slug);
      }
      if (!slug) continue;
      const entry = bySlug.get(slug) ?? empty();
      entry.spellings.set(label, (entry.spellings.get(label) ?? 0) + 1);
      if (entry.articles.at(-1) !== article) entry.articles.push(article);
      bySlug.set(slug, entry);
    }
  }
  return [...bySlug.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([slug, { spellings, articles: members }]) => ({
      kind,
      label: mostUsed(spellings),
      dir: `${FOLDER[kind]}/${slug}/`,
      articles: members,
    }));
}

function mostUsed(spellings: Map<string, number>): string {
  return [...spellings.entries()].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1))[0]![0];
}

/** All channels for a selection that is already sorted newest first. Order: site, topics, categories (by slug). */
export function planChannels<T extends ArticleFacts>(selected: readonly T[]): Channel<T>[] {
  return [
    { kind: 'site', label: 'All articles', dir: '', articles: [...selected] },
    ...group('topic', selected, (a) => a.topics),
    ...group('category', selected, (a) => (a.category ? [a.category] : [])),
  ];
}
