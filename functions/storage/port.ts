// The one storage port every source and destination implements: the local folder, memory, and (next) S3.

export interface StoredObject {
  /** Path below the storage root, `/`-separated, no leading slash. */
  key: string;
  /** Changes whenever the bytes change (S3 ETag, or size and mtime on disk). */
  version: string;
  /** Size in bytes, when the listing tells it (it lets a reader refuse an oversized object without fetching it). */
  size?: number;
}

/**
 * An entry the adapter found below the root but cannot serve: a name that is not valid UTF-8, a folder it may not
 * read, a link that leaves the root. Listed (not thrown) so one odd entry never hides the others.
 */
export interface UnlistedEntry {
  /** The entry's path below the root as well as it can be shown (undecodable bytes become U+FFFD); a folder ends in `/`. */
  key: string;
  problem: string;
}

export type ListEntry = StoredObject | UnlistedEntry;

export function isUnlisted(entry: ListEntry): entry is UnlistedEntry {
  return 'problem' in entry;
}

export interface WriteOptions {
  contentType: string;
  cacheControl?: string;
}

export type WriteResult = 'written' | 'unchanged';

export interface Storage {
  /** How to name a key in messages: `content/x.md`, `s3://bucket/prefix/x.md`. */
  displayName(key: string): string;
  /**
   * Every object below the root, in no particular order, and every entry it cannot serve (as an UnlistedEntry).
   * Throws StorageError only when the root itself cannot be listed.
   */
  list(): AsyncIterable<ListEntry>;
  /** Throws StorageError (`NotFound` when absent). */
  read(key: string): Promise<Uint8Array>;
  /** Writes only when the bytes differ from what is stored, so unchanged outputs keep their ETag and date. */
  write(key: string, body: Uint8Array, options: WriteOptions): Promise<WriteResult>;
  /** Removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Whether the object at `key` holds exactly the bytes whose MD5 is `md5` (hex); false when it is missing or
   * unreadable. S3 answers from the ETags of its last listing, without a request. A build asks it of the feeds it
   * recorded, to leave a feed it would render to the same bytes unrendered; an adapter without it has every feed
   * rendered and compared as it is written.
   */
  holds?(key: string, md5: string): Promise<boolean>;
  /**
   * Where a file and a folder can collide (a file system, unlike S3): each of `keys` that cannot be written because
   * something stands in its way, as `path: what to do`. Asked before a build writes anything.
   */
  obstacles?(keys: readonly string[]): Promise<string[]>;
}

/** Rejects keys that could escape the storage root or mean different things to different adapters. */
export function assertSafeKey(key: string): void {
  const segments = key.split('/');
  if (
    key === '' ||
    key.startsWith('/') ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    key.includes('\\')
  ) {
    throw new Error(`Unsafe storage key: ${JSON.stringify(key)}`);
  }
}
