import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.ts';
import {
  createTokenSigner,
  generateKeyringText,
  type Keyring,
  normalizeAddress,
  parseKeyring,
  type TokenPurpose,
  type TokenSigner,
} from '../../functions/subscribers/tokens.ts';

// Fixed, so tokens are reproducible; random-looking, so a secret found in a message is not a coincidence.
const K1 = Buffer.from('7208053c2196241d1248eb5e90013d988fc1d593e726ec8841a78920f884b385', 'hex');
const K2 = Buffer.from('2fe9a8ffdebbc27888a8b12be8b87a642de2ba3e65afe38b6cb090ed0315e256', 'hex');
const keyring = (currentKeyId: string, keys: Record<string, Buffer>): Keyring => ({
  currentKeyId,
  keys: new Map(Object.entries(keys)),
});
const signer = createTokenSigner(keyring('k1', { k1: K1 }));

const issuedAt = new Date('2026-11-24T12:00:00Z');
const later = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1000);
const DAY = 24 * 60 * 60;
const purposes: TokenPurpose[] = ['confirm', 'unsubscribe', 'preferences'];
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The part after the key id. */
const bodyOf = (token: string) => token.slice(token.indexOf('.') + 1);

describe('createTokenSigner', () => {
  it.each(purposes)('round-trips the address of a %s token', (purpose) => {
    const token = signer.sign('ada@example.com', purpose, issuedAt);
    expect(signer.verify(token, purpose, later(60))).toMatchObject({ ok: true, address: 'ada@example.com' });
  });

  it('signs and returns the address trimmed, with the domain lowercased and in ASCII, so one mailbox has one token', () => {
    const token = signer.sign('  Ada@Example.COM ', 'unsubscribe', issuedAt);
    expect(token).toBe(signer.sign('Ada@example.com', 'unsubscribe', issuedAt));
    expect(token).not.toBe(signer.sign('ada@example.com', 'unsubscribe', issuedAt));
    expect(signer.verify(token, 'unsubscribe', issuedAt)).toEqual({ ok: true, address: 'Ada@example.com' });
    expect(normalizeAddress('bob+news@Bücher.Example')).toBe('bob+news@xn--bcher-kva.example');
  });

  it('gives the same token for the same address, purpose, expiry and key, so rebuilt emails are byte-identical', () => {
    const again = createTokenSigner(keyring('k1', { k1: Buffer.from(K1) }));
    for (const purpose of purposes) {
      expect(again.sign('ada@example.com', purpose, issuedAt)).toBe(signer.sign('ada@example.com', purpose, issuedAt));
    }
  });

  it('still verifies a token from the first release of this format, so sent links survive code changes', () => {
    // Pinned: if this fails, every unsubscribe link already in a mailbox has stopped working. The value was also
    // computed by an independent implementation (Python hmac + cryptography) from the construction in tokens.ts.
    const pinned = 'k1.qpPXdAb_6IaROWdhsIKcr6UmByFRJgHcKKtTfVe1_rpZK7EuLmKtulGfUB71jOgihWuaqstWl0-4';
    expect(signer.sign('ada@example.com', 'unsubscribe', issuedAt)).toBe(pinned);
    expect(signer.verify(pinned, 'unsubscribe', issuedAt)).toEqual({ ok: true, address: 'ada@example.com' });
  });

  it('gives different tokens for different addresses, purposes, expiries or keys', () => {
    const tokens = [
      signer.sign('ada@example.com', 'confirm', issuedAt),
      signer.sign('adb@example.com', 'confirm', issuedAt),
      signer.sign('ada@example.co', 'confirm', issuedAt),
      signer.sign('ada@example.com', 'unsubscribe', issuedAt),
      signer.sign('ada@example.com', 'preferences', issuedAt),
      signer.sign('ada@example.com', 'confirm', later(1)),
      createTokenSigner(keyring('k1', { k1: K2 })).sign('ada@example.com', 'confirm', issuedAt),
    ];
    expect(new Set(tokens.map(bodyOf)).size).toBe(tokens.length);
  });

  it('counts expiry in whole seconds, so tokens issued within the same second are equal', () => {
    const token = signer.sign('ada@example.com', 'confirm', new Date('2026-11-24T12:00:00.999Z'));
    expect(token).toBe(signer.sign('ada@example.com', 'confirm', issuedAt));
    expect(signer.verify(token, 'confirm', issuedAt)).toEqual({
      ok: true,
      address: 'ada@example.com',
      expiresAt: new Date('2026-12-01T12:00:00Z'),
    });
  });

  it.each(['ada@example.com', 'a.very.long.local.part+newsletter@subdomain.example.org', 'zoë@bücher.example'])(
    'does not show %s in the token, as text, base64, base64url or hex',
    (address) => {
      for (const purpose of purposes) {
        const token = signer.sign(address, purpose, issuedAt);
        const bytes = Buffer.from(address, 'utf8');
        const [local = '', domain = ''] = address.split('@');
        for (const shown of [address, local, domain, bytes.toString('hex')]) {
          expect(token.toLowerCase()).not.toContain(shown.toLowerCase());
        }
        // The encodings' last character depends on what follows, so look for all but it.
        for (const shown of [bytes.toString('base64'), bytes.toString('base64url')]) {
          expect(token).not.toContain(shown.replace(/=+$/, '').slice(0, -1));
        }
        // Nor as raw bytes anywhere inside the decoded body, whatever their alignment in the base64url text.
        const body = Buffer.from(bodyOf(token), 'base64url');
        expect(body.includes(bytes)).toBe(false);
        expect(body.includes(Buffer.from(domain))).toBe(false);
      }
    },
  );

  describe('key rotation', () => {
    const rotated = createTokenSigner(keyring('k2', { k1: K1, k2: K2 }));

    it('verifies a token signed with the old key after the current key changes', () => {
      const old = signer.sign('ada@example.com', 'unsubscribe', issuedAt);
      expect(old.startsWith('k1.')).toBe(true);
      expect(rotated.verify(old, 'unsubscribe', later(DAY))).toEqual({ ok: true, address: 'ada@example.com' });
    });

    it('signs new tokens with the current key', () => {
      const token = rotated.sign('ada@example.com', 'unsubscribe', issuedAt);
      expect(token.startsWith('k2.')).toBe(true);
      expect(signer.verify(token, 'unsubscribe', issuedAt)).toEqual({ ok: false, reason: 'unknown-key' });
    });

    it('rejects a token whose key has been removed from the keyring', () => {
      const k2only = createTokenSigner(keyring('k2', { k2: K2 }));
      const old = signer.sign('ada@example.com', 'unsubscribe', issuedAt);
      expect(k2only.verify(old, 'unsubscribe', issuedAt)).toEqual({ ok: false, reason: 'unknown-key' });
    });

    it('rejects a token relabelled with another key id', () => {
      const relabelled = `k2.${bodyOf(signer.sign('ada@example.com', 'unsubscribe', issuedAt))}`;
      expect(rotated.verify(relabelled, 'unsubscribe', issuedAt)).toEqual({ ok: false, reason: 'bad-signature' });
    });
  });

  it('rejects every single-character change to the token body', () => {
    const token = signer.sign('ada@example.com', 'unsubscribe', issuedAt);
    const body = bodyOf(token);
    for (let i = 0; i < body.length; i++) {
      for (const c of BASE64URL_ALPHABET) {
        if (c === body[i]) continue;
        const changed = `k1.${body.slice(0, i)}${c}${body.slice(i + 1)}`;
        const result = signer.verify(changed, 'unsubscribe', issuedAt);
        expect(result.ok, `${changed} (position ${i})`).toBe(false);
        expect(['bad-signature', 'malformed']).toContain(result.ok ? 'ok' : result.reason);
      }
    }
  });

  describe('edited bytes (AES-CTR lets anyone flip plaintext bits; the signature must catch it)', () => {
    /** The token with the encrypted claims XORed with `mask` from byte `offset` of the claims. */
    function xorClaims(token: string, offset: number, mask: Buffer): string {
      const bytes = Buffer.from(bodyOf(token), 'base64url');
      for (const [i, m] of mask.entries()) bytes[32 + offset + i]! ^= m;
      return `k1.${bytes.toString('base64url')}`;
    }
    const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0)));

    it('cannot turn a token for a@x.com into one for b@x.com', () => {
      const token = signer.sign('a@x.com', 'unsubscribe', issuedAt);
      const forged = xorClaims(token, 10, xor(Buffer.from('a@x.com'), Buffer.from('b@x.com')));
      expect(signer.verify(forged, 'unsubscribe', issuedAt)).toEqual({ ok: false, reason: 'bad-signature' });
    });

    it('cannot turn an unsubscribe token into a confirm token', () => {
      const token = signer.sign('a@x.com', 'unsubscribe', issuedAt);
      const forged = xorClaims(token, 1, Buffer.from([2 ^ 1]));
      expect(signer.verify(forged, 'confirm', issuedAt)).toEqual({ ok: false, reason: 'bad-signature' });
    });

    it('cannot make a confirm token never expire', () => {
      const token = signer.sign('a@x.com', 'confirm', issuedAt);
      const expiry = Buffer.alloc(8);
      expiry.writeBigUInt64BE(BigInt(issuedAt.getTime() / 1000 + 7 * DAY));
      const forged = xorClaims(token, 2, expiry);
      expect(signer.verify(forged, 'confirm', later(30 * DAY))).toEqual({ ok: false, reason: 'bad-signature' });
    });
  });

  it('rejects a token used for another purpose', () => {
    const unsubscribe = signer.sign('ada@example.com', 'unsubscribe', issuedAt);
    expect(signer.verify(unsubscribe, 'confirm', issuedAt)).toEqual({ ok: false, reason: 'wrong-purpose' });
    const confirm = signer.sign('ada@example.com', 'confirm', issuedAt);
    expect(signer.verify(confirm, 'preferences', issuedAt)).toEqual({ ok: false, reason: 'wrong-purpose' });
  });

  it('reports a bad signature before a wrong purpose, so a forged token learns nothing about its claims', () => {
    const unsubscribe = signer.sign('ada@example.com', 'unsubscribe', issuedAt);
    const other = createTokenSigner(keyring('k1', { k1: K2 }));
    expect(other.verify(unsubscribe, 'confirm', issuedAt)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('accepts a confirm token until 7 days after it was issued', () => {
    const token = signer.sign('ada@example.com', 'confirm', issuedAt);
    expect(signer.verify(token, 'confirm', later(7 * DAY - 1))).toMatchObject({ ok: true });
    expect(signer.verify(token, 'confirm', later(7 * DAY))).toEqual({ ok: false, reason: 'expired' });
    expect(signer.verify(token, 'confirm', later(7 * DAY + 1))).toEqual({ ok: false, reason: 'expired' });
  });

  it('treats an invalid "now" as expired, so a clock bug never makes a confirm link valid forever', () => {
    const token = signer.sign('ada@example.com', 'confirm', issuedAt);
    expect(signer.verify(token, 'confirm', new Date(Number.NaN))).toEqual({ ok: false, reason: 'expired' });
  });

  it.each(['unsubscribe', 'preferences'] as const)('accepts a %s token 10 years later', (purpose) => {
    const token = signer.sign('ada@example.com', purpose, issuedAt);
    expect(signer.verify(token, purpose, later(10 * 366 * DAY))).toEqual({ ok: true, address: 'ada@example.com' });
  });

  it.each([
    ['empty', ''],
    ['a dot', '.'],
    ['a key id alone', 'k1.'],
    ['no key id', `.${'A'.repeat(60)}`],
    ['non-base64url characters', 'k1.!!!'],
    ['padding', 'k1.AAAA='],
    ['too short to hold a signature', `k1.${Buffer.alloc(42).toString('base64url')}`],
    ['a key id longer than 16 characters', `k12345678901234567.${'A'.repeat(60)}`],
    ['two dots', `k1.${'A'.repeat(30)}.${'A'.repeat(30)}`],
    ['10 000 characters', `k1.${'A'.repeat(10_000)}`],
    ['unicode', 'k1.✉️ünïcødé😀'],
    ['a lone surrogate', 'k1.\uD800'],
  ])('calls %s malformed, without throwing', (_name, token) => {
    expect(signer.verify(token, 'unsubscribe', issuedAt)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('calls a valid token with characters appended malformed or bad', () => {
    const token = signer.sign('ada@example.com', 'unsubscribe', issuedAt);
    expect(signer.verify(`${token}A`, 'unsubscribe', issuedAt).ok).toBe(false);
    expect(signer.verify(`${token}${'A'.repeat(1024)}`, 'unsubscribe', issuedAt)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('never throws and never accepts an arbitrary string', () => {
    const verifyAll = (s: TokenSigner, token: string) => purposes.map((p) => s.verify(token, p, issuedAt).ok);
    const base64urlChar = fc.constantFrom(...BASE64URL_ALPHABET);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 2000 }),
          // Shaped like a token, so the decoding and the crypto run, not just the first checks.
          fc.string({ unit: base64urlChar, minLength: 40, maxLength: 1100 }).map((body) => `k1.${body}`),
        ),
        (token) => {
          expect(verifyAll(signer, token)).toEqual([false, false, false]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses to sign for an empty address or an invalid issue date', () => {
    expect(() => signer.sign('  ', 'unsubscribe', issuedAt)).toThrow(RangeError);
    expect(() => signer.sign('ada@example.com', 'confirm', new Date(Number.NaN))).toThrow(RangeError);
  });

  it('refuses to sign a token longer than verify accepts', () => {
    expect(() => signer.sign(`${'a'.repeat(800)}@example.com`, 'unsubscribe', issuedAt)).toThrow(RangeError);
  });

  it('refuses a keyring whose current key is missing', () => {
    expect(() => createTokenSigner(keyring('k2', { k1: K1 }))).toThrow(ConfigError);
  });
});

describe('parseKeyring', () => {
  const ORIGIN = '.state/token-keys.json';
  const secret = K1.toString('base64url');

  it('reads the current key id and every key', () => {
    const parsed = parseKeyring(
      JSON.stringify({ current: 'k2', keys: { k1: secret, k2: K2.toString('base64url') } }),
      ORIGIN,
    );
    expect(parsed.currentKeyId).toBe('k2');
    expect([...parsed.keys.keys()]).toEqual(['k1', 'k2']);
    expect(Buffer.from(parsed.keys.get('k1')!)).toEqual(K1);
    expect(Buffer.from(parsed.keys.get('k2')!)).toEqual(K2);
  });

  /** The message of the ConfigError that parsing `text` throws. */
  function messageOf(text: string): string {
    try {
      parseKeyring(text, ORIGIN);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('expected a ConfigError, but the keyring was accepted');
  }

  it.each([
    // JSON.parse's own message would quote the text around the error, i.e. the secret.
    ['bad JSON', `{"current":"k1","keys":{"k1":"${secret}"`, 'is not valid JSON'],
    ['not an object', `["${secret}"]`, 'is not a JSON object'],
    ['no keys', `{"current":"k1","secret":"${secret}"}`, 'has no "keys" object'],
    ['empty keys', '{"current":"k1","keys":{}}', 'has no keys'],
    ['no current', `{"keys":{"k1":"${secret}"}}`, 'has no "current"'],
    ['current not a key', `{"current":"k2","keys":{"k1":"${secret}"}}`, 'names "k2" as current, but has no key "k2"'],
    ['a short key', `{"current":"k1","keys":{"k1":"${secret.slice(0, 40)}"}}`, 'key "k1" of 30 bytes'],
    ['a key not base64url', `{"current":"k1","keys":{"k1":"${K1.toString('base64')}"}}`, 'key "k1" that is not'],
    ['a bad key id', `{"current":"k.1","keys":{"k.1":"${secret}"}}`, 'whose id is not 1-16'],
    // Swapped id and secret: the "id" is the secret, so it must not be echoed.
    ['ids and secrets swapped', `{"current":"k1","keys":{"${secret}":"k1"}}`, 'whose id is not 1-16'],
  ])('names the origin and the problem, never the secret: %s', (_name, text, problem) => {
    const message = messageOf(text);
    expect(message).toContain(ORIGIN);
    expect(message).toContain(problem);
    expect(message).not.toContain(secret.slice(0, 12));
    expect(message).not.toContain(K1.toString('base64').slice(0, 12));
  });
});

describe('generateKeyringText', () => {
  it('writes a keyring that parses, with one 32-byte key k1 that signs', () => {
    const parsed = parseKeyring(generateKeyringText(), 'generated');
    expect(parsed.currentKeyId).toBe('k1');
    expect(parsed.keys.get('k1')?.length).toBe(32);
    const generated = createTokenSigner(parsed);
    const token = generated.sign('ada@example.com', 'unsubscribe', issuedAt);
    expect(generated.verify(token, 'unsubscribe', issuedAt)).toEqual({ ok: true, address: 'ada@example.com' });
  });

  it('makes a different key each time', () => {
    const first = parseKeyring(generateKeyringText(), 'first').keys.get('k1');
    const second = parseKeyring(generateKeyringText(), 'second').keys.get('k1');
    expect(Buffer.from(first!).equals(Buffer.from(second!))).toBe(false);
  });
});
