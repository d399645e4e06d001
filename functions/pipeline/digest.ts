// The digest's prepare step, top to bottom: source → articles → the issue due now → web copy, archive and feeds →
// (locally) the sample message as files → the state, last. Handlers and the CLI call this.
import type { ArticleCard, ArticleFacts } from '../core/article.ts';
import type { DigestSettings, SiteConfig } from '../core/config.ts';
import { ARCHIVE_INDEX_KEY, issueKey, renderArchive } from '../core/digest/archive.ts';
import { dueWeek } from '../core/digest/calendar.ts';
import { advanceState, type IssueRecord, type IssueSummary, planIssue } from '../core/digest/issue.ts';
import { capPerProvider, rankArticles } from '../core/digest/rank.ts';
import { StorageError } from '../core/errors.ts';
import { planChannels } from '../core/feeds/channels.ts';
import { asOf, selectArticles } from '../core/select.ts';
import type { TopicChoice } from '../core/signup-form.ts';
import type { Output } from '../core/site.ts';
import { CONTENT_TYPES } from '../core/site.ts';
import { slugify } from '../core/slug.ts';
import { type AssembledMessage, assembleMessage, type PreparedIssue, prepareIssue } from '../mail/digest-message.ts';
import { buildMime } from '../mail/mime.ts';
import type { Storage } from '../storage/port.ts';
import { signedLink } from '../subscribers/routes.ts';
import type { TokenSigner } from '../subscribers/tokens.ts';
import {
  readDigestState,
  readIssueRecord,
  writeDigestState,
  writeIssueCopy,
  writeIssueRecord,
} from './digest-state.ts';
import { type LoadedArticles, loadArticles, type Rejection } from './load.ts';
import { readManifest } from './manifest.ts';

export interface DigestRequest {
  source: Storage;
  /** The public site: the web copy, the archive list and the digest's feeds go here. */
  destination: Storage;
  /** Retained, private: the digest state and issue records. */
  state: Storage;
  /** Where the feed builder keeps its manifest, if anywhere: read (never written) to skip re-reading unchanged files. */
  manifest?: Storage;
  /** The articles the feeds' build of this same run loaded (its report's `loaded`): the source is not listed again. */
  loaded?: LoadedArticles;
  config: SiteConfig & { digest: DigestSettings };
  now: Date;
  /**
   * Local runs: the message one sample reader would get, as .html, .txt and .eml files (never in the public site),
   * with personal links signed by `signer`.
   */
  sample?: { storage: Storage; recipient: string; topics?: readonly string[]; signer: TokenSigner };
  cacheControl?: string;
}

export type DigestOutcome =
  /** The week's issue time has not come yet. */
  | 'not-due'
  /** No new article this week, and empty weeks are skipped. */
  | 'empty'
  /** A new issue was prepared. */
  | 'prepared'
  /** An issue recorded by a run that stopped early was prepared again, with the same articles. */
  | 'resumed'
  /** This week's issue was already complete; its files were written again (unchanged files are left alone). */
  | 'rewritten';

export interface SampleReport {
  recipient: string;
  /** Keys written in the sample storage; none when nothing in the issue matched the sample reader's topics. */
  keys: string[];
  shown: number;
  omitted: number;
  htmlBytes: number;
}

export interface DigestReport {
  outcome: DigestOutcome;
  issue?: {
    id: string;
    number: number;
    /** Articles the issue shows (its web copy shows them all). */
    shown: number;
    /** New articles left out by the per-provider cap. */
    overProviderCap: number;
    /** Articles recorded for the issue that are no longer published (deleted or unpublished since). */
    gone: number;
  };
  sample?: SampleReport;
  /** Keys written in the destination (unchanged files are not rewritten). */
  written: string[];
}

/** The issue's articles in rank order, the per-provider cap applied; recorded articles that are gone are dropped. */
function issueArticles(record: IssueRecord, published: ReadonlyMap<string, ArticleFacts>, perProvider: number) {
  const present = record.articleIds.flatMap((id) => {
    const article = published.get(id);
    return article ? [article] : [];
  });
  const shown = capPerProvider(present, perProvider);
  return { shown, overProviderCap: present.length - shown.length, gone: record.articleIds.length - present.length };
}

async function writeAll(destination: Storage, outputs: readonly Output[], cacheControl?: string): Promise<string[]> {
  const blocked = (await destination.obstacles?.(outputs.map((o) => o.key))) ?? [];
  if (blocked.length > 0) {
    throw new StorageError(
      `Cannot publish to ${destination.displayName('')}:\n${blocked.map((l) => `  ${l}`).join('\n')}`,
      'Unwritable',
    );
  }
  const written: string[] = [];
  for (const output of outputs) {
    const result = await destination.write(output.key, new TextEncoder().encode(output.body), {
      contentType: output.contentType,
      ...(cacheControl ? { cacheControl } : {}),
    });
    if (result === 'written') written.push(output.key);
  }
  return written;
}

async function writeSample(
  request: DigestRequest,
  prepared: PreparedIssue,
  record: IssueRecord,
): Promise<SampleReport | undefined> {
  const sample = request.sample;
  if (!sample) return undefined;
  const { config } = request;
  const digest = config.digest;
  const links = {
    unsubscribeUrl: signedLink(digest.apiUrl, 'unsubscribe', sample.signer, sample.recipient, record.dueAt),
    preferencesUrl: signedLink(digest.apiUrl, 'preferences', sample.signer, sample.recipient, record.dueAt),
  };
  const topics = sample.topics && sample.topics.length > 0 ? new Set(sample.topics.map(slugify)) : undefined;
  const message: AssembledMessage | undefined = assembleMessage(prepared, { ...(topics ? { topics } : {}), links });
  const report = { recipient: sample.recipient, keys: [] as string[], shown: 0, omitted: 0, htmlBytes: 0 };
  if (!message) return report;
  const mime = await buildMime({
    from: digest.from,
    to: sample.recipient,
    ...(digest.replyTo ? { replyTo: digest.replyTo } : {}),
    subject: message.subject,
    date: record.dueAt,
    messageKey: record.id,
    html: message.html,
    text: message.text,
    // The list's id lives at the sender's domain: the same for every run, preview or not.
    list: { name: `${config.title} weekly digest`, id: `digest.${digest.from.address.split('@').at(-1)}` },
    unsubscribeUrl: links.unsubscribeUrl,
  });
  const encoder = new TextEncoder();
  const files: [string, Uint8Array, string][] = [
    [`${record.id}.html`, encoder.encode(message.html), CONTENT_TYPES.html],
    [`${record.id}.txt`, encoder.encode(message.text), 'text/plain; charset=utf-8'],
    [`${record.id}.eml`, mime, 'message/rfc822'],
  ];
  for (const [key, body, contentType] of files) await sample.storage.write(key, body, { contentType });
  return {
    ...report,
    keys: files.map(([key]) => key),
    shown: message.shown,
    omitted: message.omitted,
    htmlBytes: Buffer.byteLength(message.html),
  };
}

export async function prepareDigest(request: DigestRequest): Promise<DigestReport> {
  const { config, state, now } = request;
  const digest = config.digest;

  const digestState = await readDigestState(state);
  const due = dueWeek(now, digest);
  const recorded = due ? await readIssueRecord(state, due.weekId) : undefined;
  // The feeds' manifest, when there is one, spares reading unchanged articles again; it is never written here.
  const previous =
    request.manifest && !request.loaded
      ? (await readManifest(request.manifest, request.source.displayName(''))).manifest
      : undefined;
  const loaded = request.loaded ?? (await loadArticles(request.source, previous ? { previous } : {}));
  const rank = (articles: readonly ArticleFacts[], dueAt: Date) => rankArticles(articles, dueAt, digest.lookBackDays);
  // The archive page's sign-up form offers the topics the feeds have now.
  const topics = topicChoicesOf(selectArticles(loaded.articles, { now, minQuality: config.minQuality }).selected);
  const archive = (issues: readonly IssueSummary[]) =>
    renderArchive(issues, config, { now, timeZone: digest.timeZone, topics });
  const plan = planIssue({
    now,
    settings: digest,
    minQuality: config.minQuality,
    articles: loaded.articles,
    state: digestState,
    ...(recorded ? { recorded } : {}),
    rank,
  });
  if (plan.kind === 'not-due' || plan.kind === 'empty') {
    // The archive exists from the first run on, so the site's links to it never lead nowhere.
    return {
      outcome: plan.kind,
      written: await writeAll(request.destination, archive(digestState.issues), request.cacheControl),
    };
  }

  const record = plan.record;
  // Recorded first: if the run stops after this, the next run prepares the same issue with the same articles.
  if (plan.kind === 'new' && !plan.resumed) await writeIssueRecord(state, record);
  const { selected } = selectArticles(loaded.articles, { now: record.dueAt, minQuality: config.minQuality });
  const published = new Map(selected.map((a) => [a.id, a]));
  const issue = issueArticles(record, published, digest.perProvider);
  const { cards, lost } = await cardsOf(loaded, issue.shown, record.dueAt);
  const shown = cards;
  const overProviderCap = issue.overProviderCap;
  const gone = issue.gone + lost.length;

  const prepared = prepareIssue(
    {
      config,
      issue: { id: record.id, number: record.number, dueAt: record.dueAt, since: record.since },
      archiveUrl: new URL(issueKey(record.id), config.baseUrl).href,
      archiveIndexUrl: new URL(ARCHIVE_INDEX_KEY, config.baseUrl).href,
    },
    shown,
  );
  const webCopy = assembleMessage(prepared, {})!;
  const summary: IssueSummary = {
    id: record.id,
    number: record.number,
    dueAt: record.dueAt,
    since: record.since,
    shown: shown.length,
    headlines: shown.slice(0, digest.topStories).map((a) => a.title),
  };
  const publishedDates = new Map(selected.map((a) => [a.id, a.publishedAt]));
  const next = advanceState(digestState, record, publishedDates, summary);
  // The senders fill every reader's message from this copy, so what they send is what the web copy shows.
  await writeIssueCopy(state, {
    issue: { id: record.id, number: record.number, dueAt: record.dueAt, since: record.since },
    articles: shown,
  });
  const sample = await writeSample(request, prepared, record);
  const written = await writeAll(
    request.destination,
    [{ key: issueKey(record.id), body: webCopy.html, contentType: CONTENT_TYPES.html }, ...archive(next.issues)],
    request.cacheControl,
  );
  // Last: only a complete issue moves the digest on.
  await writeDigestState(state, next);
  return {
    outcome: plan.kind === 'done' ? 'rewritten' : plan.resumed ? 'resumed' : 'prepared',
    issue: { id: record.id, number: record.number, shown: shown.length, overProviderCap, gone },
    ...(sample ? { sample } : {}),
    written,
  };
}

/**
 * The issue's articles whole, as cards (no body), as they were at the issue's time. One whose file changed into
 * something invalid since it was listed is left out, like an article deleted since the issue was recorded.
 */
async function cardsOf(
  loaded: LoadedArticles,
  ranked: readonly ArticleFacts[],
  dueAt: Date,
): Promise<{ cards: ArticleCard[]; lost: Rejection[] }> {
  const { found, lost } = await loaded.details.rendered(ranked.map((article) => article.id));
  const cards = ranked.flatMap((facts) => {
    const rendered = found.get(facts.id);
    if (!rendered) return [];
    const { bodyHtml: _html, ...card } = rendered;
    return [asOf(card, dueAt)];
  });
  return { cards, lost };
}

/** The topics that have a feed, as the front page offers them. */
function topicChoicesOf(selected: readonly ArticleFacts[]): TopicChoice[] {
  return planChannels(selected)
    .filter((channel) => channel.kind === 'topic')
    .map((channel) => ({ slug: channel.dir.split('/')[1] ?? '', label: channel.label }));
}
