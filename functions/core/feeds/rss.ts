// RSS 2.0 (RSS Advisory Board profile) with content:encoded, Dublin Core creator and Media RSS images.
import { escapeHtml } from '../text.ts';
import type { FeedDocument, FeedItem } from './model.ts';
import { GENERATOR } from './model.ts';
import { el, plainText, reused, type XmlElement, xmlDocument } from './xml.ts';

// One rule per element (RSS Best Practices Profile): `description` (channel and item) and `content:encoded` hold
// HTML, so text placed there is escaped as HTML first; every other element that a person reads (titles, category,
// creator, copyright) holds plain text, written with hexadecimal references. No text reaches the feed any other way.
const html = (name: string, text: string) => el(name, {}, escapeHtml(text));
const sanitizedHtml = (name: string, markup: string) => el(name, {}, markup);
const text = plainText;

const NAMESPACES = {
  'xmlns:atom': 'http://www.w3.org/2005/Atom',
  'xmlns:content': 'http://purl.org/rss/1.0/modules/content/',
  'xmlns:dc': 'http://purl.org/dc/elements/1.1/',
  'xmlns:media': 'http://search.yahoo.com/mrss/',
};

const ITEMS = new WeakMap<FeedItem, XmlElement>();

function item(entry: FeedItem) {
  const { image } = entry;
  return el(
    'item',
    {},
    text('title', entry.title),
    el('link', {}, entry.url),
    el('guid', { isPermaLink: 'false' }, entry.id),
    el('pubDate', {}, entry.date.toUTCString()),
    entry.summary !== undefined && html('description', entry.summary),
    entry.contentHtml !== '' && sanitizedHtml('content:encoded', entry.contentHtml),
    entry.credit && text('dc:creator', entry.credit.name),
    entry.tags.map((tag) => text('category', tag)),
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
  const channel = el(
    'channel',
    {},
    text('title', feed.title),
    el('link', {}, feed.homeUrl),
    html('description', feed.description),
    el('language', {}, feed.language),
    feed.copyright && text('copyright', feed.copyright),
    // pubDate: when the newest item was published; lastBuildDate: when the content last changed (an edit counts).
    feed.published && el('pubDate', {}, feed.published.toUTCString()),
    el('lastBuildDate', {}, feed.updated.toUTCString()),
    el('generator', {}, GENERATOR),
    el('docs', {}, 'https://www.rssboard.org/rss-specification'),
    feed.logoUrl &&
      el('image', {}, el('url', {}, feed.logoUrl), text('title', feed.title), el('link', {}, feed.homeUrl)),
    el('atom:link', { href: feed.links.rss, rel: 'self', type: 'application/rss+xml' }),
    feed.hubUrl && el('atom:link', { href: feed.hubUrl, rel: 'hub' }),
    feed.items.map((entry) => reused(ITEMS, entry, item)),
  );
  return xmlDocument(el('rss', { version: '2.0', ...NAMESPACES }, channel));
}
