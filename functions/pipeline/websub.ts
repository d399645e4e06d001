// Tells the WebSub hub which feeds changed (W3C WebSub, "Publishing"), so subscribers hear of new items at once
// instead of at their next poll. Best effort: the feeds are already written, so a hub that is down never fails a build.
import { setTimeout as delay } from 'node:timers/promises';
import pLimit from 'p-limit';
import { abbreviate } from '../core/text.ts';

export interface PingOptions {
  /** Injected for tests and for the Lambda; defaults to global fetch. */
  fetch?: typeof fetch;
  /** Per attempt; default 5000. */
  timeoutMs?: number;
  /** Attempts per feed, the first included; default 3. */
  attempts?: number;
  /** Waits between attempts; injected so tests need not wait. Default: real delay, 500 ms × 2^attempt. */
  sleep?: (ms: number) => Promise<void>;
  /** Pings in flight at once; default 4. */
  concurrency?: number;
  /**
   * All pings of one build together, default 60,000 ms: a hub that hangs must not hold a build (or a Lambda) to its
   * timeout. Feeds not tried in time are reported as not notified.
   */
  budgetMs?: number;
}

export interface PingResult {
  feedUrl: string;
  ok: boolean;
  attempts: number;
  /** The hub's last HTTP status, when it answered at all. */
  status?: number;
  /** One short line for the run's log, never a stack. */
  error?: string;
}

type Attempt = { ok: true; status: number } | { ok: false; retry: boolean; status?: number; error: string };

interface Settings {
  post: typeof fetch;
  timeoutMs: number;
  attempts: number;
  sleep: (ms: number) => Promise<void>;
  /** `Date.now()` after which no attempt starts. */
  deadline: number;
  budgetMs: number;
}

const BACKOFF_MS = 500;

/** Notifies the hub of each changed feed; never throws (a hub that is down must never fail a build). */
export async function pingHub(
  hubUrl: string,
  feedUrls: readonly string[],
  options: PingOptions = {},
): Promise<PingResult[]> {
  const unique = [...new Set(feedUrls)];
  if (unique.length === 0) return [];
  // Retrying cannot fix a malformed hub URL, so it is reported once per feed rather than tried `attempts` times.
  if (!URL.canParse(hubUrl)) {
    return unique.map((feedUrl) => ({ feedUrl, ok: false, attempts: 0, error: `hub URL is not a URL: ${hubUrl}` }));
  }
  const settings: Settings = {
    post: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? 5000,
    attempts: atLeastOne(options.attempts, 3),
    sleep: options.sleep ?? ((ms) => delay(ms)),
    budgetMs: atLeastOne(options.budgetMs, 60_000),
    deadline: 0,
  };
  settings.deadline = Date.now() + settings.budgetMs;
  // p-limit throws on a concurrency below 1, and this function promises never to throw.
  const limit = pLimit(atLeastOne(options.concurrency, 4));
  return Promise.all(unique.map((feedUrl) => limit(() => pingFeed(hubUrl, feedUrl, settings))));
}

async function pingFeed(hubUrl: string, feedUrl: string, settings: Settings): Promise<PingResult> {
  if (Date.now() >= settings.deadline) {
    const error = `not sent: the ${settings.budgetMs} ms for all hub pings of this build ran out`;
    return { feedUrl, ok: false, attempts: 0, error };
  }
  for (let attempt = 1; ; attempt++) {
    const left = settings.deadline - Date.now();
    const outcome = await postOnce(hubUrl, feedUrl, settings, Math.max(1, Math.min(settings.timeoutMs, left)));
    if (outcome.ok) return { feedUrl, ok: true, attempts: attempt, status: outcome.status };
    const wait = BACKOFF_MS * 2 ** (attempt - 1);
    if (!outcome.retry || attempt >= settings.attempts || Date.now() + wait >= settings.deadline) {
      return {
        feedUrl,
        ok: false,
        attempts: attempt,
        ...(outcome.status === undefined ? {} : { status: outcome.status }),
        error: outcome.error,
      };
    }
    await settings.sleep(wait);
  }
}

async function postOnce(hubUrl: string, feedUrl: string, settings: Settings, timeoutMs: number): Promise<Attempt> {
  let response: Response;
  try {
    response = await settings.post(hubUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      // One hub.url per request: several in one body is not supported by every hub.
      body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': feedUrl }).toString(),
      // Following a 301/302/303 turns the POST into a GET, whose 200 would look like an accepted ping.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { ok: false, retry: true, error: describeFailure(error, timeoutMs) };
  }
  // Nothing in a hub's body changes the outcome; discarding it frees the connection for the next ping.
  await response.body?.cancel().catch(() => {});
  const { status } = response;
  if (response.ok) return { ok: true, status };
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location');
    return { ok: false, retry: false, status, error: oneLine(`hub answered ${status}, redirecting to ${location}`) };
  }
  const retry = status === 429 || status >= 500;
  return { ok: false, retry, status, error: `hub answered ${status}` };
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (isNamed(error, 'TimeoutError')) return `timed out after ${timeoutMs} ms`;
  if (!(error instanceof Error)) return oneLine(String(error));
  // fetch reports every network failure as "fetch failed"; what a person can act on is in `cause`.
  const cause = error.cause;
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    // A host name with several addresses (localhost: ::1 and 127.0.0.1) fails once per address.
    const reasons = cause.errors.map((e) => (e instanceof Error ? e.message : String(e)));
    return oneLine([...new Set(reasons)].join('; '));
  }
  if (cause instanceof Error && cause.message) return oneLine(cause.message);
  return oneLine(error.message);
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && 'name' in error && error.name === name;
}

function oneLine(text: string): string {
  return abbreviate(text.replace(/\s+/g, ' ').trim(), 200);
}

function atLeastOne(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}
