// The front page: the latest headlines, the digest's sign-up form and latest issues, and every feed, with
// <link rel="alternate"> so browsers and readers discover them. Deterministic and small: no script, one stylesheet.
import type { ArticleCard } from './article.ts';
import type { SiteConfig } from './config.ts';
import { ARCHIVE_INDEX_KEY, digestFeedLinks, issueKey } from './digest/archive.ts';
import type { IssueSummary } from './digest/issue.ts';
import { signupForm, type TopicChoice } from './signup-form.ts';
import type { PublishedFeed } from './site.ts';
import { STYLE_KEY } from './style.ts';
import { escapeHtml } from './text.ts';

/** How many headlines and digest issues the front page shows. */
export const FRONT_PAGE_HEADLINES = 10;
export const FRONT_PAGE_ISSUES = 5;

const FORMATS = [
  { key: 'rss', name: 'RSS', type: 'application/rss+xml' },
  { key: 'atom', name: 'Atom', type: 'application/atom+xml' },
  { key: 'json', name: 'JSON Feed', type: 'application/feed+json' },
] as const;

export interface FrontPage {
  /** The newest published articles, newest first. */
  latest: readonly ArticleCard[];
  /** Topics that have a feed, for the sign-up form's choice. */
  topics: readonly TopicChoice[];
  /** Every digest issue so far, oldest first (none when there is no digest yet). */
  issues: readonly IssueSummary[];
}

function row(feed: PublishedFeed): string {
  const links = FORMATS.map((f) => `<a href="${escapeHtml(feed.links[f.key])}">${f.name}</a>`).join(' · ');
  const count = `${feed.itemCount} ${feed.itemCount === 1 ? 'article' : 'articles'}`;
  return `<li><strong>${escapeHtml(feed.label)}</strong> <span class="n">${count}</span><br>${links}</li>`;
}

function section(heading: string, feeds: PublishedFeed[]): string {
  return feeds.length === 0 ? '' : `<h3>${heading}</h3>\n<ul class="plain">\n${feeds.map(row).join('\n')}\n</ul>\n`;
}

function headlines(config: SiteConfig, latest: readonly ArticleCard[]): string {
  if (latest.length === 0) return '';
  const day = new Intl.DateTimeFormat(config.language, {
    timeZone: config.digest?.timeZone ?? 'UTC',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  });
  const items = latest.slice(0, FRONT_PAGE_HEADLINES).map((article) => {
    const meta = [article.provider?.name, day.format(article.publishedAt)].filter(Boolean).join(' · ');
    return `<li><a href="${escapeHtml(article.webUrl)}">${escapeHtml(article.title)}</a><br><span class="n">${escapeHtml(meta)}</span></li>`;
  });
  return `<h2>Latest stories</h2>\n<ul class="plain">\n${items.join('\n')}\n</ul>\n`;
}

function digestSection(config: SiteConfig, issues: readonly IssueSummary[]): string {
  if (!config.digest) return '';
  const links = digestFeedLinks(config.baseUrl);
  const feeds = FORMATS.map((f) => `<a href="${escapeHtml(links[f.key])}">${f.name}</a>`).join(' · ');
  const archive = escapeHtml(new URL(ARCHIVE_INDEX_KEY, config.baseUrl).href);
  const recent = [...issues]
    .reverse()
    .slice(0, FRONT_PAGE_ISSUES)
    .map((issue) => {
      const url = escapeHtml(new URL(issueKey(issue.id), config.baseUrl).href);
      const lead = issue.headlines[0] ? `<br><span class="n">${escapeHtml(issue.headlines[0])}</span>` : '';
      return `<li><a href="${url}">Issue #${issue.number} (${escapeHtml(issue.id)})</a> <span class="n">${issue.shown} ${issue.shown === 1 ? 'story' : 'stories'}</span>${lead}</li>`;
    });
  const list =
    recent.length > 0 ? `<ul class="plain">\n${recent.join('\n')}\n</ul>\n` : '<p class="muted">No issue yet.</p>\n';
  return `<h2>The weekly digest</h2>
${list}<p><a href="${archive}">Every issue</a> · follow it in a feed reader: ${feeds}</p>
`;
}

export function renderIndexPage(
  config: SiteConfig,
  feeds: readonly PublishedFeed[],
  opmlUrl: string,
  front: FrontPage = { latest: [], topics: [], issues: [] },
): string {
  const site = feeds.find((f) => f.kind === 'site');
  const discovery = site
    ? FORMATS.map(
        (f) =>
          `<link rel="alternate" type="${f.type}" title="${escapeHtml(`${config.title} (${f.name})`)}" href="${escapeHtml(site.links[f.key])}">`,
      ).join('\n')
    : '';
  const of = (kind: PublishedFeed['kind']) => feeds.filter((f) => f.kind === kind);
  const copyright = config.copyright ? `<footer><p class="muted">${escapeHtml(config.copyright)}</p></footer>\n` : '';
  return `<!doctype html>
<html lang="${escapeHtml(config.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(config.title)}</title>
<meta name="description" content="${escapeHtml(config.description)}">
${discovery}
<link rel="stylesheet" href="${STYLE_KEY}">
</head>
<body>
<main>
<h1>${escapeHtml(config.title)}</h1>
<p>${escapeHtml(config.description)}</p>
${headlines(config, front.latest)}${signupForm(config, front.topics)}
${digestSection(config, front.issues)}<h2>Feeds</h2>
<p>Copy a feed link into your feed reader (Feedly, Inoreader, NetNewsWire, Thunderbird…), or import <a href="${escapeHtml(opmlUrl)}">all feeds as OPML</a>.</p>
${section('Everything', of('site'))}${section('Topics', of('topic'))}${section('Categories', of('category'))}</main>
${copyright}</body>
</html>
`;
}
