// The site configuration: one JSON file, validated once at start-up, with errors a person can act on.
import * as z from 'zod';
import { isValidTimeZone, WEEKDAYS } from './digest/calendar.ts';
import { ConfigError } from './errors.ts';
import { cleanLine, shown } from './text.ts';
import { parseWebUrl } from './urls.ts';

const absoluteUrl = (example: string) =>
  z.string({ error: `expected an absolute http(s) URL, e.g. ${example}` }).transform((value, ctx) => {
    const parsed = parseWebUrl(value);
    if (parsed.ok) return parsed.url.href;
    ctx.addIssue({ code: 'custom', message: `${parsed.reason}, e.g. ${example}` });
    return z.NEVER;
  });

const label = (what: string, max: number) =>
  z
    .string({ error: `expected ${what}` })
    .transform(cleanLine)
    .pipe(z.string().min(1, `expected ${what}`).max(max, `longer than ${max} characters`));

/** `baseUrl` is a folder: a query or fragment would be dropped from every link built on it, silently. */
const baseFolderUrl = absoluteUrl('https://news.example.com/feeds/').transform((href, ctx) => {
  const url = new URL(href);
  if (url.search || url.hash) {
    ctx.addIssue({
      code: 'custom',
      message: `got ${shown(ctx.value)}: a query (?…) or fragment (#…) would be lost from every link built below it; use a folder URL such as https://news.example.com/feeds/`,
    });
    return z.NEVER;
  }
  return href.endsWith('/') ? href : `${href}/`;
});

/** An address a message may carry: no display name, no line break, nothing a mail library could read as two. */
const mailAddress = (example: string) =>
  z.email(`expected an email address such as ${example}`).max(254, 'longer than 254 characters');

const wholeNumber = (min: number, max: number) =>
  z
    .number(`expected a whole number from ${min} to ${max}`)
    .int(`expected a whole number from ${min} to ${max}`)
    .min(min, `expected a whole number from ${min} to ${max}`)
    .max(max, `expected a whole number from ${min} to ${max}`);

/** The tokens a subject template may use; see README, "The weekly digest". */
export const SUBJECT_TOKENS = ['site', 'number', 'week', 'dates', 'headline'] as const;

const subjectTemplate = label('a subject template such as "{site} #{number}: {headline}"', 200).superRefine(
  (value, ctx) => {
    for (const [, name] of value.matchAll(/\{([^{}]*)\}/g)) {
      if (!(SUBJECT_TOKENS as readonly string[]).includes(name ?? '')) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown token {${name}} in ${shown(value)}; known: ${SUBJECT_TOKENS.map((t) => `{${t}}`).join(' ')}`,
        });
      }
    }
  },
);

/**
 * The weekly digest: when an issue falls due, who sends it, what it may hold. Absent: no digest is prepared.
 * Later features (subscribers, sending) add their settings here too.
 */
export const DigestSettingsSchema = z.strictObject(
  {
    /** The issue falls due on this weekday at this hour, in timeZone, once per ISO week. */
    weekday: z.enum(WEEKDAYS, `expected a weekday: ${WEEKDAYS.join(', ')}`).default('monday'),
    hour: wholeNumber(0, 23).default(8),
    timeZone: z
      .string('expected an IANA time zone such as Europe/Berlin')
      .refine(isValidTimeZone, 'expected an IANA time zone such as Europe/Berlin or UTC')
      // The canonical spelling (`europe/berlin` → `Europe/Berlin`): the AWS scheduler takes only that.
      .transform((zone) => new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone)
      .default('UTC'),
    from: z.strictObject(
      {
        name: label('the sender name readers see', 100),
        address: mailAddress('digest@news.example.com'),
      },
      { error: 'expected { "name": "...", "address": "digest@news.example.com" }' },
    ),
    replyTo: mailAddress('newsroom@news.example.com').optional(),
    /** The sender's postal address, shown in every message's footer (CAN-SPAM). */
    postalAddress: label("the sender's postal address", 300),
    /** Where the subscriber API answers (subscribe, confirm, unsubscribe, preferences). Default: api/ under the site's origin. */
    apiUrl: baseFolderUrl.optional(),
    subject: subjectTemplate.default('{site} #{number}: {headline}'),
    /** How far back an article may be dated and still make its first issue. */
    lookBackDays: wholeNumber(1, 90).default(14),
    /** How many of the best-scored articles lead the issue as top stories. */
    topStories: wholeNumber(1, 10).default(3),
    /** At most this many articles of one provider in an issue. */
    perProvider: wholeNumber(1, 50).default(3),
    /** A week with no new article produces no issue (false: an issue saying so). */
    skipEmptyWeek: z.boolean('expected true or false').default(true),
    /**
     * Limits on sign-ups, so the form cannot be used to mail strangers: a repeated sign-up within the cooldown sends
     * nothing more; over the per-client or the total hourly limit the answer stays the same and nothing is sent.
     */
    signup: z
      .strictObject(
        {
          cooldownMinutes: wholeNumber(1, 10_080).default(15),
          perClientPerHour: wholeNumber(1, 10_000).default(5),
          totalPerHour: wholeNumber(1, 1_000_000).default(500),
        },
        { error: 'expected { "cooldownMinutes": 15, "perClientPerHour": 5, "totalPerHour": 500 }' },
      )
      .prefault({}),
    /** Hold each prepared issue until an operator approves it (`npm run digest -- approve`), after a look at its web copy. */
    requireApproval: z.boolean('expected true or false').default(false),
    /**
     * Sending through SES: the senders together stay under the account's send rate (`ratePerSecond`, the MaxSendRate
     * of GetSendQuota); at most `maxConcurrency` senders run at once (the queue's event source mapping), each at
     * ratePerSecond / maxConcurrency.
     */
    sending: z
      .strictObject(
        {
          ratePerSecond: wholeNumber(1, 100_000).default(14),
          maxConcurrency: wholeNumber(2, 1000).default(2),
          configurationSet: z
            .string('expected the name of an SES configuration set')
            .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an SES configuration set name: letters, digits, _ and -')
            .optional(),
        },
        { error: 'expected { "ratePerSecond": 14, "maxConcurrency": 2, "configurationSet": "..." }' },
      )
      .prefault({}),
    /** The address the local run (npm start) writes its sample message to. */
    sampleRecipient: mailAddress('reader@example.com').default('reader@example.com'),
  },
  { error: 'expected the digest settings: { "from": {...}, "postalAddress": "...", ... }' },
);

/** https, or http on this machine (a local preview's own server). */
export function isSecureOrLocal(href: string): boolean {
  const url = new URL(href);
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

export const SiteConfigSchema = z.strictObject({
  title: label('the site title', 200),
  description: label('a one-sentence description of the site', 1000),
  /** Where the files of the output folder are served; every link in the feeds starts here. */
  baseUrl: baseFolderUrl,
  /** The site's home page, the feeds' `link`. Defaults to baseUrl. */
  siteUrl: absoluteUrl('https://news.example.com/').optional(),
  language: z
    .string()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'expected a language tag such as en or en-GB')
    // Well-formed by BCP 47 too (`en-12` fits the pattern but is not a tag): dates are formatted in this language.
    .refine(isLanguageTag, 'expected a language tag such as en or en-GB')
    .default('en'),
  author: z.strictObject(
    {
      name: label('the author or newsroom name', 200),
      email: z.email('expected an email address').optional(),
      url: absoluteUrl('https://news.example.com/about').optional(),
    },
    { error: 'expected { "name": "...", "email": "...", "url": "..." }' },
  ),
  /**
   * Prefix of every item id. Ids must never change once published, so this is set once and never derived from the
   * base URL or the build date.
   */
  idPrefix: z
    .string({ error: 'expected a permanent id prefix such as tag:news.example.com,2026:' })
    .regex(
      /^(tag:[a-z0-9.-]+,\d{4}(-\d{2}){0,2}:|urn:[a-z0-9][a-z0-9-]{0,31}:([a-z0-9._~-]+:)*)$/i,
      'expected a tag: or urn: prefix ending in a colon, such as tag:news.example.com,2026:',
    ),
  minQuality: z
    .number('expected a number from 0 to 100')
    .min(0, 'expected a number from 0 to 100')
    .max(100, 'expected a number from 0 to 100')
    .default(40),
  itemLimit: z
    .number('expected a whole number of items from 1 to 1000')
    .int('expected a whole number of items from 1 to 1000')
    .min(1, 'expected a whole number of items from 1 to 1000')
    .max(1000, 'expected a whole number of items from 1 to 1000')
    .default(50),
  copyright: label('a copyright line', 300).optional(),
  logoUrl: absoluteUrl('https://news.example.com/logo.png').optional(),
  iconUrl: absoluteUrl('https://news.example.com/favicon.png').optional(),
  /** A WebSub hub, advertised in every feed when set. */
  hubUrl: absoluteUrl('https://pubsubhubbub.appspot.com/').optional(),
  digest: DigestSettingsSchema.optional(),
});

export type DigestSettings = Omit<z.output<typeof DigestSettingsSchema>, 'apiUrl'> & {
  /** Always set after parsing: the configured URL or `api/` under the site's origin. */
  apiUrl: string;
};

export type SiteConfig = Omit<z.output<typeof SiteConfigSchema>, 'digest'> & { digest?: DigestSettings };

/** The value at `path` in the raw input, to tell a missing setting from a wrong one. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path)
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** The known setting closest to a mistyped one (`itemlimit` → `itemLimit`), if any is close. */
export function closestSetting(name: string, known: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i += 1) {
      let diagonal = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j += 1) {
        const above = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
        diagonal = above;
      }
    }
    return row[b.length]!;
  };
  const scored = known.map((k) => ({ k, d: distance(name.toLowerCase(), k.toLowerCase()) }));
  const best = scored.sort((a, b) => a.d - b.d || (a.k < b.k ? -1 : 1))[0];
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.k : undefined;
}

/** A schema without its wrappers (optional, default, prefault, a pipe's input): the object inside, if any. */
function unwrapped(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { innerType?: z.ZodType; type: string; in?: z.ZodType };
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}

/** The settings an object at `path` accepts: the top level, `author`, `digest`, `digest.from`, `digest.signup`. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = SiteConfigSchema;
  for (const key of path) {
    schema = unwrapped(schema);
    if (!(schema instanceof z.ZodObject)) return [];
    const next = (schema.shape as Record<string, z.ZodType>)[String(key)];
    if (!next) return [];
    schema = next;
  }
  schema = unwrapped(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string[] {
  const at = (path: readonly PropertyKey[]) => path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const suggestion = closestSetting(key, knownKeysAt(issue.path));
      const hint = suggestion
        ? `; did you mean "${suggestion}"?`
        : `; known settings: ${knownKeysAt(issue.path).join(', ')}`;
      return `  ${at([...issue.path, key])}: unknown setting${hint}`;
    });
  }
  const value = valueAt(raw, issue.path);
  if (value === undefined) return [`  ${at(issue.path)}: missing setting; ${issue.message}`];
  const got = /\bgot\b/.test(issue.message) ? '' : `, got ${shown(value)}`;
  return [`  ${at(issue.path)}: ${issue.message}${got}`];
}

/** Validates parsed JSON as the site configuration; `origin` names the file in messages. */
export function parseSiteConfig(raw: unknown, origin: string): SiteConfig {
  const result = SiteConfigSchema.safeParse(raw);
  if (result.success) {
    const { digest, ...site } = result.data;
    if (!digest) return site;
    const siteOrigin = new URL(site.siteUrl ?? site.baseUrl).origin;
    const apiUrl = digest.apiUrl ?? new URL('/api/', siteOrigin).href;
    if (!isSecureOrLocal(apiUrl)) {
      const setting = digest.apiUrl ? 'digest.apiUrl' : `digest.apiUrl (by default api/ under ${siteOrigin})`;
      throw new ConfigError(
        `${origin} is not a valid site configuration:\n  ${setting}: expected an https URL, got ${shown(apiUrl)}; ` +
          'every message carries a one-click unsubscribe link into it, and that must be https (RFC 8058)',
      );
    }
    return { ...site, digest: { ...digest, apiUrl } };
  }
  const lines = result.error.issues.flatMap((issue) => describeIssue(issue, raw));
  throw new ConfigError(`${origin} is not a valid site configuration:\n${lines.join('\n')}`);
}

const INVISIBLE = /[\p{Cf}\u00A0\u2028\u2029\u3000]/u;

/** The first invisible character where JSON expects syntax (inside a string it is text, and no error). */
function invisibleOutsideStrings(text: string): { line: number; column: number; codePoint: string } | undefined {
  let inString = false;
  let line = 1;
  let column = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    column += 1;
    if (char === '\n') {
      line += 1;
      column = 0;
    } else if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (INVISIBLE.test(char)) {
      return { line, column, codePoint: char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0') };
    }
  }
  return undefined;
}

/**
 * Reads the configuration from the text of a JSON file. An invisible character where JSON expects syntax (a byte
 * order mark, a zero-width space pasted from a web page) is named with its position, since the parser's own message
 * shows nothing a person can see.
 */
export function parseSiteConfigText(text: string, origin: string): SiteConfig {
  if (text.startsWith('\uFEFF')) {
    throw new ConfigError(
      `${origin} starts with an invisible byte order mark (U+FEFF); save it as UTF-8 without a BOM`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const invisible = invisibleOutsideStrings(text);
    if (invisible) {
      const { line, column, codePoint } = invisible;
      throw new ConfigError(
        `${origin} is not valid JSON: line ${line}, column ${column} has an invisible character (U+${codePoint}); delete it`,
        { cause: error },
      );
    }
    throw new ConfigError(`${origin} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseSiteConfig(raw, origin);
}
