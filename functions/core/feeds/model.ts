// The format-neutral description of one feed. Each renderer (rss, atom, json-feed) turns it into one document.

export interface FeedImage {
  url: string;
  /** Known from the file extension, or absent: never guessed. */
  type?: string;
  width?: number;
  height?: number;
}

export interface FeedItem {
  /** Permanent id (a tag: or urn: IRI), the same in all three formats. */
  id: string;
  url: string;
  /** The original publisher's page when it differs from `url`. */
  externalUrl?: string;
  title: string;
  /** Plain text. */
  summary?: string;
  /** Sanitized HTML; empty when the article has no body. */
  contentHtml: string;
  date: Date;
  /** The last edit, when the article records one. */
  updated?: Date;
  tags: string[];
  image?: FeedImage;
  credit?: { name: string; url?: string };
}

export interface FeedLinks {
  rss: string;
  atom: string;
  json: string;
}

export interface FeedDocument {
  id: string;
  title: string;
  description: string;
  homeUrl: string;
  language: string;
  author: { name: string; email?: string; url?: string };
  /**
   * The latest date among the items (publication or edit), so an unchanged feed is byte-identical; for a feed with
   * no items, the time of the build.
   */
  updated: Date;
  /** The newest item's publication date; absent for a feed with no items. */
  published?: Date;
  links: FeedLinks;
  hubUrl?: string;
  logoUrl?: string;
  iconUrl?: string;
  copyright?: string;
  items: FeedItem[];
}

/** Product name written as the feeds' generator. */
export const GENERATOR = 'newsfeeds';

/** RFC 3339 without the milliseconds nobody publishes: `2026-11-20T09:30:00Z`. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}
