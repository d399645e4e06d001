// RSS 2.0 (RSS Advisory Board profile) with content:encoded, Dublin Core creator and Media RSS images.
import { escapeHtml } from '../text.ts';
import type { FeedDocument, FeedItem } from './model.ts';
import { GENERATOR } from './model.ts';
import { el, xmlDocument } from './xml.ts';

const NAMESPACES = {
  'xmlns:atom': 'http://www.w3.org/2005/Atom',
  'xmlns:content': 'http://purl.org/rss/1.0/modules/content/',
  'xmlns:dc': 'http://purl.org/dc/elements/1.1/',
  'xmlns:media': 'http://search.yahoo.com/mrss/',
};

function item(entry: FeedItem) {
  const { image } = entry;
  return el(
    'item',
    {},
    el('title', {}, entry.title),
    el('link', {}, entry.url),
    el('guid', { isPermaLink: 'false' }, entry.id),
    el('pubDate', {}, entry.date.toUTCString()),
    // description is HTML: the plain-text excerpt is escaped as HTML here, and as XML by the writer.
    entry.summary !== undefined && el('description', {}, escapeHtml(entry.summary)),
    entry.contentHtml !== '' && el('content:encoded', {}, entry.contentHtml),
    entry.credit && el('dc:creator', {}, entry.credit.name),
    entry.tags.map((tag) => el('category', {}, tag)),
    // An enclosure needs a real MIME type; without one the image still travels as media:content.
    image?.type && el('enclosure', { url: image.url, length: 0, type: image.type }),
    image &&
      el('media:content', {
        url: image.url,
        medium: 'image',
        type: image.type,
        width: image.width,
        height: image.height,
      }),
  );
}

export function renderRss(feed: FeedDocument): string {
  const date = feed.updated.toUTCString();
  const channel = el(
    'channel',
    {},
    el('title', {}, feed.title),
    el('link', {}, feed.homeUrl),
    el('description', {}, feed.description),
    el('language', {}, feed.language),
    feed.copyright && el('copyright', {}, feed.copyright),
    el('pubDate', {}, date),
    el('lastBuildDate', {}, date),
    el('generator', {}, GENERATOR),
    el('docs', {}, 'https://www.rssboard.org/rss-specification'),
    feed.logoUrl &&
      el('image', {}, el('url', {}, feed.logoUrl), el('title', {}, feed.title), el('link', {}, feed.homeUrl)),
    el('atom:link', { href: feed.links.rss, rel: 'self', type: 'application/rss+xml' }),
    feed.hubUrl && el('atom:link', { href: feed.hubUrl, rel: 'hub' }),
    feed.items.map(item),
  );
  return xmlDocument(el('rss', { version: '2.0', ...NAMESPACES }, channel));
}
