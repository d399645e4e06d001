// What is deployed where: the deployment settings, read from the CDK context (cdk.json or `-c key=value`) and the
// environment (NEWSFEEDS_*), checked before anything is synthesized. What the system does stays in site.config.json.
import { z } from 'zod';
import { closestSetting } from '../functions/core/config.ts';
import { ConfigError } from '../functions/core/errors.ts';

const wholeNumber = (min: number, max: number, unit: string) =>
  z
    .union(
      [
        z.number(),
        z
          .string()
          .regex(/^\s*\d+\s*$/)
          .transform(Number),
      ],
      {
        error: `expected a whole number of ${unit} from ${min} to ${max}`,
      },
    )
    .pipe(
      z
        .number()
        .int(`expected a whole number of ${unit} from ${min} to ${max}`)
        .min(min, `expected a whole number of ${unit} from ${min} to ${max}`)
        .max(max, `expected a whole number of ${unit} from ${min} to ${max}`),
    );

/** A DNS name as CloudFront and Route 53 take it: lower case, no scheme, no path, no trailing dot. */
const hostName = (example: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .transform((name) => name.replace(/\.$/, ''))
    .pipe(
      z
        .string()
        .max(253)
        .regex(
          /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
          `expected a host name such as ${example} (no https://, no path)`,
        ),
    );

/** The region inside an ACM certificate ARN, for the message when it is not us-east-1. */
const CERTIFICATE_ARN = /^arn:aws:acm:([a-z0-9-]+):(\d{12}):certificate\/[0-9a-f-]{36}$/;

const Schema = z.object({
  /** The CloudFormation stack's name. */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'expected a stack name: a letter, then letters, digits and -')
    .default('Newsfeeds'),
  /** The site configuration file (what the system does). */
  siteConfig: z.string().min(1).default('site.config.json'),
  /** The folder of the content bucket the articles are uploaded to; '' for the whole bucket. */
  contentPrefix: z
    .string()
    .transform((p) => p.replace(/^\/+|\/+$/g, ''))
    .transform((p) => (p ? `${p}/` : ''))
    .default('articles/'),
  /** The feed builder's tick, so embargoed articles go live without an upload. */
  scheduleMinutes: wholeNumber(1, 1440, 'minutes').default(5),
  /** How long uploads are gathered into one build. */
  batchingWindowSeconds: wholeNumber(1, 300, 'seconds').default(30),
  /** Cache-Control of every output. */
  cacheControl: z
    .string()
    .regex(/^[\x20-\x7e]+$/, 'expected a Cache-Control header value such as "public, max-age=300"')
    .default('public, max-age=300'),
  /** The public site's own domain, e.g. news.example.com. Absent: the distribution's *.cloudfront.net name. */
  domain: hostName('news.example.com').optional(),
  /** A Route 53 public hosted zone for the domain: the certificate is validated and the alias records created. */
  hostedZoneId: z
    .string()
    .trim()
    .transform((id) => id.replace(/^\/?hostedzone\//, ''))
    .pipe(z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'))
    .optional(),
  hostedZoneName: hostName('example.com').optional(),
  /** An issued ACM certificate in us-east-1 covering the domain (instead of, or with, a hosted zone). */
  certificateArn: z
    .string()
    .trim()
    .superRefine((arn, ctx) => {
      const match = CERTIFICATE_ARN.exec(arn);
      if (!match) {
        ctx.addIssue({
          code: 'custom',
          message:
            'expected an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
        });
      } else if (match[1] !== 'us-east-1') {
        ctx.addIssue({
          code: 'custom',
          message: `the certificate is in ${match[1]}, but CloudFront only uses certificates from us-east-1: request (or import) it in us-east-1`,
        });
      }
    })
    .optional(),
  /** Where alarms are mailed (SNS asks this address to confirm the subscription once). */
  alarmEmail: z.email('expected an email address such as ops@example.com').optional(),
  /** The SES account's maximum send rate (GetSendQuota MaxSendRate); overrides digest.sending.ratePerSecond. */
  sendRatePerSecond: wholeNumber(1, 100_000, 'messages a second').optional(),
  /** The SES sending domain; default: the domain of digest.from.address. */
  mailDomain: hostName('news.example.com').optional(),
  /** The DMARC record to publish for the mail domain, or "none" when the domain already has one. */
  dmarc: z
    .string()
    .trim()
    .refine((v) => v === 'none' || /^v=DMARC1;/.test(v), 'expected a DMARC record such as "v=DMARC1; p=none", or none')
    .optional(),
  /** The account's Lambda "Concurrent executions" quota (10 on a new account); raise it for faster sends. */
  accountConcurrency: wholeNumber(10, 100_000, 'concurrent executions').optional(),
  /** The target account and region of `cdk deploy` (the CLI sets them from the profile). */
  account: z
    .string()
    .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-central-1')
    .optional(),
});

export type SettingName = keyof typeof Schema.shape;

/** Where each setting may come from: a context key (cdk.json or `-c`) and an environment variable. */
const SOURCES: Record<SettingName, { context?: string; env: string }> = {
  stackName: { context: 'stackName', env: 'NEWSFEEDS_STACK_NAME' },
  siteConfig: { context: 'siteConfig', env: 'NEWSFEEDS_SITE_CONFIG' },
  contentPrefix: { context: 'contentPrefix', env: 'NEWSFEEDS_CONTENT_PREFIX' },
  scheduleMinutes: { context: 'scheduleMinutes', env: 'NEWSFEEDS_SCHEDULE_MINUTES' },
  batchingWindowSeconds: { context: 'batchingWindowSeconds', env: 'NEWSFEEDS_BATCHING_WINDOW_SECONDS' },
  cacheControl: { context: 'cacheControl', env: 'NEWSFEEDS_CACHE_CONTROL' },
  domain: { context: 'domain', env: 'NEWSFEEDS_DOMAIN' },
  hostedZoneId: { context: 'hostedZoneId', env: 'NEWSFEEDS_HOSTED_ZONE_ID' },
  hostedZoneName: { context: 'hostedZoneName', env: 'NEWSFEEDS_HOSTED_ZONE_NAME' },
  certificateArn: { context: 'certificateArn', env: 'NEWSFEEDS_CERTIFICATE_ARN' },
  alarmEmail: { context: 'alarmEmail', env: 'NEWSFEEDS_ALARM_EMAIL' },
  sendRatePerSecond: { context: 'sendRatePerSecond', env: 'NEWSFEEDS_SEND_RATE_PER_SECOND' },
  mailDomain: { context: 'mailDomain', env: 'NEWSFEEDS_MAIL_DOMAIN' },
  dmarc: { context: 'dmarc', env: 'NEWSFEEDS_DMARC' },
  accountConcurrency: { context: 'accountConcurrency', env: 'NEWSFEEDS_ACCOUNT_CONCURRENCY' },
  // Set by the CDK CLI from the profile (or by hand for an offline synth).
  account: { env: 'CDK_DEFAULT_ACCOUNT' },
  region: { env: 'CDK_DEFAULT_REGION' },
};

export interface DeploySettings {
  stackName: string;
  /** Path of the site configuration file. */
  siteConfigPath: string;
  contentPrefix: string;
  scheduleMinutes: number;
  batchingWindowSeconds: number;
  cacheControl: string;
  /** The public site's own domain; absent: the distribution's own *.cloudfront.net name. */
  domain?: {
    name: string;
    /** Route 53 creates the alias records (and validates the certificate when no ARN is given). */
    hostedZone?: { id: string; name: string };
    /** An issued us-east-1 ACM certificate; absent: one is requested and validated through the hosted zone. */
    certificateArn?: string;
  };
  alarmEmail?: string;
  sendRatePerSecond?: number;
  /** The SES sending domain (default: digest.from's) and its DMARC record (`false`: the domain has one already). */
  mail?: { domain?: string; dmarc?: string | false };
  accountConcurrency?: number;
  account?: string;
  region?: string;
}

/** Where a setting's value came from, for messages: the context key or the environment variable. */
function originOf(name: SettingName, from: 'context' | 'env' | 'none'): string {
  const { context, env } = SOURCES[name];
  if (from === 'context') return `context "${context}" (cdk.json or -c ${context}=…)`;
  if (from === 'env') return `environment variable ${env}`;
  return context ? `-c ${context}=… or ${env}` : env;
}

/**
 * Context keys that look like a mistyped setting (`hostedZoneID`, `alarmMail`). Keys with `:` or `@` are CDK's own
 * (feature flags, CLI internals) and never reported; other unknown keys far from every setting are left alone too.
 */
function mistypedKeys(context: Record<string, unknown>): string[] {
  const known = Object.values(SOURCES).flatMap((s) => (s.context ? [s.context] : []));
  return Object.keys(context)
    .filter((key) => !known.includes(key) && !/[:@/]/.test(key))
    .sort()
    .flatMap((key) => {
      const best = closestSetting(key, known);
      return best ? [`  context "${key}": unknown setting; did you mean "${best}"?`] : [];
    });
}

/**
 * Reads the deployment settings: a context value (cdk.json or `-c`) wins over the environment variable, which wins
 * over the default. An empty value counts as unset. Throws a ConfigError naming every wrong or missing setting and
 * where its value came from.
 */
export function readDeploySettings(
  context: Record<string, unknown>,
  env: Record<string, string | undefined>,
): DeploySettings {
  const raw: Record<string, unknown> = {};
  const from = {} as Record<SettingName, 'context' | 'env' | 'none'>;
  for (const [name, source] of Object.entries(SOURCES) as [SettingName, (typeof SOURCES)[SettingName]][]) {
    const fromContext = source.context === undefined ? undefined : context[source.context];
    const fromEnv = env[source.env];
    if (fromContext !== undefined && fromContext !== '') {
      raw[name] = fromContext;
      from[name] = 'context';
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw[name] = fromEnv;
      from[name] = 'env';
    } else {
      from[name] = 'none';
    }
  }

  const problems = mistypedKeys(context);
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path[0] as SettingName;
      const got = raw[name] === undefined ? '' : `, got ${JSON.stringify(raw[name])}`;
      problems.push(`  ${name} (${originOf(name, from[name])}): ${issue.message}${got}`);
    }
    throw settingsError(problems);
  }
  const s = parsed.data;

  // What only makes sense together.
  const missing = (name: SettingName, why: string) =>
    problems.push(`  ${name}: missing setting (${originOf(name, 'none')}); ${why}`);
  const wrong = (name: SettingName, why: string) => problems.push(`  ${name} (${originOf(name, from[name])}): ${why}`);
  if (s.hostedZoneId && !s.hostedZoneName) missing('hostedZoneName', 'the hosted zone needs its name with its id');
  if (s.hostedZoneName && !s.hostedZoneId) missing('hostedZoneId', 'the hosted zone needs its id with its name');
  if (!s.domain) {
    for (const name of ['hostedZoneId', 'hostedZoneName', 'certificateArn'] as const) {
      if (s[name]) missing('domain', `${name} is set, for a domain such as news.example.com`);
    }
  } else {
    if (!s.hostedZoneId && !s.hostedZoneName && !s.certificateArn) {
      problems.push(
        `  certificateArn or hostedZoneId with hostedZoneName: missing setting; the domain ${s.domain} needs a ` +
          'certificate: give a Route 53 hosted zone (validated for you) or the ARN of an issued us-east-1 ACM certificate',
      );
    }
    if (s.hostedZoneName && s.domain !== s.hostedZoneName && !s.domain.endsWith(`.${s.hostedZoneName}`)) {
      wrong('hostedZoneName', `${s.domain} is not in the hosted zone ${s.hostedZoneName}`);
    }
    if (s.hostedZoneId && !s.certificateArn && !s.region) {
      missing(
        'region',
        'with a hosted zone and no certificateArn the certificate is created in us-east-1 next to this stack: ' +
          'set the deploy region (AWS_REGION or a profile with a region; the CDK CLI passes it on)',
      );
    }
  }
  if (s.certificateArn && s.account) {
    const certificateAccount = CERTIFICATE_ARN.exec(s.certificateArn)?.[2];
    if (certificateAccount !== s.account) {
      wrong('certificateArn', `the certificate belongs to account ${certificateAccount}, not ${s.account}`);
    }
  }
  if (problems.length > 0) throw settingsError(problems);

  return {
    stackName: s.stackName,
    siteConfigPath: s.siteConfig,
    contentPrefix: s.contentPrefix,
    scheduleMinutes: s.scheduleMinutes,
    batchingWindowSeconds: s.batchingWindowSeconds,
    cacheControl: s.cacheControl,
    ...(s.domain
      ? {
          domain: {
            name: s.domain,
            ...(s.hostedZoneId && s.hostedZoneName
              ? { hostedZone: { id: s.hostedZoneId, name: s.hostedZoneName } }
              : {}),
            ...(s.certificateArn ? { certificateArn: s.certificateArn } : {}),
          },
        }
      : {}),
    ...(s.alarmEmail ? { alarmEmail: s.alarmEmail } : {}),
    ...(s.sendRatePerSecond ? { sendRatePerSecond: s.sendRatePerSecond } : {}),
    ...(s.mailDomain || s.dmarc
      ? {
          mail: {
            ...(s.mailDomain ? { domain: s.mailDomain } : {}),
            ...(s.dmarc ? { dmarc: s.dmarc === 'none' ? (false as const) : s.dmarc } : {}),
          },
        }
      : {}),
    ...(s.accountConcurrency ? { accountConcurrency: s.accountConcurrency } : {}),
    ...(s.account ? { account: s.account } : {}),
    ...(s.region ? { region: s.region } : {}),
  };
}

function settingsError(problems: string[]): ConfigError {
  return new ConfigError(
    `The deployment settings are not valid:\n${problems.join('\n')}\n` +
      'Set them in cdk.json\'s "context", with -c key=value on the cdk command line, or as NEWSFEEDS_* environment variables (README, "Deploy").',
  );
}

/**
 * The site configuration to deploy with the settings applied: `sendRatePerSecond` is the SES account's rate, a fact of
 * where it is deployed, so it overrides `digest.sending.ratePerSecond`. The result is checked again by the stack.
 */
export function withDeploySettings(siteConfig: unknown, settings: DeploySettings): unknown {
  if (settings.sendRatePerSecond === undefined) return siteConfig;
  const config = siteConfig as { digest?: { sending?: Record<string, unknown> } };
  if (!config.digest) {
    throw settingsError([
      `  sendRatePerSecond (${originOf('sendRatePerSecond', 'none')}): set, but ${settings.siteConfigPath} has no "digest" section, so nothing is sent`,
    ]);
  }
  return {
    ...config,
    digest: { ...config.digest, sending: { ...config.digest.sending, ratePerSecond: settings.sendRatePerSecond } },
  };
}
