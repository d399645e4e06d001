// The build manifest: for every content key, the ETag last seen and what parsing it gave: the article's facts (what
// selection needs), the whole article with its body rendered for the articles the feeds show, or the rejection.
// With it a run lists the source and fetches only new or changed objects, and renders no unchanged article again. It is kept gzipped in a private state
// location and written last, after every output: a run that dies early leaves the previous manifest, so the next run
// re-reads whatever changed since and repairs every output.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
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
/** 2: facts for every article, rendered articles only for those shown (1 held every article whole). */
const MANIFEST_FORMAT = 2;

export type CachedResult =
  /** `article` is rendered (it has `bodyHtml`) when the feeds showed it, else only its facts. */
  | { ok: true; article: ArticleFacts | RenderedArticle; warnings: FieldProblem[] }
  | { ok: false; reason: 'invalid'; problems: FieldProblem[] };

export interface ManifestEntry {
  version: string;
  result: CachedResult;
}

export interface Manifest {
  /** The source the entries describe, e.g. `s3://content/articles/`: another source means a full rebuild. */
  source: string;
  entries: Map<string, ManifestEntry>;
}

// Articles were validated when they were parsed, and gzip's checksum catches a damaged file: this only checks that
// the file is the shape this code wrote. zod checks the header; the entries (one per article, read on every run) are
// checked by `isStoredEntry`, which copies nothing: at 100,000 entries a schema's copy costs a second and 100 MB.
const StoredManifest = z.object({
  format: z.literal(MANIFEST_FORMAT),
  model: z.literal(ARTICLE_MODEL_VERSION),
  source: z.string(),
  entries: z.record(z.string(), z.unknown()),
});

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** An entry as `encodeManifest` writes it: its dates are still ISO text, which `readManifest` turns into Dates. */
function isStoredEntry(value: unknown): value is ManifestEntry {
  if (!isObject(value) || typeof value.version !== 'string' || !isObject(value.result)) return false;
  const result = value.result;
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
  let raw: unknown;
  try {
    raw = JSON.parse(gunzipSync(bytes).toString('utf8'));
  } catch {
    return { manifest: undefined, fullRebuildBecause: 'manifest is corrupt' };
  }
  const parsed = StoredManifest.safeParse(raw);
  if (!parsed.success)
    return { manifest: undefined, fullRebuildBecause: 'manifest has another format or article model' };
  if (parsed.data.source !== source)
    return { manifest: undefined, fullRebuildBecause: `manifest describes ${parsed.data.source}` };
  // The raw objects, not zod's output: zod reorders keys, and the manifest must re-encode to the same bytes.
  const stored = parsed.data.entries;
  const entries = new Map<string, ManifestEntry>();
  for (const [key, entry] of Object.entries(stored)) {
    if (!isStoredEntry(entry))
      return { manifest: undefined, fullRebuildBecause: 'manifest has an entry of another shape' };
    if (entry.result.ok) {
      const article = entry.result.article;
      article.publishedAt = new Date(article.publishedAt);
      if (article.updatedAt !== undefined) article.updatedAt = new Date(article.updatedAt);
      if (Number.isNaN(article.publishedAt.getTime()) || Number.isNaN(article.updatedAt?.getTime() ?? 0)) {
        return { manifest: undefined, fullRebuildBecause: 'manifest is corrupt' };
      }
    }
    entries.set(key, entry);
  }
  return { manifest: { source, entries } };
}

/**
 * Serializes deterministically (keys sorted), so an unchanged manifest is byte-identical and is not rewritten. The
 * JSON is compressed as it is made, a thousand entries at a time: at 100,000 articles the whole text (tens of MB,
 * twice over as a string and as bytes) is never in memory at once.
 */
export async function encodeManifest(manifest: Manifest): Promise<Uint8Array> {
  const keys = [...manifest.entries.keys()].sort();
  const header = JSON.stringify({ format: MANIFEST_FORMAT, model: ARTICLE_MODEL_VERSION, source: manifest.source });
  async function* json() {
    yield `${header.slice(0, -1)},"entries":{`;
    for (let start = 0; start < keys.length; start += 1000) {
      const part = keys.slice(start, start + 1000).map((key) => {
        return `${JSON.stringify(key)}:${JSON.stringify(manifest.entries.get(key))}`;
      });
      yield `${start > 0 ? ',' : ''}${part.join(',')}`;
    }
    yield '}}';
  }
  const compressed: Buffer[] = [];
  await pipeline(Readable.from(json()), createGzip(), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) compressed.push(chunk);
  });
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
 * the rest, so its size follows what the feeds show, not how many articles there are. `changed` tells whether any
 * entry differs from the one given.
 */
export function keepRendered(
  manifest: Manifest,
  shown: ReadonlyMap<string, RenderedArticle>,
): { manifest: Manifest; changed: boolean } {
  const entries = new Map<string, ManifestEntry>();
  let changed = false;
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
  return { manifest: { source: manifest.source, entries }, changed };
}
