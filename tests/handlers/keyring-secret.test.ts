// Deployed functions read the token keyring from Secrets Manager at cold start (SIGNING_KEYS_SECRET_ARN); local runs
// and tests give it directly (SIGNING_KEYS). Against a small GetSecretValue stand-in.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../functions/core/errors.ts';
import { ENV } from '../../functions/env.ts';
import { onceReady, withKeyring } from '../../functions/handlers/runtime.ts';
import { generateKeyringText } from '../../functions/subscribers/tokens.ts';
import { type RunningSecrets, startSecrets } from '../support/secrets.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:TokenKeyring-AbCdEf';
const KEYRING = generateKeyringText();

describe('the keyring at start-up', () => {
  let secrets: RunningSecrets;
  beforeAll(async () => {
    secrets = await startSecrets({ [ARN]: KEYRING, 'arn:empty': '' });
    // As in Lambda, the client finds its region and credentials in the process's environment.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
    vi.stubEnv('AWS_REGION', 'us-east-1');
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await secrets.stop();
  });
  const deployed = (arn = ARN) => ({
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    [ENV.signingKeysSecretArn]: arn,
  });

  it('reads the secret that SIGNING_KEYS_SECRET_ARN names into SIGNING_KEYS', async () => {
    const env = await withKeyring(deployed());
    expect(env[ENV.signingKeys]).toBe(KEYRING);
  });

  it('leaves an environment with SIGNING_KEYS alone (local runs, tests)', async () => {
    const env = { [ENV.signingKeys]: KEYRING };
    expect(await withKeyring(env)).toBe(env);
  });

  it('refuses both settings at once', async () => {
    await expect(withKeyring({ ...deployed(), [ENV.signingKeys]: KEYRING })).rejects.toThrow(/not both/);
  });

  it('says which setting failed, with the cause, when the secret cannot be read', async () => {
    const failure = withKeyring(deployed('arn:missing'));
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(ENV.signingKeysSecretArn);
  });

  it('refuses a secret without a text value', async () => {
    await expect(withKeyring(deployed('arn:empty'))).rejects.toThrow(/no text value/);
  });

  it('builds the handler once per container, reading the secret once', async () => {
    secrets.reads.clear();
    let built = 0;
    const handler = onceReady((env) => {
      built += 1;
      return async (event: string) => `${event}:${env[ENV.signingKeys] === KEYRING}`;
    }, deployed());
    expect(await Promise.all([handler('a'), handler('b')])).toEqual(['a:true', 'b:true']);
    expect(await handler('c')).toBe('c:true');
    expect(built).toBe(1);
    expect(secrets.reads.get(ARN)).toBe(1);
  });

  it('tries a failed start again on the next event', async () => {
    let attempts = 0;
    const handler = onceReady(() => {
      attempts += 1;
      if (attempts === 1) throw new ConfigError('not yet');
      return () => 'ok';
    }, {});
    await expect(handler()).rejects.toThrow('not yet');
    expect(await handler()).toBe('ok');
  });
});
