// Atom 1.0 (RFC 4287): text constructs as type="text" or "html", tag: ids, enclosure links and Media RSS images.
import type { FeedDocument, FeedItem } from './model.ts';
import { GENERATOR, rfc3339 } from './model.ts';
import { el, reused, type XmlElement, xmlDocument } from './xml.ts';

function person(tag: 'author', who: { name: string; email?: string; url?: string }) {
  return el(
    tag,
    {},
    el('name', {}, who.name),
    who.email && el('email', {}, who.email),
    who.url && el('uri', {}, who.url),
  );
}

const ENTRIES = new WeakMap<FeedItem, XmlElement>();

function entry(item: FeedItem) {
  const { image } = item;
  return el(
    'entry',
    {},
    el('id', {}, item.id),
    el('title', { type: 'text' }, item.title),
    el('link', { rel: 'alternate', type: 'text/html', href: item.url }),
    item.externalUrl && el('link', { rel: 'via', href: item.externalUrl }),
    el('published', {}, rfc3339(item.date)),
    el('updated', {}, rfc3339(item.updated ?? item.date)),
    item.credit && person('author', item.credit),
    item.tags.map((tag) => el('category', { term: tag })),
    item.summary !== undefined && el('summary', { type: 'text' }, item.summary),
    item.contentHtml !== '' && el('content', { type: 'html' }, item.contentHtml),
    image?.type && el('link', { rel: 'enclosure', type: image.type, href: image.url }),
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

export function renderAtom(feed: FeedDocument): string {
  const root = el(
    'feed',
    { xmlns: 'http://www.w3.org/2005/Atom', 'xmlns:media': 'http://search.yahoo.com/mrss/', 'xml:lang': feed.language },
    el('id', {}, feed.id),
    el('title', { type: 'text' }, feed.title),
    el('subtitle', { type: 'text' }, feed.description),
    el('updated', {}, rfc3339(feed.updated)),
    // The feed-level author covers every entry without a provider.
    person('author', feed.author),
    el('link', { rel: 'self', type: 'application/atom+xml', href: feed.links.atom }),
    el('link', { rel: 'alternate', type: 'text/html', href: feed.homeUrl }),
    feed.hubUrl && el('link', { rel: 'hub', href: feed.hubUrl }),
    el('generator', {}, GENERATOR),
    feed.iconUrl && el('icon', {}, feed.iconUrl),
    feed.logoUrl && el('logo', {}, feed.logoUrl),
    feed.copyright && el('rights', { type: 'text' }, feed.copyright),
    feed.items.map((item) => reused(ENTRIES, item, entry)),
  );
  return xmlDocument(root);
}
