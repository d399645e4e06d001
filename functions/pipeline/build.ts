// The whole job, top to bottom: source → articles → selection → outputs → destination. Handlers and the CLI call this.
import type { SiteConfig } from '../core/config.ts';
import { selectArticles } from '../core/select.ts';
import { renderSite } from '../core/site.ts';
import { type BuildSummary, emptySkipped } from '../core/summary.ts';
import type { Storage } from '../storage/port.ts';
import { loadArticles, type Rejection, type Warning } from './load.ts';
import { readManifest, writeManifest } from './manifest.ts';
import { publishOutputs } from './publish.ts';

export interface BuildRequest {
  source: Storage;
  destination: Storage;
  /** Where the manifest lives. Without it every run reads every article. */
  state?: Storage;
  config: SiteConfig;
  /** Articles dated after this are held back until a later run. */
  now: Date;
  cacheControl?: string;
}

export interface BuildReport {
  summary: BuildSummary;
  rejected: Rejection[];
  warnings: Warning[];
  incremental: { fetched: number; fullRebuildBecause?: string };
}

export async function buildFeeds(request: BuildRequest): Promise<BuildReport> {
  const { config, source, state } = request;
  const previous = state ? await readManifest(state, source.displayName('')) : undefined;
  const loaded = await loadArticles(source, previous?.manifest ? { previous: previous.manifest } : {});
  const selection = selectArticles(loaded.articles, { now: request.now, minQuality: config.minQuality });
  const { outputs, feeds } = renderSite(selection.selected, config, { now: request.now });
  const written = await publishOutputs(request.destination, outputs, {
    ...(request.cacheControl ? { cacheControl: request.cacheControl } : {}),
  });
  // Last: only a run whose outputs are all written may tell the next run what it can skip.
  if (state) await writeManifest(state, loaded.manifest);

  const skipped = emptySkipped();
  for (const rejection of loaded.rejected) skipped[rejection.reason] += 1;
  for (const skip of selection.skipped) skipped[skip.reason] += 1;
  const fullRebuildBecause = !previous
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
      feeds: feeds.length,
      outputs: written,
    },
    rejected: loaded.rejected,
    warnings: loaded.warnings,
    incremental: { fetched: loaded.fetched, ...(fullRebuildBecause ? { fullRebuildBecause } : {}) },
  };
}
