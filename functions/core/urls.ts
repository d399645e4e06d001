// URL rules: which links are safe to publish, and the canonical form used to spot the same story uploaded twice.

/** Parses an absolute http(s) URL without credentials, or returns why it is not one. */
export function parseWebUrl(value: string): { ok: true; url: URL } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'expected an absolute http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `expected an http(s) URL, got a ${url.protocol} URL` };
  }
  if (url.username || url.password) return { ok: false, reason: 'a URL must not carry a user name or password' };
  return { ok: true, url };
}

// Parameters that only track a click; two links that differ only by these point at the same story.
const TRACKING_PARAM = /^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ref)$/i;

/**
 * The canonical form of an article URL: lower-case host, no default port, no fragment, no tracking parameters,
 * remaining parameters sorted, no trailing slash. Used only to compare, never published.
 */
export function canonicalUrl(href: string): string {
  const url = new URL(href);
  url.hash = '';
  for (const name of [...url.searchParams.keys()]) if (TRACKING_PARAM.test(name)) url.searchParams.delete(name);
  url.searchParams.sort();
  if (url.pathname.length > 1) url.pathname = url.pathname.replace(/\/+$/, '');
  // http and https copies of one page are the same story.
  return `${url.host}${url.pathname}${url.search}`;
}

const IMAGE_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
};

/** The MIME type of an image from its URL's file extension, or undefined when the URL does not say. Never guessed. */
export function imageMimeType(href: string): string | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(new URL(href).pathname)?.[1]?.toLowerCase();
  return ext ? IMAGE_TYPES[ext] : undefined;
}
