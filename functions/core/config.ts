// The site configuration: one JSON file, validated once at start-up, with errors a person can act on.
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { cleanLine } from './text.ts';
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

export const SiteConfigSchema = z.object({
  title: label('the site title', 200),
  description: label('a one-sentence description of the site', 1000),
  /** Where the files of the output folder are served; every link in the feeds starts here. */
  baseUrl: absoluteUrl('https://news.example.com/feeds/').transform((href) => (href.endsWith('/') ? href : `${href}/`)),
  /** The site's home page, the feeds' `link`. Defaults to baseUrl. */
  siteUrl: absoluteUrl('https://news.example.com/').optional(),
  language: z
    .string()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'expected a language tag such as en or en-GB')
    .default('en'),
  author: z.object(
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
  minQuality: z.number('expected a number from 0 to 100').min(0).max(100).default(40),
  itemLimit: z.number('expected a whole number of items').int().min(1).max(1000).default(50),
  copyright: label('a copyright line', 300).optional(),
  logoUrl: absoluteUrl('https://news.example.com/logo.png').optional(),
  iconUrl: absoluteUrl('https://news.example.com/favicon.png').optional(),
  /** A WebSub hub, advertised in every feed when set. */
  hubUrl: absoluteUrl('https://pubsubhubbub.appspot.com/').optional(),
});

export type SiteConfig = z.output<typeof SiteConfigSchema>;

/** Validates parsed JSON as the site configuration; `origin` names the file in messages. */
export function parseSiteConfig(raw: unknown, origin: string): SiteConfig {
  const result = SiteConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const field = issue.path.join('.') || '(top level)';
    const missing = issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined;
    return `  ${field}: ${missing ? `missing setting; ${issue.message}` : issue.message}`;
  });
  throw new ConfigError(`${origin} is not a valid site configuration:\n${lines.join('\n')}`);
}
