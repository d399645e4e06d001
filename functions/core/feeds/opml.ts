// OPML 2.0 subscription list: every feed (RSS flavour), grouped like the index page, so a reader imports them at once.
import type { PublishedFeed } from '../site.ts';
import { el, xmlDocument } from './xml.ts';

/** The digest's own feed, listed after the site feed when the site has a digest. */
export interface DigestListing {
  title: string;
  rss: string;
  htmlUrl: string;
}

export function renderOpml(
  title: string,
  homeUrl: string,
  feeds: readonly PublishedFeed[],
  digest?: DigestListing,
): string {
  const outline = (feed: PublishedFeed) =>
    el('outline', { type: 'rss', text: feed.title, title: feed.title, xmlUrl: feed.links.rss, htmlUrl: homeUrl });
  const section = (text: string, members: PublishedFeed[]) =>
    members.length > 0 && el('outline', { text, title: text }, members.map(outline));
  const of = (kind: PublishedFeed['kind']) => feeds.filter((f) => f.kind === kind);
  return xmlDocument(
    el(
      'opml',
      { version: '2.0' },
      el('head', {}, el('title', {}, title)),
      el(
        'body',
        {},
        of('site').map(outline),
        digest &&
          el('outline', {
            type: 'rss',
            text: digest.title,
            title: digest.title,
            xmlUrl: digest.rss,
            htmlUrl: digest.htmlUrl,
          }),
        section('Topics', of('topic')),
        section('Categories', of('category')),
      ),
    ),
  );
}
