// The digest's public archive: a page per issue (rendered elsewhere), the list of every issue, and RSS, Atom and
// JSON Feed of the issues themselves, so a person can follow the digest in a feed reader instead of by email.
import type { SiteConfig } from '../config.ts';
import { renderAtom } from '../feeds/atom.ts';
import { idPath } from '../feeds/items.ts';
import { renderJsonFeed } from '../feeds/json-feed.ts';
import type { FeedDocument, FeedItem, FeedLinks } from '../feeds/model.ts';
import { renderRss } from '../feeds/rss.ts';
import { signupForm, type TopicChoice } from '../signup-form.ts';
import { CONTENT_TYPES, FILE_NAMES, type Output } from '../site.ts';
import { STYLE_KEY } from '../style.ts';
import { escapeHtml } from '../text.ts';
import type { IssueSummary } from './issue.ts';

export const DIGEST_DIR = 'digests/';
export const ARCHIVE_INDEX_KEY = `${DIGEST_DIR}index.html`;

/** `digests/2026-W48.html`. */
export function issueKey(issueId: string): string {
  return `${DIGEST_DIR}${issueId}.html`;
}

export function digestFeedLinks(baseUrl: string): FeedLinks {
  const at = (name: string) => new URL(`${DIGEST_DIR}${name}`, baseUrl).href;
  return { rss: at(FILE_NAMES.rss), atom: at(FILE_NAMES.atom), json: at(FILE_NAMES.json) };
}

/** `16–23 November 2026`, in the digest's zone and the site's language. */
export function issueDates(since: Date, dueAt: Date, language: string, timeZone: string): string {
  return new Intl.DateTimeFormat(language, { timeZone, day: 'numeric', month: 'long', year: 'numeric' }).formatRange(
    since,
    dueAt,
  );
}

function issueTitle(issue: IssueSummary, config: SiteConfig, timeZone: string): string {
  return `Weekly digest #${issue.number}: ${issueDates(issue.since, issue.dueAt, config.language, timeZone)}`;
}

function feedItem(issue: IssueSummary, config: SiteConfig, timeZone: string): FeedItem {
  const url = new URL(issueKey(issue.id), config.baseUrl).href;
  const stories = `${issue.shown} ${issue.shown === 1 ? 'story' : 'stories'}`;
  const headlines = issue.headlines.map((h) => `<li>${escapeHtml(h)}</li>`).join('');
  return {
    id: `${config.idPrefix}digests/${idPath(issue.id)}`,
    url,
    title: issueTitle(issue, config, timeZone),
    summary: issue.headlines.length > 0 ? `${stories}, led by: ${issue.headlines.join('; ')}` : stories,
    contentHtml: `${headlines ? `<ul>${headlines}</ul>` : ''}<p><a href="${escapeHtml(url)}">Read issue #${issue.number} (${stories})</a></p>`,
    date: issue.dueAt,
    tags: [],
  };
}

function indexPage(
  issues: readonly IssueSummary[],
  config: SiteConfig,
  links: FeedLinks,
  options: { timeZone: string; topics: readonly TopicChoice[] },
): string {
  const rows = [...issues]
    .reverse()
    .map((issue) => {
      const lead = issue.headlines[0] ? `<br><span class="n">${escapeHtml(issue.headlines[0])}</span>` : '';
      return `<li><a href="${escapeHtml(`${issue.id}.html`)}">${escapeHtml(issueTitle(issue, config, options.timeZone))}</a> <span class="n">${issue.shown} ${issue.shown === 1 ? 'story' : 'stories'}</span>${lead}</li>`;
    })
    .join('\n');
  const home = config.siteUrl ?? config.baseUrl;
  return `<!doctype html>
<html lang="${escapeHtml(config.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(config.title)}: weekly digest archive</title>
<link rel="alternate" type="application/rss+xml" title="${escapeHtml(`${config.title} weekly digest (RSS)`)}" href="${escapeHtml(links.rss)}">
<link rel="alternate" type="application/atom+xml" title="${escapeHtml(`${config.title} weekly digest (Atom)`)}" href="${escapeHtml(links.atom)}">
<link rel="alternate" type="application/feed+json" title="${escapeHtml(`${config.title} weekly digest (JSON Feed)`)}" href="${escapeHtml(links.json)}">
<link rel="stylesheet" href="../${STYLE_KEY}">
</head>
<body>
<main>
<h1>${escapeHtml(config.title)}: weekly digest</h1>
<p>Every issue of the weekly email digest, newest first. Follow it in a feed reader: <a href="${escapeHtml(links.rss)}">RSS</a> · <a href="${escapeHtml(links.atom)}">Atom</a> · <a href="${escapeHtml(links.json)}">JSON Feed</a>. <a href="${escapeHtml(home)}">All feeds</a></p>
${signupForm(config, options.topics)}
${rows ? `<ul class="plain">\n${rows}\n</ul>` : '<p>No issue yet: the first one comes out on the next issue day.</p>'}
</main>
</body>
</html>
`;
}

/**
 * The archive's list page and its three feeds, from every issue so far (oldest first). Deterministic: an empty
 * archive's feeds are dated `now` (there is no issue date to take), otherwise by the newest issue.
 */
export function renderArchive(
  issues: readonly IssueSummary[],
  config: SiteConfig,
  options: { now: Date; timeZone: string; topics?: readonly TopicChoice[] },
): Output[] {
  const links = digestFeedLinks(config.baseUrl);
  const items = [...issues]
    .reverse()
    .slice(0, config.itemLimit)
    .map((issue) => feedItem(issue, config, options.timeZone));
  const document: FeedDocument = {
    id: `${config.idPrefix}feeds/digests`,
    title: `${config.title}: weekly digest`,
    description: `Every issue of the weekly email digest of ${config.title}.`,
    homeUrl: new URL(ARCHIVE_INDEX_KEY, config.baseUrl).href,
    language: config.language,
    author: config.author,
    updated: items[0]?.date ?? options.now,
    ...(items[0] ? { published: items[0].date } : {}),
    links,
    items,
    ...(config.hubUrl ? { hubUrl: config.hubUrl } : {}),
    ...(config.logoUrl ? { logoUrl: config.logoUrl } : {}),
    ...(config.iconUrl ? { iconUrl: config.iconUrl } : {}),
    ...(config.copyright ? { copyright: config.copyright } : {}),
  };
  return [
    { key: `${DIGEST_DIR}${FILE_NAMES.rss}`, body: renderRss(document), contentType: CONTENT_TYPES.rss },
    { key: `${DIGEST_DIR}${FILE_NAMES.atom}`, body: renderAtom(document), contentType: CONTENT_TYPES.atom },
    { key: `${DIGEST_DIR}${FILE_NAMES.json}`, body: renderJsonFeed(document), contentType: CONTENT_TYPES.json },
    {
      key: ARCHIVE_INDEX_KEY,
      body: indexPage(issues, config, links, { timeZone: options.timeZone, topics: options.topics ?? [] }),
      contentType: CONTENT_TYPES.html,
    },
  ];
}
