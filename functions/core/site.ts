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
 * Renders the whole site from its plan and the shown articles (`plan.shown`) rendered. Equal selection (in any order)
 * and config give byte-identical outputs; `now` only dates a feed that has no items (there is no item date to take,
 * and 1970 would be a lie), and holds back edits dated after it.
 */
export function renderSite(
  plan: SitePlan,
  shown: ReadonlyMap<string, RenderedArticle>,
  config: SiteConfig,
  options: {
    now: Date;
    digestIssues?: readonly IssueSummary[];
    /**
     * The feeds an earlier render of these same rendered articles made, by what they show (filled here): a second
     * build of a run, after a new digest issue changed the front page, renders no feed again.
     */
    renderedFeeds?: Map<string, Output[]>;
  },
): { outputs: Output[]; feeds: PublishedFeed[] } {
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

  const { newestFirst, channels } = plan;
  // Everything a feed's bytes depend on but its articles: the configuration and the time.
  const settings = options.renderedFeeds ? `${options.now.getTime()}\n${JSON.stringify(config)}` : '';
  for (const channel of channels) {
    const { title, description } = titleOf(channel, config);
    const links = linksOf(channel, config.baseUrl);
    feeds.push({ kind: channel.kind, label: channel.label, title, links, itemCount: channel.articles.length });
    const showing = channel.articles.slice(0, config.itemLimit);
    const key = options.renderedFeeds && `${settings}\n${channel.dir}\n${showing.map((a) => a.id).join('\n')}`;
    const earlier = key === undefined ? undefined : options.renderedFeeds?.get(key);
    if (earlier) {
      channelOutputs.push(earlier);
      continue;
    }
    const shown = showing.map(itemFor);
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
    const rendered = [
      { key: `${channel.dir}${FILE_NAMES.rss}`, body: renderRss(document), contentType: CONTENT_TYPES.rss },
      { key: `${channel.dir}${FILE_NAMES.atom}`, body: renderAtom(document), contentType: CONTENT_TYPES.atom },
      { key: `${channel.dir}${FILE_NAMES.json}`, body: renderJsonFeed(document), contentType: CONTENT_TYPES.json },
    ];
    if (key !== undefined) options.renderedFeeds?.set(key, rendered);
    channelOutputs.push(rendered);
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
  return { outputs, feeds };
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
