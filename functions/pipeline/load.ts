// Source → articles: list the source, fetch and parse only what the manifest does not already know (bounded
// concurrency), and return every article's facts, the rejections and the manifest for the next run. The rest of an
// article (its text, images, links, rendered body) is fetched through `details` only for the articles an output shows.
import pMap from 'p-map';
import {
  type Article,
  type ArticleFacts,
  detached,
  type FieldProblem,
  factsOf,
  LIMITS,
  parseArticleFile,
  type RenderedArticle,
} from '../core/article.ts';
import { isUnlisted, type Storage, type StoredObject } from '../storage/port.ts';
import { type CachedResult, isRendered, type Manifest, type ManifestEntry } from './manifest.ts';

export interface Rejection {
  file: string;
  reason: 'invalid' | 'unreadable';
  problems: FieldProblem[];
}

export interface Warning {
  file: string;
  problem: FieldProblem;
}

export interface LoadedArticles {
  /** Markdown objects in the source. */
  read: number;
  /** Of those, how many were fetched this run (the rest came from the manifest). */
  fetched: number;
  /** Every valid article's facts: enough to select and plan; `details` gives the rest for those shown. */
  articles: ArticleFacts[];
  rejected: Rejection[];
  warnings: Warning[];
  /** What the next run may reuse. Unreadable objects are left out, so they are tried again. */
  manifest: Manifest;
  /** `manifest` is what the state holds: the previous one, with nothing fetched or gone, or the one a build wrote. */
  asPrevious: boolean;
  details: ArticleDetails;
}

/** How far loading has come, for a person watching a long run; `reading` counts only the articles fetched. */
export type LoadProgress = { step: 'listing' } | { step: 'reading'; done: number; total: number };

const isArticleKey = (key: string) => /\.md$/i.test(key);

const tooLarge = (file: string, bytes: number): Rejection => ({
  file,
  reason: 'invalid',
  problems: [
    { field: 'file', reason: `${bytes} bytes, more than the limit of ${LIMITS.fileBytes} bytes (1 MiB); not read` },
  ],
});

type Parsed = { ok: true; article: Article; warnings: FieldProblem[] } | Exclude<CachedResult, { ok: true }>;

async function fetchAndParse(source: Storage, key: string): Promise<Parsed | Rejection> {
  const file = source.displayName(key);
  let bytes: Uint8Array;
  try {
    bytes = await source.read(key);
  } catch (error) {
    return {
      file,
      reason: 'unreadable',
      problems: [{ field: 'file', reason: `could not be read (${(error as Error).message})` }],
    };
  }
  // The listing may not have told the size, or the object may have grown since it was listed.
  if (bytes.byteLength > LIMITS.fileBytes) return tooLarge(file, bytes.byteLength);
  const parsed = parseArticleFile({ key, file, bytes });
  return parsed.ok ? parsed : { ok: false, reason: 'invalid', problems: parsed.problems };
}

/**
 * The whole of the articles an output shows, rendered once each. It starts with what the manifest kept rendered and
 * the articles this run parsed (at most `FRESH_LIMIT` of them, newest first, so memory stays flat however many files
 * a first build reads); any other article is read again from the source. Results are kept for the rest of the run.
 */
export class ArticleDetails {
  readonly #source: Storage;
  readonly #keys: ReadonlyMap<string, Omit<StoredObject, 'size'>>;
  readonly #rendered: Map<string, RenderedArticle>;
  readonly #fresh: ReadonlyMap<string, Article>;

  constructor(
    source: Storage,
    keys: ReadonlyMap<string, Omit<StoredObject, 'size'>>,
    rendered: Map<string, RenderedArticle>,
    fresh: ReadonlyMap<string, Article>,
  ) {
    this.#source = source;
    this.#keys = keys;
    this.#rendered = rendered;
    this.#fresh = fresh;
  }

  /**
   * The articles with these ids, rendered. An article that cannot be read again, or is no longer valid (its file
   * changed or went away during the run), is returned in `lost` instead; the next run sees its new state.
   */
  async rendered(ids: Iterable<string>): Promise<{ found: Map<string, RenderedArticle>; lost: Rejection[] }> {
    const found = new Map<string, RenderedArticle>();
    const lost: Rejection[] = [];
    const fresh: Article[] = [];
    const reread: string[] = [];
    for (const id of ids) {
      const known = this.#rendered.get(id);
      const parsed = known ? undefined : this.#fresh.get(id);
      if (known) found.set(id, known);
      else if (parsed) fresh.push(parsed);
      else reread.push(id);
    }
    if (fresh.length === 0 && reread.length === 0) return { found, lost };
    // The Markdown renderer and sanitizer are loaded when something is to be rendered: a warm build needs neither.
    const { renderArticle } = await import('../core/markdown.ts');
    for (const article of fresh) found.set(article.id, this.#keep(renderArticle(article)));
    await pMap(
      reread,
      async (id) => {
        const key = this.#keys.get(id)?.key;
        if (key === undefined) throw new Error(`no article with id ${id} was loaded`);
        const result = await fetchAndParse(this.#source, key);
        if ('ok' in result && result.ok) {
          found.set(id, this.#keep(renderArticle(result.article)));
          return;
        }
        // Between the listing and now, the file changed into something invalid, or could not be read.
        lost.push({
          file: this.#source.displayName(key),
          reason: 'unreadable',
          problems: result.problems.map((p) => ({ ...p, reason: `changed during the build: ${p.reason}` })),
        });
      },
      { concurrency: 16 },
    );
    return { found, lost };
  }

  /** The version of the file the article with this id was loaded from (its ETag, or size and date). */
  versionOf(id: string): string | undefined {
    return this.#keys.get(id)?.version;
  }

  #keep(article: RenderedArticle): RenderedArticle {
    this.#rendered.set(article.id, article);
    return article;
  }
}

/** How many articles parsed this run are kept whole for `details` (the newest that may be shown); others are read again. */
export const FRESH_LIMIT = 2_000;

export interface Checkpoint {
  everyMs: number;
  save: (manifest: Manifest) => Promise<unknown>;
  /** Milliseconds, for the interval; `performance.now` by default. */
  clock?: () => number;
}

/** Calls `save` with the manifest `current()` gives, at most every `everyMs`, never two saves at once. */
function checkpointer(checkpoint: Checkpoint | undefined, current: () => Manifest): () => Promise<void> {
  if (!checkpoint) return async () => {};
  const clock = checkpoint.clock ?? (() => performance.now());
  let last = clock();
  let saving = false;
  return async () => {
    if (saving || clock() - last < checkpoint.everyMs) return;
    saving = true;
    try {
      await checkpoint.save(current());
    } finally {
      last = clock();
      saving = false;
    }
  };
}

export async function loadArticles(
  source: Storage,
  options: {
    previous?: Manifest;
    concurrency?: number;
    progress?: (event: LoadProgress) => void;
    /** Which freshly parsed articles are worth keeping whole (may be shown): e.g. published and good enough. */
    mayShow?: (article: ArticleFacts) => boolean;
    /** How many of those are kept whole (default FRESH_LIMIT); the others are read again if an output shows them. */
    freshLimit?: number;
    /**
     * Saves what has been parsed so far, at most every `everyMs` while articles are fetched, so a run that is cut off
     * (a Lambda function's timeout during a first build of 100,000 articles) leaves its work to the next run.
     */
    checkpoint?: Checkpoint;
  } = {},
): Promise<LoadedArticles> {
  const progress = options.progress ?? (() => {});
  progress({ step: 'listing' });
  const listed: StoredObject[] = [];
  const unlisted: Rejection[] = [];
  const unlistedOthers: Warning[] = [];
  for await (const entry of source.list()) {
    if (!isUnlisted(entry)) {
      if (isArticleKey(entry.key)) listed.push(entry);
      continue;
    }
    const file = source.displayName(entry.key);
    const problem = { field: 'file', reason: entry.problem };
    // An article, or a folder that may hold some, is a skipped article; anything else only deserves a warning.
    if (isArticleKey(entry.key) || entry.key.endsWith('/')) {
      unlisted.push({ file, reason: 'unreadable', problems: [problem] });
    } else unlistedOthers.push({ file, problem });
  }
  listed.sort((a, b) => (a.key < b.key ? -1 : 1));
  unlisted.sort((a, b) => (a.file < b.file ? -1 : 1));

  // The feed records are kept as they were: each is checked against the destination before it spares a rendering.
  const manifest: Manifest = {
    source: source.displayName(''),
    entries: new Map(),
    feeds: new Map(options.previous?.feeds),
  };
  const oversized = (size: number | undefined) => size !== undefined && size > LIMITS.fileBytes;
  const known = (key: string, version: string) => {
    const entry = options.previous?.entries.get(key);
    return entry?.version === version ? entry : undefined;
  };
  const toFetch = listed.filter(({ key, version, size }) => !oversized(size) && !known(key, version)).length;
  let fetched = 0;
  // One copy of each topic, category and provider text for all the facts (they repeat across thousands of articles).
  const labels = new Map<string, string>();
  const label = (value: string) => {
    let copy = labels.get(value);
    if (copy === undefined) {
      copy = detached(value);
      labels.set(copy, copy);
    }
    return copy;
  };
  const mayShow = options.mayShow ?? (() => true);
  const freshLimit = options.freshLimit ?? FRESH_LIMIT;
  const fresh = new Map<string, Article>();
  const keepFresh = (article: Article) => {
    if (!mayShow(article) || freshLimit === 0) return;
    fresh.set(article.id, article);
    if (fresh.size < 2 * freshLimit) return;
    // Newest first is what feeds show; an older article that is shown after all is read again.
    const newest = [...fresh.values()].sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime());
    for (const old of newest.slice(freshLimit)) fresh.delete(old.id);
  };
  // What a checkpoint saves: every entry known so far, in listing order.
  const parsedSoFar = new Map<string, ManifestEntry>();
  const soFar = (): Manifest => {
    const entries = new Map<string, ManifestEntry>();
    for (const { key, version } of listed) {
      const entry = known(key, version) ?? parsedSoFar.get(key);
      if (entry) entries.set(key, entry);
    }
    return { source: manifest.source, entries, feeds: manifest.feeds };
  };
  const maybeCheckpoint = checkpointer(options.checkpoint, soFar);
  // p-map starts each task when a slot is free: 100,000 listed files never mean 100,000 waiting promises at once.
  const results = await pMap(
    listed,
    async ({ key, version, size }): Promise<{ key: string; version: string; result: CachedResult | Rejection }> => {
      if (oversized(size)) return { key, version, result: tooLarge(source.displayName(key), size!) };
      const entry = known(key, version);
      if (entry) return { key, version, result: entry.result };
      const parsed = await fetchAndParse(source, key);
      fetched += 1;
      progress({ step: 'reading', done: fetched, total: toFetch });
      const result: CachedResult | Rejection =
        !('ok' in parsed) || !parsed.ok
          ? parsed
          : { ok: true, article: factsOf(parsed.article, label), warnings: parsed.warnings };
      if ('ok' in parsed && parsed.ok) keepFresh(parsed.article);
      if ('ok' in result) parsedSoFar.set(key, { version, result });
      await maybeCheckpoint();
      return { key, version, result };
    },
    { concurrency: options.concurrency ?? 16 },
  );

  const keys = new Map<string, Omit<StoredObject, 'size'>>();
  const rendered = new Map<string, RenderedArticle>();
  const loaded: LoadedArticles = {
    read: listed.length + unlisted.length,
    fetched,
    articles: [],
    rejected: [...unlisted],
    warnings: [...unlistedOthers],
    manifest,
    asPrevious: false,
    details: new ArticleDetails(source, keys, rendered, fresh),
  };
  for (const { key, version, result } of results) {
    const file = source.displayName(key);
    if (!('ok' in result)) {
      loaded.rejected.push(result);
      continue;
    }
    manifest.entries.set(key, { version, result });
    if (result.ok) {
      const article = result.article;
      loaded.articles.push(article);
      keys.set(article.id, { key, version });
      if (isRendered(article)) rendered.set(article.id, article);
      loaded.warnings.push(...result.warnings.map((problem) => ({ file, problem })));
    } else {
      loaded.rejected.push({ file, reason: 'invalid', problems: result.problems });
    }
  }
  loaded.asPrevious =
    options.previous !== undefined && fetched === 0 && manifest.entries.size === options.previous.entries.size;
  return loaded;
}
