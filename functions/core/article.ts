// The article model: one Markdown file with YAML front matter in, one validated Article (or the reasons it was rejected) out.
// `secured` and every other unknown field are dropped here, so nothing downstream can leak them.
import yaml from 'js-yaml';
import * as z from 'zod';
import { cleanLine, cleanText, printable, shown, truncateAtWord } from './text.ts';
import { parseWebUrl } from './urls.ts';

/**
 * Bumped whenever parsing or validation changes what an article file yields: cached parse results from an older model
 * are then discarded and every article is read again.
 */
export const ARTICLE_MODEL_VERSION = 2;

/** Documented limits (README, "Content format"). Longer titles and excerpts are cut at a word; the rest is rejected. */
export const LIMITS = {
  title: 300,
  excerpt: 1000,
  providerName: 120,
  label: 80, // one topic or the category
  topics: 20,
  images: 20,
  related: 10,
  body: 200_000,
  /** Bytes of the whole file, checked before it is read or parsed, so no single upload can exhaust memory. */
  fileBytes: 1_048_576,
} as const;

export interface ArticleImage {
  url: string;
  width?: number;
  height?: number;
}

export interface RelatedLink {
  title: string;
  url: string;
  providerName?: string;
}

export interface Provider {
  name: string;
  domain?: string;
}

export interface Article {
  /** Permanent identity: the file's path below the content root without `.md`. Survives edits and URL changes. */
  id: string;
  /** Where the article came from, for messages (`content/x.md`, `s3://bucket/x.md`). */
  file: string;
  title: string;
  excerpt?: string;
  publishedAt: Date;
  /** When the article was last edited, if the file says so (never before publishedAt). */
  updatedAt?: Date;
  webUrl: string;
  originalUrl: string;
  quality: number;
  heat?: number;
  published: boolean;
  provider?: Provider;
  topics: string[];
  category?: string;
  images: ArticleImage[];
  related: RelatedLink[];
  /** The Markdown body, not yet rendered. */
  body: string;
}

/**
 * What selection, feed planning and ranking need of an article: small, so every article's facts stay in memory and in
 * the build manifest, at 100,000 articles too. The rest of an article is read only when some output shows it.
 */
export type ArticleFacts = Pick<
  Article,
  | 'id'
  | 'file'
  | 'publishedAt'
  | 'updatedAt'
  | 'published'
  | 'quality'
  | 'heat'
  | 'originalUrl'
  | 'topics'
  | 'category'
  | 'provider'
>;

/** An article as the digest and the front page show it: everything but the Markdown body. */
export type ArticleCard = Omit<Article, 'body'>;

/** An article as a feed shows it: its body rendered to safe HTML once, when it first appears in an output. */
export type RenderedArticle = ArticleCard & { bodyHtml: string };

/**
 * A copy of `value` that shares no memory with the text it was cut from. V8 keeps a string cut from a longer one (as
 * the YAML parser's are, from the file's text) as a view of that text: a topic held for the whole run would keep its
 * whole file in memory. Joining forces a fresh string, and cutting the join keeps only that.
 */
export const detached = (value: string): string => ` ${value}`.slice(1);

/**
 * The facts of an article (or of a card, or a rendered article), as a new object that holds nothing else. `label`
 * copies the topics, category and provider, which repeat across articles: a loader passes one that hands out one
 * shared copy per distinct text.
 */
export function factsOf(article: ArticleFacts, label: (value: string) => string = detached): ArticleFacts {
  const { provider, category, updatedAt, heat } = article;
  return {
    id: detached(article.id),
    file: detached(article.file),
    publishedAt: article.publishedAt,
    ...(updatedAt !== undefined ? { updatedAt } : {}),
    published: article.published,
    quality: article.quality,
    ...(heat !== undefined ? { heat } : {}),
    originalUrl: detached(article.originalUrl),
    topics: article.topics.map(label),
    ...(category !== undefined ? { category: label(category) } : {}),
    ...(provider !== undefined
      ? {
          provider: {
            name: label(provider.name),
            ...(provider.domain !== undefined ? { domain: label(provider.domain) } : {}),
          },
        }
      : {}),
  };
}

export interface FieldProblem {
  field: string;
  reason: string;
}

export type ArticleResult =
  | { ok: true; article: Article; warnings: FieldProblem[] }
  | { ok: false; file: string; problems: FieldProblem[] };

function expected(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `is required: ${what}` : `expected ${what}, got ${shown(issue.input)}`;
}

const text = (what: string) => z.string({ error: expected(what) });

const line = (max: number, what: string) =>
  text(what)
    .transform(cleanLine)
    .refine((s) => s.length > 0, { error: `expected ${what}, got empty text` })
    // No more characters than UTF-16 units: only a long text needs counting.
    .refine((s) => s.length <= max || Array.from(s).length <= max, { error: `longer than ${max} characters` });

/** Title and excerpt are cut rather than rejected: a long title is a style problem, not a reason to lose a story. */
const cutLine = (max: number, what: string) =>
  text(what)
    .transform(cleanLine)
    .refine((s) => s.length > 0, { error: `expected ${what}, got empty text` })
    .transform((s) => truncateAtWord(s, max));

const score = z
  .number({ error: expected('a number from 0 to 100') })
  .refine((n) => Number.isFinite(n) && n >= 0 && n <= 100, { error: expected('a number from 0 to 100') });

const webUrl = text('an absolute http(s) URL').transform((value, ctx) => {
  const parsed = parseWebUrl(value.trim());
  if (parsed.ok) return parsed.url.href;
  ctx.addIssue({ code: 'custom', message: `${parsed.reason}, got ${shown(value)}` });
  return z.NEVER;
});

// RFC 3339 / ISO 8601 with a time and a zone. A zone-less time is rejected: its meaning would depend on the machine.
// A space may stand for the T and before the zone, and the zone may lack its colon: `2026-11-23 10:00:00 +0100` is
// Jekyll's default format.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)? ?(?:([Zz]|UTC|GMT)|([+-])(\d{2}):?(\d{2}))$/;
// RFC 2822 (as in RSS and e-mail): `Mon, 23 Nov 2026 10:00:00 +0100`, the weekday optional.
const MAIL_DATE_TIME =
  /^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? (?:(GMT|UTC|UT|Z)|([+-])(\d{2})(\d{2}))$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

interface DateFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  /** The zone's offset from UTC: +1 east, -1 west. */
  zoneSign: number;
  zoneHours: number;
  zoneMinutes: number;
  weekday?: string;
}

function dateFields(text: string): DateFields | undefined {
  const iso = ISO_DATE_TIME.exec(text);
  if (iso) {
    const n = (group: number) => Number(iso[group] ?? 0);
    const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
    const millis = Math.floor(Number(`0${iso[7] ?? ''}`) * 1000);
    const zoneSign = iso[9] === '-' ? -1 : 1;
    return { year, month, day, hour, minute, second, millis, zoneSign, zoneHours: n(10), zoneMinutes: n(11) };
  }
  const mail = MAIL_DATE_TIME.exec(text);
  if (!mail) return undefined;
  const n = (group: number) => Number(mail[group] ?? 0);
  const [year, month, day, hour, minute, second] = [n(4), MONTHS.indexOf(mail[3] ?? '') + 1, n(2), n(5), n(6), n(7)];
  const zoneSign = mail[9] === '-' ? -1 : 1;
  const zone = { zoneSign, zoneHours: n(10), zoneMinutes: n(11) };
  return { year, month, day, hour, minute, second, millis: 0, ...zone, ...(mail[1] ? { weekday: mail[1] } : {}) };
}

export function parseDateTime(value: string): { ok: true; date: Date } | { ok: false; reason: string } {
  const trimmed = value.trim();
  const fields = dateFields(trimmed);
  if (!fields) {
    const reason = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(trimmed)
      ? 'has no time zone; add Z (UTC) or an offset such as +01:00'
      : 'expected a date-time such as 2026-11-20T09:30:00Z';
    return { ok: false, reason: `${reason}, got ${shown(value)}` };
  }
  const { year, month, day, hour, minute, second, millis, zoneSign, zoneHours, zoneMinutes } = fields;
  // Built from the fields rather than by Date.parse, which would roll 30 February over into March.
  const calendar = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  const valid =
    calendar.getUTCFullYear() === year &&
    calendar.getUTCMonth() === month - 1 &&
    calendar.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    zoneHours < 24 &&
    zoneMinutes < 60 &&
    (fields.weekday === undefined || WEEKDAYS[calendar.getUTCDay()] === fields.weekday);
  if (!valid) return { ok: false, reason: `not a real date-time, got ${shown(value)}` };
  return { ok: true, date: new Date(calendar.getTime() - zoneSign * (zoneHours * 60 + zoneMinutes) * 60_000) };
}

const dateTime = text('a date-time such as 2026-11-20T09:30:00Z').transform((value, ctx) => {
  const parsed = parseDateTime(value);
  if (parsed.ok) return parsed.date;
  ctx.addIssue({ code: 'custom', message: parsed.reason });
  return z.NEVER;
});

const dimension = z.number().int().positive().max(20_000);

const ImageSchema = z.object({
  url: webUrl,
  width: dimension.optional(),
  height: dimension.optional(),
});

const RelatedSchema = z.object({
  title: line(LIMITS.title, 'a title'),
  webUrl,
  provider: z.object({ name: line(LIMITS.providerName, 'a name') }).optional(),
});

const ProviderSchema = z.object(
  {
    name: line(LIMITS.providerName, 'the provider name'),
    domain: text('a domain name such as example.com')
      .transform((s) => s.trim().toLowerCase())
      .refine((s) => /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(s), {
        error: expected('a domain name such as example.com'),
      })
      .optional(),
  },
  { error: expected('a mapping with name and domain') },
);

/** A list whose entries are checked one by one: a bad entry is dropped with a warning, the article still publishes. */
const lenientList = (max: number) =>
  z
    .array(z.unknown(), { error: expected('a list') })
    .refine((items) => items.length <= max, { error: `more than ${max} entries` })
    .optional();

const FrontMatter = z.object({
  title: cutLine(LIMITS.title, 'a title'),
  excerpt: cutLine(LIMITS.excerpt, 'text').optional(),
  publishedDateTime: dateTime,
  // Checked against publishedDateTime after parsing: a bad value is a warning, never a reason to lose the story.
  updatedDateTime: z.unknown().optional(),
  webUrl,
  originalUrl: webUrl.optional(),
  quality: score,
  heat: score.optional(),
  // Only the YAML boolean `true` publishes; a missing flag means draft.
  published: z.boolean({ error: expected('true or false') }).default(false),
  provider: ProviderSchema.optional(),
  topics: z
    .array(line(LIMITS.label, 'a topic name'), { error: expected('a list of topic names') })
    .refine((items) => items.length <= LIMITS.topics, { error: `more than ${LIMITS.topics} topics` })
    .default([]),
  category: line(LIMITS.label, 'a category name').optional(),
  images: lenientList(LIMITS.images),
  related: lenientList(LIMITS.related),
});

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, part) => (typeof part === 'number' ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part)),
    '',
  );
}

function problemsOf(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: fieldName([...(prefix ? [prefix] : []), ...issue.path]),
    reason: issue.message,
  }));
}

/** Keeps the entries that parse and reports the others. */
function keepValid<S extends z.ZodType>(
  items: unknown[] | undefined,
  schema: S,
  field: string,
  warnings: FieldProblem[],
): z.output<S>[] {
  const kept: z.output<S>[] = [];
  (items ?? []).forEach((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) kept.push(result.data);
    else warnings.push(...problemsOf(result.error, `${field}[${index}]`).map(dropped));
  });
  return kept;
}

const dropped = (problem: FieldProblem): FieldProblem => ({ ...problem, reason: `${problem.reason} (entry dropped)` });

/** The article id for a content key: `2026/11/story.md` → `2026/11/story`. */
export function articleIdFor(key: string): string {
  return key.replace(/\.md$/i, '');
}

/**
 * js-yaml's reason without the text it quotes: an alias, tag or handle name can be a piece of any field, `secured`
 * included (`secured: *abc` reports `unidentified alias "abc"`). Only the parser's fixed wording is kept.
 */
function yamlReason(reason: string): string {
  return reason
    .replace(/ ?"[^"]*"/g, '')
    .replace(/ ?!<[^>]*>/g, '')
    .replace(/: .*$/s, '')
    .trim();
}

/**
 * The front matter's text and the body, split as gray-matter splits them (the front matter ends at the first line
 * that starts with `---`; the rest of that line and one line break are dropped), without its per-file overhead: it
 * used every file's whole text as a key of its cache, which hashed and interned each file.
 */
function splitFrontMatter(normalized: string): { matter: string; body: string } {
  const afterOpening = normalized.slice(3);
  const close = afterOpening.indexOf('\n---');
  if (close === -1) return { matter: afterOpening, body: '' };
  const rest = afterOpening.slice(close + 4);
  return { matter: afterOpening.slice(0, close), body: rest.startsWith('\n') ? rest.slice(1) : rest };
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Splits front matter from body. YAML timestamps stay text (core schema) so a missing time zone can be seen. */
function readFrontMatter(source: string): { data: unknown; body: string } | FieldProblem {
  // Each step copies the text only when there is something to change (most files have no BOM and no CR).
  const unmarked = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const normalized = unmarked.includes('\r') ? unmarked.replace(/\r\n?/g, '\n') : unmarked;
  if (!/^---[ \t]*\n/.test(normalized)) {
    return { field: 'front matter', reason: 'missing: the file must start with a line of three dashes (---)' };
  }
  const { matter, body } = splitFrontMatter(normalized);
  // Only comments (or nothing) is an empty mapping, as gray-matter had it: the fields are then reported missing.
  // Asked only when YAML finds no mapping there: a front matter that is a mapping cannot be only comments.
  const onlyComments = () => matter.replace(/^\s*#[^\n]+/gm, '').trim() === '';
  try {
    const data: unknown = yaml.load(matter, { schema: yaml.CORE_SCHEMA });
    return isMapping(data) || !onlyComments() ? { data, body } : { data: {}, body };
  } catch (error) {
    if (onlyComments()) return { data: {}, body };
    // Never js-yaml's message: it quotes the surrounding lines, which may hold `secured`.
    if (error instanceof yaml.YAMLException) {
      // Some errors (a second document in the front matter: `...` then more keys) carry no position.
      const where = error.mark ? ` at line ${error.mark.line + 2}` : '';
      return { field: 'front matter', reason: `invalid YAML${where}: ${yamlReason(error.reason)}` };
    }
    return { field: 'front matter', reason: 'invalid YAML' };
  }
}

/**
 * Walks the front matter once per distinct node and context (inside a `secured` entry or not): a YAML alias is the same
 * object again, so a file of nested aliases (a "billion laughs") costs what its text costs, not what it expands to.
 */
function walkOnce(
  value: unknown,
  path: string,
  visit: (leaf: string, path: string, inSecured: boolean) => void,
  inSecured = false,
  seen = { inside: new Set<object>(), outside: new Set<object>() },
): void {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    visit(String(value), path, inSecured);
    return;
  }
  const visited = inSecured ? seen.inside : seen.outside;
  if (!value || typeof value !== 'object' || visited.has(value)) return;
  visited.add(value);
  // Plain loops: this runs over every file's front matter twice, and intermediate arrays cost more than the walk.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) walkOnce(value[i], `${path}[${i}]`, visit, inSecured, seen);
    return;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    walkOnce(item, path ? `${path}.${key}` : key, visit, inSecured || key === 'secured', seen);
  }
}

/** The fields (and `body`) outside every `secured` entry (related links carry their own) that repeat one's text. */
function fieldsRepeatingSecured(data: Record<string, unknown>, body: string): string[] {
  const secrets = new Set<string>();
  walkOnce(data, '', (leaf, _path, inSecured) => {
    // A short value would match ordinary words.
    if (inSecured && leaf.trim().length >= 8) secrets.add(leaf.trim());
  });
  if (secrets.size === 0) return [];
  const found: string[] = [];
  const repeats = (text: string) => {
    for (const secret of secrets) if (text.includes(secret)) return true;
    return false;
  };
  walkOnce(data, '', (leaf, path, inSecured) => {
    if (!inSecured && repeats(leaf)) found.push(path);
  });
  if (repeats(body)) found.push('body');
  return found;
}

/** An article file as read: its key below the content root, its name for messages, and its bytes. */
export interface ArticleFile {
  key: string;
  file: string;
  bytes: Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes and parses one article file (UTF-8 only). Never throws, like parseArticle. */
export function parseArticleFile({ key, file, bytes }: ArticleFile): ArticleResult {
  let source: string;
  try {
    source = utf8.decode(bytes);
  } catch {
    return { ok: false, file, problems: [{ field: 'file', reason: 'not valid UTF-8 text' }] };
  }
  return parseArticle({ key, file, source });
}

/** Parses one article file. Never throws: a bad file is a result naming the file, the field and the reason. */
export function parseArticle(input: { key: string; file: string; source: string }): ArticleResult {
  const { key, file } = input;
  const split = readFrontMatter(input.source);
  if ('field' in split) return { ok: false, file, problems: [split] };
  if (!isMapping(split.data)) {
    return { ok: false, file, problems: [{ field: 'front matter', reason: 'expected key: value pairs' }] };
  }
  // Before validation, whose messages quote values: a field that repeats `secured` (through a YAML alias, or pasted)
  // must be refused without its value ever being shown.
  const repeats = fieldsRepeatingSecured(split.data, split.body);
  if (repeats.length > 0) {
    const reason = 'repeats the private secured value (a YAML alias or a paste?); the article is not published';
    return { ok: false, file, problems: repeats.map((field) => ({ field, reason })) };
  }
  const parsed = FrontMatter.safeParse(split.data);
  const body = cleanText(split.body);
  const problems = parsed.success ? [] : problemsOf(parsed.error);
  if (body.length > LIMITS.body) problems.push({ field: 'body', reason: `longer than ${LIMITS.body} characters` });
  if (!parsed.success || problems.length > 0) return { ok: false, file, problems };

  const fm = parsed.data;
  const warnings: FieldProblem[] = [];
  const updatedAt = editDate(fm.updatedDateTime, fm.publishedDateTime, warnings);
  const images = keepValid(fm.images, ImageSchema, 'images', warnings);
  const related = keepValid(fm.related, RelatedSchema, 'related', warnings);
  const article: Article = {
    id: articleIdFor(key),
    file,
    title: fm.title,
    ...(fm.excerpt === undefined ? {} : { excerpt: fm.excerpt }),
    publishedAt: fm.publishedDateTime,
    ...(updatedAt === undefined ? {} : { updatedAt }),
    webUrl: fm.webUrl,
    originalUrl: fm.originalUrl ?? fm.webUrl,
    quality: fm.quality,
    ...(fm.heat === undefined ? {} : { heat: fm.heat }),
    published: fm.published,
    ...(fm.provider === undefined ? {} : { provider: withoutUndefined(fm.provider) }),
    topics: uniqueIgnoringCase(fm.topics),
    ...(fm.category === undefined ? {} : { category: fm.category }),
    images: images.map(withoutUndefined),
    related: related.map((r) => withoutUndefined({ title: r.title, url: r.webUrl, providerName: r.provider?.name })),
    body,
  };
  return { ok: true, article, warnings };
}

/** `updatedDateTime` follows publishedDateTime's rules and is not before it; otherwise it is ignored with a warning. */
function editDate(value: unknown, publishedAt: Date, warnings: FieldProblem[]): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const ignore = (reason: string) => {
    warnings.push({ field: 'updatedDateTime', reason: `${reason} (ignored)` });
    return undefined;
  };
  if (typeof value !== 'string')
    return ignore(`expected a date-time such as 2026-11-20T09:30:00Z, got ${shown(value)}`);
  const parsed = parseDateTime(value);
  if (!parsed.ok) return ignore(parsed.reason);
  if (parsed.date.getTime() < publishedAt.getTime()) return ignore(`is before publishedDateTime, got ${shown(value)}`);
  return parsed.date;
}

function uniqueIgnoringCase(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const folded = v.toLowerCase();
    if (seen.has(folded)) return false;
    seen.add(folded);
    return true;
  });
}

/** Drops keys whose value is undefined, so optional fields are absent rather than present-and-empty. */
function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** One line per problem: `content/x.md: quality: expected a number from 0 to 100, got "high"`. */
export function describeProblem(file: string, problem: FieldProblem): string {
  return `${printable(file)}: ${problem.field}: ${problem.reason}`;
}
