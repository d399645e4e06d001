// Source → articles: list the source, fetch and parse only what the manifest does not already know (bounded
// concurrency), and return the articles, the rejections and the manifest for the next run.
import pLimit from 'p-limit';
import { type Article, type FieldProblem, LIMITS, parseArticle } from '../core/article.ts';
import { isUnlisted, type Storage, type StoredObject } from '../storage/port.ts';
import type { CachedResult, Manifest } from './manifest.ts';

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
  articles: Article[];
  rejected: Rejection[];
  warnings: Warning[];
  /** What the next run may reuse. Unreadable objects are left out, so they are tried again. */
  manifest: Manifest;
}

/** How far loading has come, for a person watching a long run; `reading` counts only the articles fetched. */
export type LoadProgress = { step: 'listing' } | { step: 'reading'; done: number; total: number };

const isArticleKey = (key: string) => /\.md$/i.test(key);

const utf8 = new TextDecoder('utf-8', { fatal: true });

const tooLarge = (file: string, bytes: number): Rejection => ({
  file,
  reason: 'invalid',
  problems: [
    { field: 'file', reason: `${bytes} bytes, more than the limit of ${LIMITS.fileBytes} bytes (1 MiB); not read` },
  ],
});

async function fetchAndParse(source: Storage, key: string): Promise<CachedResult | Rejection> {
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
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'invalid', problems: [{ field: 'file', reason: 'not valid UTF-8 text' }] };
  }
  const parsed = parseArticle({ key, file, source: text });
  return parsed.ok ? parsed : { ok: false, reason: 'invalid', problems: parsed.problems };
}

export async function loadArticles(
  source: Storage,
  options: { previous?: Manifest; concurrency?: number; progress?: (event: LoadProgress) => void } = {},
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

  const limit = pLimit(options.concurrency ?? 16);
  const manifest: Manifest = { source: source.displayName(''), entries: new Map() };
  const oversized = (size: number | undefined) => size !== undefined && size > LIMITS.fileBytes;
  const known = (key: string, version: string) => {
    const entry = options.previous?.entries.get(key);
    return entry?.version === version ? entry : undefined;
  };
  const toFetch = listed.filter(({ key, version, size }) => !oversized(size) && !known(key, version)).length;
  let fetched = 0;
  const results = await Promise.all(
    listed.map(({ key, version, size }) =>
      limit(async () => {
        if (oversized(size)) return { key, version, result: tooLarge(source.displayName(key), size!) };
        const entry = known(key, version);
        if (entry) return { key, version, result: entry.result };
        const result = await fetchAndParse(source, key);
        fetched += 1;
        progress({ step: 'reading', done: fetched, total: toFetch });
        return { key, version, result };
      }),
    ),
  );

  const loaded: LoadedArticles = {
    read: listed.length + unlisted.length,
    fetched,
    articles: [],
    rejected: [...unlisted],
    warnings: [...unlistedOthers],
    manifest,
  };
  for (const { key, version, result } of results) {
    const file = source.displayName(key);
    if (!('ok' in result)) {
      loaded.rejected.push(result);
      continue;
    }
    manifest.entries.set(key, { version, result });
    if (result.ok) {
      loaded.articles.push(result.article);
      loaded.warnings.push(...result.warnings.map((problem) => ({ file, problem })));
    } else {
      loaded.rejected.push({ file, reason: 'invalid', problems: result.problems });
    }
  }
  return loaded;
}
