// The build manifest: for every content key, the ETag last seen and what parsing it gave: the article's facts (what
// selection needs), the whole article with its body rendered for the articles the feeds show, or the rejection; and
// for every feed file, what it was rendered from and the MD5 of its bytes.
// With it a run lists the source and fetches only new or changed objects, renders no unchanged article again, and
// renders no feed whose articles and settings are unchanged while the destination holds it. It is kept gzipped in a
// private state location and written last, after every output: a run that dies early leaves the previous manifest,
// so the next run re-reads whatever changed since and repairs every output.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, createGzip } from 'node:zlib';
import * as z from 'zod';
import {
  ARTICLE_MODEL_VERSION,
  type ArticleFacts,
  type FieldProblem,
  factsOf,
  type RenderedArticle,
} from '../core/article.ts';
import { StorageError } from '../core/errors.ts';
import type { Storage } from '../storage/port.ts';

export const MANIFEST_KEY = 'manifest.json.gz';
/**
 * 3: with the feed records. 2: facts for every article, rendered articles only for those shown (1 held every article
 * whole).
 */
const MANIFEST_FORMAT = 3;

export type CachedResult =
  /** `article` is rendered (it has `bodyHtml`) when the feeds showed it, else only its facts. */
  | { ok: true; article: ArticleFacts | RenderedArticle; warnings: FieldProblem[] }
  | { ok: false; reason: 'invalid'; problems: FieldProblem[] };

export interface ManifestEntry {
  version: string;
  result: CachedResult;
}

/** A feed file as a build wrote it (or found it already written). */
export interface FeedRecord {
  /** The MD5 (hex) of what `feedInputs` (core/site.ts) said the feed is made from. */
  inputs: string;
  /** The MD5 (hex) of the file's bytes. */
  md5: string;
}

export interface Manifest {
  /** The source the entries describe, e.g. `s3://content/articles/`: another source means a full rebuild. */
  source: string;
  entries: Map<string, ManifestEntry>;
  /** By output key (`topics/ai/feed.xml`). */
  feeds: Map<string, FeedRecord>;
}

// The file is JSON Lines, gzipped: a header (format, article model, source, feed records), then one line per content
// key in key order, `[key, version, result]`. Read and written a line at a time: at 100,000 articles the whole text
// (about 60 MB, twice over as bytes and as a string) is never in memory at once.
//
// Articles were validated when they were parsed, and gzip's checksum catches a damaged file: this only checks that
// the file is the shape this code wrote. zod checks the header; the entries (one per article, read on every run) are
// checked by `isStoredEntry`, which copies nothing: at 100,000 entries a schema's copy costs a second and 100 MB.
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const StoredHeader = z.object({
  format: z.literal(MANIFEST_FORMAT),
  model: z.literal(ARTICLE_MODEL_VERSION),
  source: z.string(),
  feeds: z.record(z.string(), z.object({ inputs: z.string(), md5: z.string() })),
});

/** An entry as `encodeManifest` writes it: its dates are still ISO text, which `readManifest` turns into Dates. */
function isStoredEntry(value: unknown): value is [string, string, CachedResult] {
  if (!Array.isArray(value) || value.length !== 3) return false;
  const [key, version, result] = value;
  if (typeof key !== 'string' || typeof version !== 'string' || !isObject(result)) return false;
  if (result.ok === false) return Array.isArray(result.problems);
  if (result.ok !== true || !Array.isArray(result.warnings) || !isObject(result.article)) return false;
  const article = result.article;
  return (
    typeof article.id === 'string' &&
    typeof article.publishedAt === 'string' &&
    (article.updatedAt === undefined || typeof article.updatedAt === 'string')
  );
}

export type ManifestLoad = { manifest: Manifest } | { manifest: undefined; fullRebuildBecause: string };

class ManifestProblem extends Error {}

/** The lines of the gzipped text, decompressed and split as they come. */
async function* linesOf(bytes: Uint8Array): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of Readable.from([bytes])
    .pipe(createGunzip({ chunkSize: 256 * 1024 }))
    .setEncoding('utf8')) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    yield* lines;
  }
  if (rest !== '') throw new ManifestProblem('manifest is corrupt');
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new ManifestProblem('manifest is corrupt');
  }
}

/** Reads the manifest; anything but a readable manifest of this format for this source means a full rebuild. */
export async function readManifest(state: Storage, source: string): Promise<ManifestLoad> {
  let bytes: Uint8Array;
  try {
    bytes = await state.read(MANIFEST_KEY);
  } catch (error) {
    const missing = error instanceof StorageError && error.code === 'NotFound';
    return {
      manifest: undefined,
      fullRebuildBecause: missing ? 'no manifest yet' : `manifest unreadable: ${(error as Error).message}`,
    };
  }
  try {
    return { manifest: await decodeManifest(bytes, source) };
  } catch (error) {
    if (error instanceof ManifestProblem) return { manifest: undefined, fullRebuildBecause: error.message };
    // zlib's own errors: not gzip, truncated, a checksum that does not match.
    if ((error as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      return { manifest: undefined, fullRebuildBecause: 'manifest is corrupt' };
    }
    throw error;
  }
}

async function decodeManifest(bytes: Uint8Array, source: string): Promise<Manifest> {
  const lines = linesOf(bytes);
  const first = await lines.next();
  const header = StoredHeader.safeParse(first.done ? undefined : parseLine(first.value));
  if (!header.success) throw new ManifestProblem('manifest has another format or article model');
  if (header.data.source !== source) throw new ManifestProblem(`manifest describes ${header.data.source}`);
  const entries = new Map<string, ManifestEntry>();
  for await (const line of lines) {
    // The parsed objects as they are, not a schema's copies: they re-encode to the same bytes.
    const entry = parseLine(line);
    if (!isStoredEntry(entry)) throw new ManifestProblem('manifest has an entry of another shape');
    const [key, version, result] = entry;
    if (result.ok) {
      const article = result.article;
      article.publishedAt = new Date(article.publishedAt);
      if (article.updatedAt !== undefined) article.updatedAt = new Date(article.updatedAt);
      if (Number.isNaN(article.publishedAt.getTime()) || Number.isNaN(article.updatedAt?.getTime() ?? 0)) {
        throw new ManifestProblem('manifest is corrupt');
      }
    }
    entries.set(key, { version, result });
  }
  const feeds = new Map(Object.entries(header.data.feeds).map(([key, { inputs, md5 }]) => [key, { inputs, md5 }]));
  return { source, entries, feeds };
}

/**
 * Serializes deterministically (keys sorted), so an unchanged manifest is byte-identical and is not rewritten. The
 * text is compressed as it is made, a thousand entries at a time.
 */
export async function encodeManifest(manifest: Manifest): Promise<Uint8Array> {
  const keys = [...manifest.entries.keys()].sort();
  const feeds = Object.fromEntries(
    [...manifest.feeds.keys()].sort().map((key) => {
      const { inputs, md5 } = manifest.feeds.get(key)!;
      return [key, { inputs, md5 }];
    }),
  );
  const header = { format: MANIFEST_FORMAT, model: ARTICLE_MODEL_VERSION, source: manifest.source, feeds };
  async function* lines() {
    yield `${JSON.stringify(header)}\n`;
    for (let start = 0; start < keys.length; start += 1000) {
      const part = keys.slice(start, start + 1000).map((key) => {
        const { version, result } = manifest.entries.get(key)!;
        return `${JSON.stringify([key, version, result])}\n`;
      });
      yield part.join('');
    }
  }
  const compressed: Buffer[] = [];
  // The fastest level: a warm build that changed one article writes the whole manifest again, and levels above 1 cost
  // three times the time (~50 ms at 10,000 articles here) for a file ~15% smaller.
  await pipeline(
    Readable.from(lines()),
    createGzip({ level: constants.Z_BEST_SPEED }),
    async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) compressed.push(chunk);
    },
  );
  return Buffer.concat(compressed);
}

export async function writeManifest(state: Storage, manifest: Manifest): Promise<'written' | 'unchanged'> {
  return state.write(MANIFEST_KEY, await encodeManifest(manifest), {
    contentType: 'application/json',
    cacheControl: 'no-store',
  });
}

/** Whether a cached article is rendered (the feeds showed it when the manifest was written). */
export function isRendered(article: ArticleFacts | RenderedArticle): article is RenderedArticle {
  return 'bodyHtml' in article;
}

/**
 * The manifest the next run gets: rendered articles for exactly those the outputs show now (`shown`), facts only for
 * the rest, so its size follows what the feeds show, not how many articles there are; and the feed files as this
 * build left them (`feeds`). `changed` tells whether anything differs from the manifest given.
 */
export function keepRendered(
  manifest: Manifest,
  shown: ReadonlyMap<string, RenderedArticle>,
  feeds: ReadonlyMap<string, FeedRecord>,
): { manifest: Manifest; changed: boolean } {
  const entries = new Map<string, ManifestEntry>();
  let changed = !sameFeeds(manifest.feeds, feeds);
  for (const [key, entry] of manifest.entries) {
    if (!entry.result.ok) {
      entries.set(key, entry);
      continue;
    }
    const cached = entry.result.article;
    const article = shown.get(cached.id) ?? (isRendered(cached) ? factsOf(cached) : cached);
    if (article === cached) entries.set(key, entry);
    else {
      changed = true;
      entries.set(key, { ...entry, result: { ...entry.result, article } });
    }
  }
  return { manifest: { source: manifest.source, entries, feeds: new Map(feeds) }, changed };
}

function sameFeeds(a: ReadonlyMap<string, FeedRecord>, b: ReadonlyMap<string, FeedRecord>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, record] of a) {
    const other = b.get(key);
    if (other?.inputs !== record.inputs || other.md5 !== record.md5) return false;
  }
  return true;
}
