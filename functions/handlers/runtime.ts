// What every handler needs at start-up: settings read once from the environment with actionable errors (secrets
// fetched first), and structured JSON logging (one object per line, as CloudWatch Logs Insights expects).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { parseSiteConfig, type SiteConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { ENV } from '../env.ts';
import { type Keyring, parseKeyring } from '../subscribers/tokens.ts';

/** A key prefix setting: `articles`, `/articles/` and `articles/` all mean `articles/`; empty means the whole bucket. */
export const prefixSetting = z
  .string()
  .default('')
  .transform((p) => p.replace(/^\/+|\/+$/g, ''))
  .transform((p) => (p ? `${p}/` : ''));

/** The site configuration as JSON, checked like site.config.json; `check` may refuse a valid one (with a reason). */
export function siteConfigSetting<C extends SiteConfig>(check: (config: SiteConfig) => C | string = (c) => c as C) {
  return z.string().transform((json, ctx): C => {
    try {
      const checked = check(parseSiteConfig(JSON.parse(json), ENV.siteConfig));
      if (typeof checked !== 'string') return checked;
      ctx.addIssue({ code: 'custom', message: checked });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
    return z.NEVER;
  });
}

/** Parses the environment once; a missing or wrong variable stops the cold start with a message naming it. */
export function readSettings<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid Lambda environment:\n${lines.join('\n')}`);
}

export function log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, message, ...fields });
  if (level === 'info') console.log(line);
  else console.error(line);
}

/** The keyring (SIGNING_KEYS), which must carry its hash key: the API and the senders sign links and hash addresses. */
export const keyringSetting = z.string().transform((text, ctx): Keyring & { hashKey: Uint8Array } => {
  try {
    const keyring = parseKeyring(text, ENV.signingKeys);
    if (keyring.hashKey) return keyring as Keyring & { hashKey: Uint8Array };
    ctx.addIssue({ code: 'custom', message: 'the keyring has no "hashKey"' });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
  return z.NEVER;
});

type Environment = Record<string, string | undefined>;

/**
 * The environment with the token keyring in SIGNING_KEYS: as given (local runs, tests), or, deployed, read from the
 * Secrets Manager secret SIGNING_KEYS_SECRET_ARN names, so the keyring is in no template and no function setting.
 */
export async function withKeyring(env: Environment): Promise<Environment> {
  const secretArn = env[ENV.signingKeysSecretArn];
  if (!secretArn) return env;
  if (env[ENV.signingKeys]) {
    throw new ConfigError(`Set ${ENV.signingKeys} or ${ENV.signingKeysSecretArn}, not both: which keyring is meant?`);
  }
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL;
  const client = new SecretsManagerClient({ maxAttempts: 5, ...(endpoint ? { endpoint } : {}) });
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw new ConfigError(`Cannot read the token keyring from the secret in ${ENV.signingKeysSecretArn}`, {
      cause: error,
    });
  }
  if (!text) throw new ConfigError(`The secret in ${ENV.signingKeysSecretArn} has no text value (a keyring is JSON)`);
  return { ...env, [ENV.signingKeys]: text };
}

/**
 * A Lambda entry point: the handler is built once per container (secrets read, settings checked, clients made) on
 * the first event; a start that failed is tried again on the next event rather than failing every event after it.
 */
export function onceReady<A extends unknown[], R>(
  create: (env: Environment) => (...args: A) => R | Promise<R>,
  env: Environment = process.env,
): (...args: A) => Promise<R> {
  let ready: Promise<(...args: A) => R | Promise<R>> | undefined;
  return async (...args) => {
    ready ??= withKeyring(env).then(create);
    let handle: (...args: A) => R | Promise<R>;
    try {
      handle = await ready;
    } catch (error) {
      ready = undefined;
      throw error;
    }
    return handle(...args);
  };
}
