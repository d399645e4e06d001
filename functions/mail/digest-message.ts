// One issue as messages: its cards filled once per issue, then per reader only arranged, cut to the byte budget and
// joined with the personal links. No MJML here: the templates were compiled at build time.
import type { ArticleCard } from '../core/article.ts';
import type { SiteConfig } from '../core/config.ts';
import { type Arrangement, arrangeIssue } from '../core/digest/rank.ts';
import { cleanLine, escapeHtml, truncateAtWord } from '../core/text.ts';
import { DIGEST_HTML, DIGEST_TEXT } from './generated/templates.ts';
import { type CompiledTemplate, fill, fragment } from './template.ts';

/**
 * Gmail clips an HTML part over about 102 KB and hides what follows, the unsubscribe link included. Every assembled
 * message stays under this many bytes of HTML (UTF-8), with a margin.
 */
export const HTML_BUDGET_BYTES = 100_000;

/** The content width of the message (600 px minus the 24 px padding either side), for image sizes. */
const CONTENT_WIDTH = 552;
/** A digest is read at a glance: excerpts are cut at a word to this many characters, related links to three. */
export const CARD_EXCERPT_CHARS = 400;
export const CARD_RELATED_LINKS = 3;
const THUMB_WIDTH = 88;

export interface IssueFacts {
  id: string;
  number: number;
  dueAt: Date;
  /** The start of the period the issue covers (the previous issue, or a week before this one). */
  since: Date;
}

export interface DigestContext {
  config: SiteConfig & { digest: NonNullable<SiteConfig['digest']> };
  issue: IssueFacts;
  /** The public web copy of this issue, and the list of all issues. */
  archiveUrl: string;
  archiveIndexUrl: string;
}

interface Card {
  rank: number;
  html: { story: string; brief: string };
  text: string;
  bytes: { story: number; brief: number };
}

/** An issue with every card filled: what a sender keeps while it assembles a message for each reader. */
export interface PreparedIssue {
  context: DigestContext;
  ranked: readonly ArticleCard[];
  cards: ReadonlyMap<string, Card>;
}

export interface PersonalLinks {
  unsubscribeUrl: string;
  preferencesUrl: string;
}

export interface AssembledMessage {
  subject: string;
  html: string;
  text: string;
  /** Articles shown, and articles of the reader's issue left out by the byte budget. */
  shown: number;
  omitted: number;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const asText = (value: string) => value;

function dateFormat(context: DigestContext, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(context.config.language, { timeZone: context.config.digest.timeZone, ...options });
}

/** `Provider · 23 Nov 2026 · AI, Health`. */
function metaLine(article: ArticleCard, day: Intl.DateTimeFormat): string {
  return [article.provider?.name, day.format(article.publishedAt), article.topics.join(', ')]
    .filter((part): part is string => Boolean(part))
    .join(' · ');
}

function relatedHtml(template: CompiledTemplate, kind: 'story' | 'brief', article: ArticleCard): string {
  if (article.related.length === 0) return '';
  const links = article.related
    .slice(0, CARD_RELATED_LINKS)
    .map((r) => {
      const by = r.providerName
        ? fill(fragment(template, `stories.${kind}.related.link.by`), { provider: r.providerName }, {}, escapeHtml)
        : '';
      return fill(
        fragment(template, `stories.${kind}.related.link`),
        { url: r.url, title: r.title },
        { by },
        escapeHtml,
      );
    })
    .join('');
  return fill(fragment(template, `stories.${kind}.related`), {}, { link: links }, escapeHtml);
}

function relatedText(article: ArticleCard): string {
  if (article.related.length === 0) return '';
  const links = article.related
    .slice(0, CARD_RELATED_LINKS)
    .map((r) => {
      const by = r.providerName
        ? fill(fragment(DIGEST_TEXT, 'stories.story.related.link.by'), { provider: r.providerName }, {}, asText)
        : '';
      return fill(fragment(DIGEST_TEXT, 'stories.story.related.link'), { url: r.url, title: r.title }, { by }, asText);
    })
    .join('');
  return fill(fragment(DIGEST_TEXT, 'stories.story.related'), {}, { link: links }, asText);
}

/** The image of a card scaled to `width`, with the height that keeps its shape when both are known. */
function scaled(image: ArticleCard['images'][number], width: number): { width: string; height?: string } {
  const shown = image.width ? Math.min(width, image.width) : width;
  if (!image.width || !image.height) return { width: String(shown) };
  return { width: String(shown), height: String(Math.max(1, Math.round((image.height * shown) / image.width))) };
}

/** Narrower than this, an image is an icon or a tracking pixel, not a picture of the story: it is not shown. */
const MIN_IMAGE_WIDTH = 48;
/** Taller than this many times its width, an image would be a strip down the message: it is not shown. */
const MAX_IMAGE_RATIO = 3;

/** The article's first image, when it is worth showing in a card. */
function cardImage(article: ArticleCard): ArticleCard['images'][number] | undefined {
  const [image] = article.images;
  if (!image) return undefined;
  if (image.width !== undefined && image.width < MIN_IMAGE_WIDTH) return undefined;
  if (image.width && image.height && image.height / image.width > MAX_IMAGE_RATIO) return undefined;
  return image;
}

function cardOf(article: ArticleCard, rank: number, day: Intl.DateTimeFormat): Card {
  const values = {
    url: article.webUrl,
    title: article.title,
    meta: metaLine(article, day),
    excerpt: truncateAtWord(article.excerpt ?? '', CARD_EXCERPT_CHARS),
  };
  const image = cardImage(article);
  let picture = '';
  let thumb = '';
  if (image) {
    const big = scaled(image, CONTENT_WIDTH);
    picture = big.height
      ? fill(
          fragment(DIGEST_HTML, 'stories.story.picture'),
          { src: image.url, width: big.width, height: big.height },
          {},
          escapeHtml,
        )
      : fill(
          fragment(DIGEST_HTML, 'stories.story.pictureUnsized'),
          { src: image.url, width: big.width },
          {},
          escapeHtml,
        );
    const small =
      image.width && image.height
        ? { height: String(Math.max(1, Math.round((image.height * THUMB_WIDTH) / image.width))) }
        : undefined;
    thumb = small
      ? fill(fragment(DIGEST_HTML, 'stories.brief.thumb'), { src: image.url, height: small.height }, {}, escapeHtml)
      : fill(fragment(DIGEST_HTML, 'stories.brief.thumbUnsized'), { src: image.url }, {}, escapeHtml);
  }
  const story = fill(
    fragment(DIGEST_HTML, 'stories.story'),
    values,
    { picture, pictureUnsized: '', related: relatedHtml(DIGEST_HTML, 'story', article) },
    escapeHtml,
  );
  const brief = fill(
    fragment(DIGEST_HTML, 'stories.brief'),
    values,
    { thumb, thumbUnsized: '', related: relatedHtml(DIGEST_HTML, 'brief', article) },
    escapeHtml,
  );
  const text = fill(fragment(DIGEST_TEXT, 'stories.story'), values, { related: relatedText(article) }, asText);
  return { rank, html: { story, brief }, text, bytes: { story: bytes(story), brief: bytes(brief) } };
}

/** Fills every card of an issue once; `ranked` is the issue's articles in rank order (after the per-provider cap). */
export function prepareIssue(context: DigestContext, ranked: readonly ArticleCard[]): PreparedIssue {
  const day = dateFormat(context, { day: 'numeric', month: 'short', year: 'numeric' });
  const cards = new Map<string, Card>();
  ranked.forEach((article, rank) => {
    cards.set(article.id, cardOf(article, rank, day));
  });
  return { context, ranked, cards };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The values of the header and footer shared by the HTML and text parts. */
function frameValues(context: DigestContext, arrangement: Arrangement, personal: boolean) {
  const { config, issue } = context;
  const digest = config.digest;
  const count = arrangement.top.length + arrangement.groups.reduce((n, g) => n + g.articles.length, 0);
  const dates = dateFormat(context, { day: 'numeric', month: 'long', year: 'numeric' }).formatRange(
    issue.since,
    issue.dueAt,
  );
  const headlines = arrangement.top.map((a) => a.title);
  return {
    language: config.language,
    siteTitle: config.title,
    siteUrl: config.siteUrl ?? config.baseUrl,
    issueLabel: `Weekly digest #${issue.number}`,
    dates,
    documentTitle: `${config.title}: weekly digest #${issue.number}`,
    intro:
      count === 0
        ? 'No new stories this week.'
        : `${plural(count, 'story', 'stories')} ${personal ? 'in the topics you chose' : 'this week'}, best first.`,
    preheader: truncateAtWord(headlines.join(' · ') || 'No new stories this week.', 140),
    senderName: digest.from.name,
    senderAddress: digest.from.address,
    postalAddress: digest.postalAddress,
    archiveUrl: context.archiveUrl,
    archiveIndexUrl: context.archiveIndexUrl,
    subscribeUrl: new URL('subscribe', context.config.digest.apiUrl).href,
    headline: headlines[0] ?? 'no new stories',
  };
}

/** A subject from the configured template, on one line: nothing that came from an article can start a header. */
export function subjectLine(template: string, values: Record<string, string>): string {
  const filled = template.replace(/\{([a-z]+)\}/g, (token, name: string) => values[name] ?? token);
  return truncateAtWord(cleanLine(filled.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')), 200);
}

interface Row {
  kind: 'heading' | 'story' | 'brief';
  html: string;
  text: string;
  bytes: number;
  /** For a card: its rank; for a heading: the rank of the first card under it. */
  rank: number;
  /** For a card: the index of its heading row. */
  heading?: number;
}

function rowsOf(prepared: PreparedIssue, arrangement: Arrangement): Row[] {
  const rows: Row[] = [];
  const heading = (label: string, rank: number) => {
    rows.push({
      kind: 'heading',
      html: fill(fragment(DIGEST_HTML, 'stories.heading'), { heading: label }, {}, escapeHtml),
      text: fill(fragment(DIGEST_TEXT, 'stories.heading'), { heading: label }, {}, asText),
      bytes: 0,
      rank,
    });
    rows.at(-1)!.bytes = bytes(rows.at(-1)!.html);
    return rows.length - 1;
  };
  const card = (article: ArticleCard, kind: 'story' | 'brief', headingRow: number) => {
    const filled = prepared.cards.get(article.id)!;
    rows.push({
      kind,
      html: filled.html[kind],
      text: filled.text,
      bytes: filled.bytes[kind],
      rank: filled.rank,
      heading: headingRow,
    });
  };
  if (arrangement.top.length > 0) {
    const at = heading('Top stories', prepared.cards.get(arrangement.top[0]!.id)!.rank);
    for (const article of arrangement.top) card(article, 'story', at);
  }
  const hasTopics = arrangement.groups.some((g) => g.topic !== '');
  for (const group of arrangement.groups) {
    const at = heading(
      group.topic || (hasTopics ? 'More stories' : 'Stories'),
      prepared.cards.get(group.articles[0]!.id)!.rank,
    );
    for (const article of group.articles) card(article, 'brief', at);
  }
  return rows;
}

function moreRow(count: number, archiveUrl: string): { html: string; text: string } {
  const values = { moreCount: `${plural(count, 'more story', 'more stories')} in this issue`, archiveUrl };
  return {
    html: fill(fragment(DIGEST_HTML, 'stories.more'), values, {}, escapeHtml),
    text: fill(fragment(DIGEST_TEXT, 'stories.more'), values, {}, asText),
  };
}

/**
 * The message one reader gets, or undefined when nothing in the issue matches their topics (no message that week).
 * `topics`: the slugs the reader chose; absent: every topic. `links`: their personal links; absent: the web copy.
 */
export function assembleMessage(
  prepared: PreparedIssue,
  reader: { topics?: ReadonlySet<string>; links?: PersonalLinks },
): AssembledMessage | undefined {
  const { context } = prepared;
  const digest = context.config.digest;
  const personal = reader.topics !== undefined && reader.topics.size > 0;
  const arrangement = arrangeIssue(prepared.ranked, digest.topStories, personal ? reader.topics : undefined);
  const total = arrangement.top.length + arrangement.groups.reduce((n, g) => n + g.articles.length, 0);
  if (total === 0 && prepared.ranked.length > 0) return undefined;

  const frame = frameValues(context, arrangement, personal);
  const footer = reader.links
    ? {
        mailFooter: fill(fragment(DIGEST_HTML, 'mailFooter'), { ...frame, ...reader.links }, {}, escapeHtml),
        webFooter: '',
      }
    : { mailFooter: '', webFooter: fill(fragment(DIGEST_HTML, 'webFooter'), frame, {}, escapeHtml) };
  const textFooter = reader.links
    ? fill(fragment(DIGEST_TEXT, 'mailFooter'), { ...frame, ...reader.links }, {}, asText)
    : '';

  const rows = rowsOf(prepared, arrangement);
  let included = rows;
  let omitted = 0;
  if (reader.links) {
    // The web copy is the whole issue; a message keeps the best-ranked cards that fit, and says how many it left out.
    const frameBytes = bytes(fill(DIGEST_HTML.root, frame, { stories: '', ...footer }, escapeHtml));
    const reserve = bytes(moreRow(total, context.archiveUrl).html);
    let used = frameBytes + reserve;
    const keep = new Set<number>();
    const cardRows = rows.map((row, index) => ({ row, index })).filter(({ row }) => row.kind !== 'heading');
    cardRows.sort((a, b) => a.row.rank - b.row.rank);
    for (const { row, index } of cardRows) {
      const headingCost = keep.has(row.heading!) ? 0 : rows[row.heading!]!.bytes;
      if (used + row.bytes + headingCost > HTML_BUDGET_BYTES) break;
      used += row.bytes + headingCost;
      keep.add(index).add(row.heading!);
    }
    included = rows.filter((_, index) => keep.has(index));
    omitted = cardRows.length - included.filter((r) => r.kind !== 'heading').length;
  }
  const nothing =
    total === 0
      ? {
          html: fill(
            fragment(DIGEST_HTML, 'stories.nothing'),
            { nothing: 'No new stories this week.' },
            {},
            escapeHtml,
          ),
          text: fill(fragment(DIGEST_TEXT, 'stories.nothing'), { nothing: 'No new stories this week.' }, {}, asText),
        }
      : { html: '', text: '' };
  const more = omitted > 0 ? moreRow(omitted, context.archiveUrl) : { html: '', text: '' };
  const storiesHtml = included.map((r) => r.html).join('') + more.html + nothing.html;
  const storiesText = included.map((r) => r.text).join('') + more.text + nothing.text;

  const html = fill(DIGEST_HTML.root, frame, { stories: storiesHtml, ...footer }, escapeHtml);
  const text = fill(DIGEST_TEXT.root, frame, { stories: storiesText, mailFooter: textFooter }, asText);
  const subject = subjectLine(digest.subject, {
    site: context.config.title,
    number: String(context.issue.number),
    week: context.issue.id,
    dates: frame.dates,
    headline: frame.headline,
  });
  return { subject, html, text, shown: total - omitted, omitted };
}
