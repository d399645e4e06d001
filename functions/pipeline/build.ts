// The whole job, top to bottom: source → articles → selection → outputs → destination. Handlers and the CLI call this.

import type { ArticleFacts, RenderedArticle } from '../core/article.ts';
import type { SiteConfig } from '../core/config.ts';
import type { IssueSummary } from '../core/digest/issue.ts';
import { StorageError } from '../core/errors.ts';
import { type Selection, type Skipped, selectArticles } from '../core/select.ts';
import type { ShrinkRefusal } from '../core/shrink.ts';
import { FILE_NAMES, feedInputs, planSite, renderSite, type SitePlan } from '../core/site.ts';
import { type BuildSummary, emptySkipped } from '../core/summary.ts';
import type { Storage } from '../storage/port.ts';
import { readDigestState } from './digest-state.ts';
import { feedRecords, hashInputs, unchangedFeeds } from './feed-records.ts';
import { type LoadedArticles, type LoadProgress, loadArticles, type Rejection, type Warning } from './load.ts';
import { keepRendered, type ManifestLoad, readManifest, writeManifest } from './manifest.ts';
import { listOutputs, publishOutputs } from './publish.ts';
import { type PingOptions, type PingResult, pingHub } from './websub.ts';

export interface BuildRequest {
  source: Storage;
  destination: Storage;
  /** Where the manifest lives. Without it every run reads every article. */
  state?: Storage;
  /** Reads every article as if there were no manifest; a fresh one is still written to `state`. */
  full?: boolean;
  /** Where the digest keeps its state (read only): the front page lists the latest issues from it. */
  digestState?: Storage;
  config: SiteConfig;
  /** Articles dated after this are held back until a later run. */
  now: Date;
  cacheControl?: string;
  /** Lets the build delete most feeds or publish nothing where feeds exist; see core/shrink.ts. */
  allowShrink?: boolean;
  /**
   * How the WebSub hub (config.hubUrl) is told which feeds changed; `false` skips the ping. Without it, the default
   * settings of pingHub.
   */
  ping?: PingOptions | false;
  /** Told how far the build has come, for a person watching a long run (the CLI on a terminal; never a Lambda). */
  progress?: (event: BuildProgress) => void;
  /**
   * The articles an earlier build of this run loaded (its report's `loaded`), under the same lease: the source is not
   * listed again. The CLI passes them when it writes the front page once more after preparing the digest.
   */
  loaded?: LoadedArticles;
  /**
   * While fetching, the manifest of what has been parsed so far is saved to `state` at most this often (default one
   * minute), so a build cut off by a timeout leaves its work to the next run.
   */
  checkpointEveryMs?: number;
  /**
   * How many freshly parsed articles are kept whole for the outputs (default FRESH_LIMIT): each kept one spares a read
   * (a request to S3) if an output shows it. From a local folder a read costs less than keeping articles in memory,
   * so the CLI keeps none.
   */
  freshLimit?: number;
}

export type BuildProgress = LoadProgress | { step: 'rendering' } | { step: 'writing' };

export interface BuildReport {
  summary: BuildSummary;
  rejected: Rejection[];
  /** Valid articles that were not published, and why: unpublished, below quality, scheduled, duplicate. */
  skipped: Skipped[];
  warnings: Warning[];
  /**
   * Articles fetched and parsed, and feeds rendered (`feedsRendered` of `feeds`), this run: the rest came from the
   * manifest, or were left as the destination holds them.
   */
  incremental: { fetched: number; feedsRendered: number; fullRebuildBecause?: string };
  /** Set when the shrink guard stopped the build: nothing was written or deleted. */
  refused?: ShrinkRefusal;
  /** One result per changed feed the hub was told about. */
  pings: PingResult[];
  /** What was loaded, for the digest prepared in the same run (never printed: it is every article's facts). */
  loaded: LoadedArticles;
}

export async function buildFeeds(request: BuildRequest): Promise<BuildReport> {
  const { config, source, state } = request;
  const previous: ManifestLoad | undefined =
    !state || request.loaded
      ? undefined
      : request.full
        ? { manifest: undefined, fullRebuildBecause: 'a full rebuild was asked for' }
        : await readManifest(state, source.displayName(''));
  const progress = request.progress;
  const loaded =
    request.loaded ??
    (await loadArticles(source, {
      ...(previous?.manifest ? { previous: previous.manifest } : {}),
      ...(progress ? { progress } : {}),
      ...(request.freshLimit === undefined ? {} : { freshLimit: request.freshLimit }),
      mayShow: (article) => article.published && article.quality >= config.minQuality,
      ...(state
        ? { checkpoint: { everyMs: request.checkpointEveryMs ?? 60_000, save: (m) => writeManifest(state, m) } }
        : {}),
    }));
  progress?.({ step: 'rendering' });
  const { selection, plan, shown, lost } = await selectShown(loaded, config, request.now);
  const digestIssues = config.digest && request.digestState ? await readIssues(request.digestState) : [];
  const existing = await listOutputs(request.destination);
  const inputs = hashInputs(feedInputs(plan, config, request.now, (id) => loaded.details.versionOf(id)));
  const unchanged = await unchangedFeeds(request.destination, existing, loaded.manifest.feeds, inputs);
  const { outputs, feeds, kept } = renderSite(plan, shown, config, { now: request.now, digestIssues, unchanged });
  progress?.({ step: 'writing' });
  const published = await publishOutputs(request.destination, outputs, {
    existing,
    kept,
    published: selection.selected.length,
    ...(request.allowShrink ? { allowShrink: true } : {}),
    ...(request.cacheControl ? { cacheControl: request.cacheControl } : {}),
  });
  // Last: only a run whose outputs are all written may tell the next run what it can skip (without a state there is
  // no next run to tell). Encoded and written only when something changed: an unchanged run does not even serialize it.
  const next =
    state && !published.refused
      ? keepRendered(loaded.manifest, shown, feedRecords(inputs, outputs, kept, loaded.manifest.feeds))
      : undefined;
  const stored = state && next && (next.changed || !loaded.asPrevious) ? next.manifest : undefined;
  if (state && stored) await writeManifest(state, stored);
  const pings =
    config.hubUrl && request.ping !== false
      ? await pingHub(config.hubUrl, changedFeedUrls(published.writtenKeys, config.baseUrl), request.ping)
      : [];

  const rejected = [...loaded.rejected, ...lost];
  const skipped = emptySkipped();
  for (const rejection of rejected) skipped[rejection.reason] += 1;
  for (const skip of selection.skipped) skipped[skip.reason] += 1;
  const fullRebuildBecause = request.loaded
    ? undefined
    : !previous
      ? 'no state location'
      : previous.manifest
        ? undefined
        : previous.fullRebuildBecause;
  return {
    summary: {
      read: loaded.read,
      published: selection.selected.length,
      skipped,
      warnings: loaded.warnings.length,
      feeds: published.refused ? 0 : feeds.length,
      outputs: published.counts,
    },
    rejected,
    skipped: selection.skipped,
    warnings: loaded.warnings,
    incremental: {
      fetched: loaded.fetched,
      feedsRendered: feeds.length - unchanged.size,
      ...(fullRebuildBecause ? { fullRebuildBecause } : {}),
    },
    ...(published.refused ? { refused: published.refused } : {}),
    pings,
    // As the state now holds it: a later build of this run from the same articles rewrites no unchanged manifest.
    loaded: stored ? { ...loaded, manifest: stored, asPrevious: true } : loaded,
  };
}

/**
 * Selection, and the articles it shows rendered. An article that changed into something invalid since it was listed
 * cannot be shown: it is left out (reported as lost) and the selection made again without it.
 */
async function selectShown(
  loaded: LoadedArticles,
  config: SiteConfig,
  now: Date,
): Promise<{ selection: Selection; plan: SitePlan; shown: Map<string, RenderedArticle>; lost: Rejection[] }> {
  let articles: readonly ArticleFacts[] = loaded.articles;
  const lost: Rejection[] = [];
  for (;;) {
    const selection = selectArticles(articles, { now, minQuality: config.minQuality });
    const plan = planSite(selection.selected, config);
    const result = await loaded.details.rendered(plan.shown);
    if (result.lost.length === 0) return { selection, plan, shown: result.found, lost };
    lost.push(...result.lost);
    const gone = new Set(result.lost.map((rejection) => rejection.file));
    articles = articles.filter((article) => !gone.has(article.file));
  }
}

const FEED_FILES = new Set<string>(Object.values(FILE_NAMES));

/** The public URLs of the feed files a build wrote (a changed feed); OPML and the index page are not feeds. */
function changedFeedUrls(writtenKeys: readonly string[], baseUrl: string): string[] {
  return writtenKeys
    .filter((key) => FEED_FILES.has(key.split('/').at(-1) ?? ''))
    .map((key) => new URL(key, baseUrl).href);
}

/**
 * The digest's issues for the front page. The feeds never fail for the digest's sake: an unreadable digest state is
 * the digest's problem (its own run stops on it), and the front page then lists no issue.
 */
async function readIssues(state: Storage): Promise<IssueSummary[]> {
  try {
    return (await readDigestState(state)).issues;
  } catch (error) {
    if (error instanceof StorageError) return [];
    throw error;
  }
}
