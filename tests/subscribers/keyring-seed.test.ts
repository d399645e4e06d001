// A keyring as Secrets Manager generates it: one random string (the seed) in a JSON template stands for the first
// signing key and the hash key, since Secrets Manager cannot generate the nested object of base64url keys.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.ts';
import { createTokenSigner, parseKeyring, SEED_KEY_ID } from '../../functions/subscribers/tokens.ts';

/** What generateSecretString writes: the template with 64 letters and digits under "seed". */
const SEED = 'Zx8m2QpLr7VwK3nYt5HbJc9UfAe4Gd6Ss1Ok0Pi2Lu7Mj3Nh8Bg5Vy4Ct6Rx9Wq1E';
const generated = JSON.stringify({ current: 'k1', seed: SEED });
const issuedAt = new Date('2026-11-23T06:05:00Z');
const KEY = randomBytes(32).toString('base64url');

function messageOf(text: string): string {
  try {
    parseKeyring(text, 'the secret');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError, but the keyring was accepted');
}

describe('a keyring with a seed', () => {
  it('stands for the key k1 and a hash key, each 32 bytes and different from each other', () => {
    const keyring = parseKeyring(generated, 'the secret');
    expect(keyring.currentKeyId).toBe(SEED_KEY_ID);
    expect([...keyring.keys.keys()]).toEqual(['k1']);
    const key = Buffer.from(keyring.keys.get('k1') ?? []);
    expect(key).toHaveLength(32);
    expect(Buffer.from(keyring.hashKey ?? [])).toHaveLength(32);
    expect(key.equals(Buffer.from(keyring.hashKey ?? []))).toBe(false);
  });

  it('gives the same keys every time it is read, so links signed by one container verify in another', () => {
    const [a, b] = [parseKeyring(generated, 'a'), parseKeyring(generated, 'b')];
    const token = createTokenSigner(a).sign('ada@example.com', 'unsubscribe', issuedAt);
    expect(createTokenSigner(b).verify(token, 'unsubscribe', issuedAt)).toEqual({
      ok: true,
      address: 'ada@example.com',
    });
    expect(Buffer.from(a.hashKey ?? []).equals(Buffer.from(b.hashKey ?? []))).toBe(true);
  });

  it('gives other keys for another seed', () => {
    const other = parseKeyring(JSON.stringify({ current: 'k1', seed: `${SEED.slice(1)}A` }), 'other');
    const mine = parseKeyring(generated, 'mine');
    expect(Buffer.from(other.keys.get('k1') ?? []).equals(Buffer.from(mine.keys.get('k1') ?? []))).toBe(false);
  });

  it('takes further keys beside the seed, so a rotation keeps the old links and the hash key', () => {
    const before = parseKeyring(generated, 'before');
    const rotated = parseKeyring(JSON.stringify({ current: 'k2', seed: SEED, keys: { k2: KEY } }), 'rotated');
    expect(rotated.currentKeyId).toBe('k2');
    expect([...rotated.keys.keys()]).toEqual(['k1', 'k2']);
    const old = createTokenSigner(before).sign('ada@example.com', 'unsubscribe', issuedAt);
    expect(createTokenSigner(rotated).verify(old, 'unsubscribe', issuedAt).ok).toBe(true);
    expect(Buffer.from(rotated.hashKey ?? []).equals(Buffer.from(before.hashKey ?? []))).toBe(true);
  });

  it.each([
    ['a short seed', JSON.stringify({ current: 'k1', seed: SEED.slice(0, 42) }), 'at least 43 letters'],
    ['a seed with punctuation', JSON.stringify({ current: 'k1', seed: `${SEED}!` }), 'at least 43 letters'],
    ['a seed that is not a string', JSON.stringify({ current: 'k1', seed: 12 }), 'has a "seed" that is not'],
    ['a seed and a key k1', JSON.stringify({ current: 'k1', seed: SEED, keys: { k1: KEY } }), 'both a "seed" and'],
    ['a seed and a hash key', JSON.stringify({ current: 'k1', seed: SEED, hashKey: KEY }), 'both a "seed" and'],
    ['a seed, no current', JSON.stringify({ seed: SEED }), 'has no "current"'],
  ])('refuses %s, naming the problem and never the seed', (_name, text, problem) => {
    const message = messageOf(text);
    expect(message).toContain(problem);
    expect(message).not.toContain(SEED.slice(0, 12));
    expect(message).not.toContain(KEY.slice(0, 12));
  });
});
