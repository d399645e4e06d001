// The HTML page a person lands on: what the feeds are, with <link rel="alternate"> so browsers and readers discover them.
import type { SiteConfig } from './config.ts';
import { ARCHIVE_INDEX_KEY, digestFeedLinks } from './digest/archive.ts';
import type { PublishedFeed } from './site.ts';
import { escapeHtml } from './text.ts';

const FORMATS = [
  { key: 'rss', name: 'RSS', type: 'application/rss+xml' },
  { key: 'atom', name: 'Atom', type: 'application/atom+xml' },
  { key: 'json', name: 'JSON Feed', type: 'application/feed+json' },
] as const;

function row(feed: PublishedFeed): string {
  const links = FORMATS.map((f) => `<a href="${escapeHtml(feed.links[f.key])}">${f.name}</a>`).join(' · ');
  const count = `${feed.itemCount} ${feed.itemCount === 1 ? 'article' : 'articles'}`;
  return `<li><strong>${escapeHtml(feed.label)}</strong> <span class="n">${count}</span><br>${links}</li>`;
}

function section(heading: string, feeds: PublishedFeed[]): string {
  return feeds.length === 0 ? '' : `<h2>${heading}</h2>\n<ul>\n${feeds.map(row).join('\n')}\n</ul>\n`;
}

/** The weekly digest: its archive and its feeds, when the site has a digest. */
function digestSection(config: SiteConfig): string {
  if (!config.digest) return '';
  const links = digestFeedLinks(config.baseUrl);
  const feeds = FORMATS.map((f) => `<a href="${escapeHtml(links[f.key])}">${f.name}</a>`).join(' · ');
  const archive = escapeHtml(new URL(ARCHIVE_INDEX_KEY, config.baseUrl).href);
  return `<h2>Weekly digest</h2>
<ul>
<li><strong><a href="${archive}">Every issue of the weekly email digest</a></strong><br>${feeds}</li>
</ul>
`;
}

export function renderIndexPage(config: SiteConfig, feeds: readonly PublishedFeed[], opmlUrl: string): string {
  const site = feeds.find((f) => f.kind === 'site');
  const discovery = site
    ? FORMATS.map(
        (f) =>
          `<link rel="alternate" type="${f.type}" title="${escapeHtml(`${config.title} (${f.name})`)}" href="${escapeHtml(site.links[f.key])}">`,
      ).join('\n')
    : '';
  const of = (kind: PublishedFeed['kind']) => feeds.filter((f) => f.kind === kind);
  return `<!doctype html>
<html lang="${escapeHtml(config.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(config.title)}: feeds</title>
<meta name="description" content="${escapeHtml(config.description)}">
${discovery}
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{margin-bottom:0}ul{list-style:none;padding:0}li{margin:.75rem 0}.n{color:#666;font-size:.9em}
</style>
</head>
<body>
<h1>${escapeHtml(config.title)}</h1>
<p>${escapeHtml(config.description)}</p>
<p>Copy a feed link into your feed reader (Feedly, Inoreader, NetNewsWire, Thunderbird…), or import <a href="${escapeHtml(opmlUrl)}">all feeds as OPML</a>.</p>
${section('Everything', of('site'))}${digestSection(config)}${section('Topics', of('topic'))}${section('Categories', of('category'))}</body>
</html>
`;
}
