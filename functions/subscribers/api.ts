// The subscriber API as one Hono app, at the routes the digest fixed: sign-up (double opt-in), confirm, one-click
// unsubscribe, topic preferences. Plain data in (the store, the signer, a mail sender, the clock), HTTP out; the
// Lambda handler and the local dev server only adapt it. Logs carry a keyed hash, never an address.
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import * as z from 'zod';
import type { DigestSettings, SiteConfig } from '../core/config.ts';
import { HONEYPOT_FIELD, type TopicChoice } from '../core/signup-form.ts';
import { slugify } from '../core/slug.ts';
import { addressHash, parseAddress, withoutAddresses } from './address.ts';
import { type Change, chooseTopics, confirm, signUp, unsubscribe } from './lifecycle.ts';
import { type Subscriber, type SubscriberStore, WriteConflict } from './model.ts';
import {
  checkInboxPage,
  confirmedPage,
  errorPage,
  invalidLinkPage,
  notSubscribedPage,
  preferencesPage,
  unsubscribeAskPage,
  unsubscribedPage,
} from './pages.ts';
import { API_ROUTES, signedLink } from './routes.ts';
import type { TokenPurpose, TokenSigner } from './tokens.ts';

/** Request bodies above this are refused (413): a sign-up is an address and a few topics. */
export const MAX_BODY_BYTES = 4096;

export interface ConfirmationRequest {
  to: string;
  confirmUrl: string;
  /** Labels of the topics asked for; empty: every topic. */
  topics: string[];
}

export interface ApiDeps {
  config: SiteConfig & { digest: DigestSettings };
  store: SubscriberStore;
  signer: TokenSigner;
  /** The key of the keyed address hash in logs and tombstones (the keyring's hashKey). */
  hashKey: Uint8Array;
  /** Sends the confirmation message (SES in AWS and in the dev server's stand-in). */
  sendConfirmation(request: ConfirmationRequest): Promise<void>;
  /** The topics that exist in the feeds, for the choice on the forms. */
  topics(): Promise<TopicChoice[]>;
  clock(): Date;
  /** The client's IP address and user agent as the platform reports them (API Gateway, the dev server). */
  client(c: Context): { ip?: string; userAgent?: string };
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /**
   * Every sign-up answer takes at least this long, whatever happened (new address, known one, suppressed, limited),
   * so its timing does not tell one from the other. Default 400 ms.
   */
  responseFloorMs?: number;
  sleep?(ms: number): Promise<void>;
}

const SignUpJson = z.object({
  email: z.string().max(320),
  topics: z.array(z.string().max(200)).max(100).optional(),
  [HONEYPOT_FIELD]: z.string().max(1000).optional(),
});

type SignUpForm = z.infer<typeof SignUpJson>;

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];

function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The sign-up as sent: JSON or a form post; undefined with a reason for anything else. */
async function readSignUp(
  c: Context,
): Promise<{ ok: true; form: SignUpForm } | { ok: false; status: 400 | 415; reason: string }> {
  const type = mediaType(c);
  if (type === 'application/json') {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      return { ok: false, status: 400, reason: 'the body is not valid JSON' };
    }
    const parsed = SignUpJson.safeParse(json);
    if (!parsed.success) {
      return { ok: false, status: 400, reason: 'expected {"email": "…", "topics": ["…"]} with text values' };
    }
    return { ok: true, form: parsed.data };
  }
  if (FORM_TYPES.includes(type)) {
    const body = await c.req.parseBody({ all: true });
    const [email] = strings(body.email);
    const [honeypot] = strings(body[HONEYPOT_FIELD]);
    return {
      ok: true,
      form: { email: email ?? '', topics: strings(body.topics), ...(honeypot ? { [HONEYPOT_FIELD]: honeypot } : {}) },
    };
  }
  return {
    ok: false,
    status: 415,
    reason: 'send JSON (application/json) or a form (application/x-www-form-urlencoded)',
  };
}

const hourOf = (at: Date) => Math.floor(at.getTime() / 3_600_000);

export function createApi(deps: ApiDeps): Hono {
  const { config, store, signer } = deps;
  const digest = config.digest;
  const floorMs = deps.responseFloorMs ?? 400;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const hash = (address: string) => addressHash(deps.hashKey, address);
  const apiPath = new URL(digest.apiUrl).pathname.replace(/\/$/, '');
  const link = (route: TokenPurpose, address: string, at: Date) =>
    signedLink(digest.apiUrl, route, signer, address, at);
  const siteOrigin = new URL(config.siteUrl ?? config.baseUrl).origin;
  const app = new Hono().basePath(apiPath);

  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('X-Robots-Tag', 'noindex');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header(
      'Content-Security-Policy',
      `default-src 'none'; style-src ${new URL(config.baseUrl).origin}; form-action ${new URL(digest.apiUrl).origin}; base-uri 'none'; frame-ancestors 'none'`,
    );
  });
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ error: `the body is over ${MAX_BODY_BYTES} bytes` }, 413),
  });

  /** Reads, changes and writes one subscriber; a concurrent change means: read again and decide again. */
  async function update(
    address: string,
    decide: (current: Subscriber | undefined) => Change,
  ): Promise<Change & { current?: Subscriber }> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await store.get(address);
      const change = decide(current);
      if (!change.write) return { ...change, ...(current ? { current } : {}) };
      try {
        await store.save(change.next, change.expectedVersion);
        return { ...change, current: change.next };
      } catch (error) {
        if (!(error instanceof WriteConflict) || attempt >= 3) throw error;
      }
    }
  }

  /** The token of a link, checked for its purpose: the address, or why not. */
  function tokenOf(c: Context, purpose: TokenPurpose) {
    return signer.verify(c.req.query('token') ?? '', purpose, deps.clock());
  }

  // CORS only where a form on the site's own pages needs it, and only when the API lives on another origin.
  if (siteOrigin !== new URL(digest.apiUrl).origin) {
    app.use(
      `/${API_ROUTES.subscribe}`,
      cors({ origin: siteOrigin, allowMethods: ['POST'], allowHeaders: ['Content-Type'] }),
    );
  }

  app.post(`/${API_ROUTES.subscribe}`, limit, async (c) => {
    const started = performance.now();
    const wantsJson = mediaType(c) === 'application/json';
    const topics = await deps.topics();
    const answer = async () => {
      await sleep(Math.max(0, floorMs - (performance.now() - started)));
      return wantsJson
        ? c.json(
            {
              status: 'check-your-inbox',
              message: 'If the address can receive the digest, a confirmation link is on its way.',
            },
            202,
          )
        : c.html(checkInboxPage(config), 200);
    };
    const read = await readSignUp(c);
    if (!read.ok) {
      return wantsJson || read.status === 415
        ? c.json({ error: read.reason }, read.status)
        : c.html(errorPage(config, 'Sign-up failed', read.reason), read.status);
    }
    const address = parseAddress(read.form.email);
    if (!address) {
      const reason = 'expected an email address such as name@example.com';
      return wantsJson
        ? c.json({ error: reason, field: 'email' }, 400)
        : c.html(invalidAddressPage(reason, topics), 400);
    }
    if (read.form[HONEYPOT_FIELD]) {
      deps.log('warn', 'sign-up ignored: honeypot filled', { subscriber: hash(address) });
      return answer();
    }
    const now = deps.clock();
    const { ip, userAgent } = deps.client(c);
    const window = new Date((hourOf(now) + 2) * 3_600_000);
    if (
      ip &&
      !(await store.hit(
        `client:${addressHash(deps.hashKey, `ip ${ip}`)}:${hourOf(now)}`,
        digest.signup.perClientPerHour,
        window,
        now,
      ))
    ) {
      deps.log('warn', 'sign-up ignored: client over its hourly limit', { subscriber: hash(address) });
      return answer();
    }
    const known = new Map(topics.map((t) => [t.slug, t.label]));
    const chosen = [
      ...new Set((read.form.topics ?? []).map((t) => slugify(t)).filter((slug) => known.has(slug))),
    ].sort();
    const [current, tombstone] = await Promise.all([store.get(address), store.tombstone(hash(address))]);
    const result = signUp(current, tombstone, {
      address,
      topics: chosen,
      consent: {
        at: now,
        source: 'form',
        ...(ip ? { ip } : {}),
        ...(userAgent ? { userAgent: userAgent.slice(0, 300) } : {}),
      },
      cooldownMs: digest.signup.cooldownMinutes * 60_000,
    });
    if (result.outcome !== 'send') {
      deps.log('info', `sign-up: nothing sent (${result.outcome})`, { subscriber: hash(address) });
      return answer();
    }
    if (!(await store.hit(`all:${hourOf(now)}`, digest.signup.totalPerHour, window, now))) {
      deps.log('warn', 'sign-up ignored: confirmation mails over the hourly total', { subscriber: hash(address) });
      return answer();
    }
    try {
      await store.save(result.next, result.expectedVersion);
    } catch (error) {
      if (!(error instanceof WriteConflict)) throw error;
      // Another sign-up for this address won the race; it sends the confirmation.
      deps.log('info', 'sign-up: nothing sent (concurrent sign-up)', { subscriber: hash(address) });
      return answer();
    }
    try {
      await deps.sendConfirmation({
        to: address,
        confirmUrl: link('confirm', address, now),
        topics: chosen.map((slug) => known.get(slug) ?? slug),
      });
      deps.log('info', 'sign-up: confirmation sent', { subscriber: hash(address), status: result.next.status });
    } catch (error) {
      deps.log('error', 'sign-up: confirmation not sent', { subscriber: hash(address), error: (error as Error).name });
    }
    return answer();
  });

  function invalidAddressPage(reason: string, topics: TopicChoice[]) {
    return notSubscribedPage(config, topics, `That address does not work: ${reason}.`);
  }

  app.get(`/${API_ROUTES.confirm}`, async (c) => {
    const check = tokenOf(c, 'confirm');
    const topics = await deps.topics();
    if (!check.ok) return c.html(invalidLinkPage(config, topics, check.reason === 'expired'), 400);
    const now = deps.clock();
    const result = await update(check.address, (current) => confirm(current, now));
    const status = result.current?.status;
    if (result.write) deps.log('info', 'confirmed', { subscriber: hash(check.address) });
    if (status === 'confirmed') {
      return c.html(
        confirmedPage(config, {
          preferencesUrl: link('preferences', check.address, now),
          unsubscribeUrl: link('unsubscribe', check.address, now),
        }),
      );
    }
    const why =
      status === 'unsubscribed'
        ? 'You unsubscribed after this link was sent, so it no longer subscribes you. Sign up again to get the digest.'
        : status === 'bounced' || status === 'complained'
          ? 'The digest cannot be sent to this address.'
          : 'There is no sign-up for this link any more. Sign up again to get the digest.';
    return c.html(notSubscribedPage(config, topics, why));
  });

  app.get(`/${API_ROUTES.unsubscribe}`, async (c) => {
    // Mail scanners open every link: a GET only shows the button, and changes nothing.
    const check = tokenOf(c, 'unsubscribe');
    if (!check.ok)
      return c.html(
        errorPage(
          config,
          'This link does not work',
          'This unsubscribe link is not valid. It may have been cut when it was copied.',
        ),
        400,
      );
    return c.html(unsubscribeAskPage(config, new URL(c.req.url).pathname + new URL(c.req.url).search));
  });

  app.post(`/${API_ROUTES.unsubscribe}`, limit, async (c) => {
    const type = mediaType(c);
    if (type && !FORM_TYPES.includes(type))
      return c.json({ error: 'expected a form post (List-Unsubscribe=One-Click)' }, 415);
    const check = tokenOf(c, 'unsubscribe');
    if (!check.ok)
      return c.html(errorPage(config, 'This link does not work', 'This unsubscribe link is not valid.'), 400);
    const now = deps.clock();
    const result = await update(check.address, (current) => unsubscribe(current, now));
    if (result.write) deps.log('info', 'unsubscribed', { subscriber: hash(check.address) });
    // RFC 8058: a 2xx answer, never a redirect; the same answer however often it is posted.
    return c.html(unsubscribedPage(config, await deps.topics()), 200);
  });

  app.get(`/${API_ROUTES.preferences}`, async (c) => {
    const check = tokenOf(c, 'preferences');
    const topics = await deps.topics();
    if (!check.ok)
      return c.html(
        errorPage(
          config,
          'This link does not work',
          'This settings link is not valid. It may have been cut when it was copied.',
        ),
        400,
      );
    const current = await store.get(check.address);
    if (!current) return c.html(notSubscribedPage(config, topics, 'There is no subscription for this link any more.'));
    return c.html(preferencesView(c, current, topics, false));
  });

  app.post(`/${API_ROUTES.preferences}`, limit, async (c) => {
    if (!FORM_TYPES.includes(mediaType(c))) return c.json({ error: 'expected a form post' }, 415);
    const check = tokenOf(c, 'preferences');
    if (!check.ok) return c.html(errorPage(config, 'This link does not work', 'This settings link is not valid.'), 400);
    const topics = await deps.topics();
    const body = await c.req.parseBody({ all: true });
    const known = new Set(topics.map((t) => t.slug));
    const every = strings(body.mode)[0] === 'all';
    const chosen = every ? [] : strings(body.topics).filter((slug) => known.has(slug));
    const now = deps.clock();
    const result = await update(check.address, (current) => chooseTopics(current, chosen, now));
    if (!result.current)
      return c.html(notSubscribedPage(config, topics, 'There is no subscription for this link any more.'));
    if (result.write) deps.log('info', 'topics chosen', { subscriber: hash(check.address), topics: chosen.length });
    return c.html(preferencesView(c, result.current, topics, true));
  });

  function preferencesView(c: Context, subscriber: Subscriber, topics: TopicChoice[], saved: boolean) {
    const now = deps.clock();
    const status = {
      pending: 'Your subscription is waiting for you to click the link in the confirmation email.',
      confirmed: 'You get the weekly digest.',
      unsubscribed: 'You are unsubscribed: you get no digest. Sign up again on the site to get it.',
      bounced: 'Mail to this address bounced, so no digest is sent.',
      complained: 'This address reported the digest as spam, so no digest is sent.',
    }[subscriber.status];
    return preferencesPage(config, {
      postUrl: new URL(c.req.url).pathname + new URL(c.req.url).search,
      unsubscribeUrl: link('unsubscribe', subscriber.address, now),
      topics,
      chosen: new Set(subscriber.topics),
      status,
      saved,
    });
  }

  const allowed: Record<string, string> = {
    [API_ROUTES.subscribe]: 'POST',
    [API_ROUTES.confirm]: 'GET, HEAD',
    [API_ROUTES.unsubscribe]: 'GET, HEAD, POST',
    [API_ROUTES.preferences]: 'GET, HEAD, POST',
  };
  for (const [route, allow] of Object.entries(allowed)) {
    app.all(`/${route}`, (c) => {
      c.header('Allow', allow);
      return c.json({ error: `use ${allow}` }, 405);
    });
  }
  app.notFound((c) => c.json({ error: 'no such route' }, 404));
  app.onError((error, c) => {
    // Never a stack trace to the client; in the log, the error without anything shaped like an address.
    const message = withoutAddresses(error.message).slice(0, 200);
    deps.log('error', 'request failed', { route: new URL(c.req.url).pathname, error: error.name, message });
    return c.json({ error: 'something went wrong on our side; try again later' }, 500);
  });
  return app;
}
