// Selection → outputs: every feed in three formats, the OPML list and the index page, as plain data. No I/O, no clock.
import type { ArticleFacts, RenderedArticle } from './article.ts';
import type { SiteConfig } from './config.ts';
import { ARCHIVE_INDEX_KEY, digestFeedLinks } from './digest/archive.ts';
import type { IssueSummary } from './digest/issue.ts';
import { renderAtom } from './feeds/atom.ts';
import { type Channel, planChannels } from './feeds/channels.ts';
import { idPath, toFeedItem } from './feeds/items.ts';
import { renderJsonFeed } from './feeds/json-feed.ts';
import type { FeedDocument, FeedItem, FeedLinks } from './feeds/model.ts';
import { renderOpml } from './feeds/opml.ts';
import { renderRss } from './feeds/rss.ts';
import { FRONT_PAGE_HEADLINES, renderIndexPage } from './index-page.ts';
import { asOf, byNewest } from './select.ts';
import { SITE_CSS, STYLE_KEY } from './style.ts';

export const CONTENT_TYPES = {
  css: 'text/css; charset=utf-8',
  jsonData: 'application/json; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
  opml: 'text/x-opml; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

export const FILE_NAMES = { rss: 'feed.xml', atom: 'atom.xml', json: 'feed.json' } as const;
export const OPML_KEY = 'feeds.opml';
export const INDEX_KEY = 'index.html';
/** The topics that have a feed, `[{ "slug", "label", "articles" }]` by slug: the subscriber API offers these. */
export const TOPICS_KEY = 'topics.json';

export interface Output {
  key: string;
  body: string;
  contentType: string;
}

export interface PublishedFeed {
  kind: Channel['kind'];
  label: string;
  title: string;
  links: FeedLinks;
  /** Articles in the channel, before the item limit. */
  itemCount: number;
}

/**
 * Whether a key in the destination belongs to a topic or category feed this tool writes: such a key that the current
 * build did not produce is a feed whose last article went away, and is deleted.
 */
export function isChannelFeedKey(key: string): boolean {
  return /^(topics|categories)\/[^/]+\/(feed\.xml|atom\.xml|feed\.json)$/.test(key);
}

function titleOf(channel: Channel, config: SiteConfig): { title: string; description: string } {
  if (channel.kind === 'site') return { title: config.title, description: config.description };
  const about = channel.kind === 'topic' ? `Articles about ${channel.label}` : `${channel.label} articles`;
  return { title: `${config.title}: ${channel.label}`, description: `${about} from ${config.title}.` };
}

function linksOf(channel: Channel, baseUrl: string): FeedLinks {
  const at = (name: string) => new URL(`${channel.dir}${name}`, baseUrl).href;
  return { rss: at(FILE_NAMES.rss), atom: at(FILE_NAMES.atom), json: at(FILE_NAMES.json) };
}

/** The feed's id: `tag:…:feeds/all`, `tag:…:feeds/topics/ai`, with non-ASCII slugs percent-encoded. */
export function feedId(idPrefix: string, dir: string): string {
  return `${idPrefix}feeds/${idPath(dir.replace(/\/$/, '') || 'all')}`;
}

/** The latest of the items' publication and edit dates. */
function latestDate(items: readonly FeedItem[]): Date | undefined {
  let latest: Date | undefined;
  for (const item of items) {
    const date = item.updated && item.updated > item.date ? item.updated : item.date;
    if (!latest || date > latest) latest = date;
  }
  return latest;
}

/** Which feeds there are and which articles each output shows: made once per build, before anything is rendered. */
export interface SitePlan {
  newestFirst: ArticleFacts[];
  channels: Channel[];
  /** The ids of the articles some output shows: each feed's newest `itemLimit` and the front page's headlines. */
  shown: Set<string>;
}

export function planSite(selected: readonly ArticleFacts[], config: SiteConfig): SitePlan {
  const newestFirst = [...selected].sort(byNewest);
  const channels = planChannels(newestFirst);
  const shown = new Set(newestFirst.slice(0, FRONT_PAGE_HEADLINES).map((article) => article.id));
  for (const channel of channels) {
    for (const article of channel.articles.slice(0, config.itemLimit)) shown.add(article.id);
  }
  return { newestFirst, channels, shown };
}

/**
 * The version of what renderSite makes of given articles and settings. Raise it with every change to a feed's bytes
 * (the golden outputs change; tests/golden checks that it was raised): feeds recorded under another version are
 * rendered again, however unchanged their articles.
 */
export const FEED_RENDERING = 1;

/**
 * What each feed's files are made from, as text, by channel folder: the rendering version, the settings, the channel,
 * and for each article it shows its id, the version of its file (`versionOf`: the ETag, or size and date) and whether
 * an edit of it is in effect at `now`. Equal text means byte-identical files, so a feed whose text is what an earlier
 * build recorded, and whose files the destination still holds as written, need not be rendered again. `now` counts
 * only for a feed without items (dated `now`); a channel with an article of unknown version has no text.
 */
export function feedInputs(
  plan: SitePlan,
  config: SiteConfig,
  now: Date,
  versionOf: (id: string) => string | undefined,
): Map<string, string> {
  const settings = `${FEED_RENDERING}\n${JSON.stringify(config)}`;
  const inputs = new Map<string, string>();
  for (const channel of plan.channels) {
    const showing = channel.articles.slice(0, config.itemLimit);
    const versions = showing.map((article) => versionOf(article.id));
    if (versions.includes(undefined)) continue;
    const items = showing.map((article, i) => {
      const edited = asOf(article, now).updatedAt !== undefined;
      return `${article.id}\t${versions[i]}\t${edited ? 'edited' : 'as published'}`;
    });
    const dated = showing.length === 0 ? [now.toISOString()] : [];
    inputs.set(channel.dir, [settings, channel.kind, channel.dir, channel.label, ...dated, ...items].join('\n'));
  }
  return inputs;
}

/** The keys of a channel's feed files: `topics/ai/feed.xml`, `…/atom.xml`, `…/feed.json`. */
export function feedKeys(dir: string): string[] {
  return Object.values(FILE_NAMES).map((name) => `${dir}${name}`);
}

/**
 * Renders the whole site from its plan and the shown articles (`plan.shown`) rendered. Equal selection (in any order)
 * and config give byte-identical outputs; `now` only dates a feed that has no items (there is no item date to take,
 * and 1970 would be a lie), and holds back edits dated after it. The feeds of the channels in `unchanged` (folders)
 * are not rendered: the destination holds them as they would be (see feedInputs); their keys are returned as `kept`.
 */
export function renderSite(
  plan: SitePlan,
  shown: ReadonlyMap<string, RenderedArticle>,
  config: SiteConfig,
  options: { now: Date; digestIssues?: readonly IssueSummary[]; unchanged?: ReadonlySet<string> },
): { outputs: Output[]; feeds: PublishedFeed[]; kept: string[] } {
  // An article appears in several feeds; its item is made once.
  const items = new Map<string, FeedItem>();
  const articleOf = (facts: ArticleFacts) => {
    const article = shown.get(facts.id);
    if (!article) throw new Error(`renderSite: ${facts.file} is shown but was not given rendered`);
    return asOf(article, options.now);
  };
  const itemFor = (facts: ArticleFacts) => {
    const known = items.get(facts.id);
    if (known) return known;
    const item = toFeedItem(articleOf(facts), config.idPrefix);
    items.set(facts.id, item);
    return item;
  };
  const homeUrl = config.siteUrl ?? config.baseUrl;
  const feeds: PublishedFeed[] = [];
  const channelOutputs: Output[][] = [];
  const kept: string[] = [];

  const { newestFirst, channels } = plan;
  for (const channel of channels) {
    const { title, description } = titleOf(channel, config);
    const links = linksOf(channel, config.baseUrl);
    feeds.push({ kind: channel.kind, label: channel.label, title, links, itemCount: channel.articles.length });
    if (options.unchanged?.has(channel.dir)) {
      kept.push(...feedKeys(channel.dir));
      channelOutputs.push([]);
      continue;
    }
    const shown = channel.articles.slice(0, config.itemLimit).map(itemFor);
    const document: FeedDocument = {
      id: feedId(config.idPrefix, channel.dir),
      title,
      description,
      homeUrl,
      language: config.language,
      author: config.author,
      updated: latestDate(shown) ?? options.now,
      ...(shown[0] ? { published: shown[0].date } : {}),
      links,
      items: shown,
      ...(config.hubUrl ? { hubUrl: config.hubUrl } : {}),
      ...(config.logoUrl ? { logoUrl: config.logoUrl } : {}),
      ...(config.iconUrl ? { iconUrl: config.iconUrl } : {}),
      ...(config.copyright ? { copyright: config.copyright } : {}),
    };
    channelOutputs.push([
      { key: `${channel.dir}${FILE_NAMES.rss}`, body: renderRss(document), contentType: CONTENT_TYPES.rss },
      { key: `${channel.dir}${FILE_NAMES.atom}`, body: renderAtom(document), contentType: CONTENT_TYPES.atom },
      { key: `${channel.dir}${FILE_NAMES.json}`, body: renderJsonFeed(document), contentType: CONTENT_TYPES.json },
    ]);
  }

  const opmlUrl = new URL(OPML_KEY, config.baseUrl).href;
  // Written in order: topic and category feeds, then the site feeds, then the lists that point at them, so a reader
  // following a link during a run never lands on a feed that does not exist yet.
  const [siteOutputs = [], ...channelFeedOutputs] = channelOutputs;
  const outputs: Output[] = [
    ...channelFeedOutputs.flat(),
    ...siteOutputs,
    {
      key: OPML_KEY,
      body: renderOpml(
        config.title,
        homeUrl,
        feeds,
        config.digest
          ? {
              title: `${config.title}: weekly digest`,
              rss: digestFeedLinks(config.baseUrl).rss,
              htmlUrl: new URL(ARCHIVE_INDEX_KEY, config.baseUrl).href,
            }
          : undefined,
      ),
      contentType: CONTENT_TYPES.opml,
    },
    { key: TOPICS_KEY, body: topicsJson(feeds), contentType: CONTENT_TYPES.jsonData },
    { key: STYLE_KEY, body: SITE_CSS, contentType: CONTENT_TYPES.css },
    {
      key: INDEX_KEY,
      body: renderIndexPage(config, feeds, opmlUrl, {
        latest: newestFirst.slice(0, FRONT_PAGE_HEADLINES).map(articleOf),
        topics: topicChoices(feeds),
        issues: options.digestIssues ?? [],
      }),
      contentType: CONTENT_TYPES.html,
    },
  ];
  return { outputs, feeds, kept };
}

/** `topics/ai-in-healthcare/` → `ai-in-healthcare`. */
function slugOf(feed: PublishedFeed): string {
  return feed.links.rss.split('/topics/')[1]?.split('/')[0] ?? '';
}

/** The topics that have a feed, by slug (decoded), with their labels: the choice on the sign-up forms. */
export function topicChoices(feeds: readonly PublishedFeed[]): { slug: string; label: string }[] {
  return feeds
    .filter((f) => f.kind === 'topic')
    .map((f) => ({ slug: decodeURIComponent(slugOf(f)), label: f.label }))
    .sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
}

function topicsJson(feeds: readonly PublishedFeed[]): string {
  const counts = new Map(feeds.filter((f) => f.kind === 'topic').map((f) => [f.label, f.itemCount]));
  const topics = topicChoices(feeds).map((t) => ({ ...t, articles: counts.get(t.label) ?? 0 }));
  return `${JSON.stringify(topics, null, 1)}\n`;
}
