// JSON Feed 1.1 (jsonfeed.org/version/1.1): `authors` arrays, `language`, string ids, plain-text summaries.
import type { FeedDocument, FeedItem } from './model.ts';
import { rfc3339 } from './model.ts';

/** Drops undefined and empty-list values so optional keys are absent, never null. */
function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
}

function item(entry: FeedItem) {
  return compact({
    id: entry.id,
    url: entry.url,
    external_url: entry.externalUrl,
    title: entry.title,
    ...(entry.contentHtml !== ''
      ? { content_html: entry.contentHtml }
      : { content_text: entry.summary ?? entry.title }),
    summary: entry.summary,
    image: entry.image?.url,
    date_published: rfc3339(entry.date),
    date_modified: entry.updated && rfc3339(entry.updated),
    authors: entry.credit ? [compact({ name: entry.credit.name, url: entry.credit.url })] : undefined,
    tags: entry.tags,
  });
}

export function renderJsonFeed(feed: FeedDocument): string {
  const document = compact({
    version: 'https://jsonfeed.org/version/1.1',
    title: feed.title,
    home_page_url: feed.homeUrl,
    feed_url: feed.links.json,
    description: feed.description,
    icon: feed.logoUrl,
    favicon: feed.iconUrl,
    language: feed.language,
    authors: [compact({ name: feed.author.name, url: feed.author.url })],
    hubs: feed.hubUrl ? [{ type: 'WebSub', url: feed.hubUrl }] : undefined,
    items: feed.items.map(item),
  });
  // `items` is required even when empty, so it is set after compacting.
  return `${JSON.stringify({ ...document, items: feed.items.map(item) }, null, 2)}\n`;
}
