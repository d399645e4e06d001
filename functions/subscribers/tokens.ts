// Tokens for the links in our emails (confirm, unsubscribe, preferences): a link proves which address it was sent to,
// without showing that address to the URL's readers (logs, referrers), and the same email always gets the same link.

import { createCipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { ConfigError } from '../core/errors.ts';

export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences';

const DAY_SECONDS = 24 * 60 * 60;

/** confirm expires after 7 days; unsubscribe and preferences never expire (an old email's link must keep working). */
export const TOKEN_LIFETIME_SECONDS: Record<TokenPurpose, number | undefined> = {
  confirm: 7 * DAY_SECONDS,
  unsubscribe: undefined,
  preferences: undefined,
};

/** Key ids are written into every link, so they stay short and URL-safe. */
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MIN_SECRET_BYTES = 32;

export interface Keyring {
  /** The key that signs new tokens; the others only verify, so links in emails sent before a rotation keep working. */
  currentKeyId: string;
  /** Key id → secret of at least 32 random bytes. */
  keys: ReadonlyMap<string, Uint8Array>;
  /**
   * The key of the keyed address hash (logs, suppression tombstones). Never rotated: a new one would forget every
   * erased address's suppression. At least 32 random bytes.
   */
  hashKey?: Uint8Array;
}

/**
 * Parses the keyring text: JSON {"current":"k2","keys":{"k1":"<base64url>","k2":"<base64url>"}}. Throws a ConfigError
 * naming `origin` and the problem. No message quotes the text: any part of it may be a secret.
 */
export function parseKeyring(text: string, origin: string): Keyring {
  const problem = (what: string) =>
    new ConfigError(
      `The token keyring in ${origin} ${what}. Expected JSON {"current":"k1","keys":{"k1":"<at least 32 random bytes, base64url>"}}.`,
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's own message quotes the text around the error, which may be a secret: say only what went wrong.
    throw problem('is not valid JSON');
  }
  if (!isObject(json)) throw problem('is not a JSON object');
  if (!isObject(json.keys)) throw problem('has no "keys" object');

  const keys = new Map<string, Uint8Array>();
  for (const [index, [id, value]] of Object.entries(json.keys).entries()) {
    // The id is not shown: a file with ids and secrets swapped would print a secret here.
    if (!KEY_ID.test(id)) throw problem(`has a key (number ${index + 1}) whose id is not 1-16 letters, digits, _ or -`);
    const secret = typeof value === 'string' ? decodeBase64url(value) : undefined;
    if (secret === undefined) throw problem(`has key "${id}" that is not a base64url string (no padding)`);
    if (secret.length < MIN_SECRET_BYTES) {
      throw problem(
        `has key "${id}" of ${secret.length} bytes; a key must be at least ${MIN_SECRET_BYTES} random bytes`,
      );
    }
    keys.set(id, secret);
  }
  if (keys.size === 0) throw problem('has no keys');

  const current = json.current;
  if (typeof current !== 'string' || !KEY_ID.test(current)) throw problem('has no "current" naming the signing key');
  if (!keys.has(current)) throw problem(`names "${current}" as current, but has no key "${current}"`);
  if (json.hashKey === undefined) return { currentKeyId: current, keys };
  const hashKey = typeof json.hashKey === 'string' ? decodeBase64url(json.hashKey) : undefined;
  if (hashKey === undefined || hashKey.length < MIN_SECRET_BYTES) {
    throw problem(`has a "hashKey" that is not at least ${MIN_SECRET_BYTES} random bytes in base64url (no padding)`);
  }
  return { currentKeyId: current, keys, hashKey };
}

/**
 * A fresh keyring text with one random 32-byte key, id 'k1', and a hash key (the CLI writes it once into its local
 * state folder).
 */
export function generateKeyringText(): string {
  const keyring = {
    current: 'k1',
    keys: { k1: randomBytes(MIN_SECRET_BYTES).toString('base64url') },
    hashKey: randomBytes(MIN_SECRET_BYTES).toString('base64url'),
  };
  return `${JSON.stringify(keyring, null, 2)}\n`;
}

/**
 * One spelling per mailbox, the rule the subscriber store uses too: outer spaces trimmed, Unicode in NFC, the domain
 * lower-cased and in its ASCII (IDN) form. The local part is kept as written (`Ada` and `ada` may be different
 * mailboxes, RFC 5321), and `a+b@` is never merged into `a@`.
 */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim().normalize('NFC');
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) return trimmed;
  const domain = trimmed.slice(at + 1).toLowerCase();
  return `${trimmed.slice(0, at)}@${domainToASCII(domain) || domain}`;
}

export type TokenCheck =
  | { ok: true; address: string; expiresAt?: Date }
  | { ok: false; reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'wrong-purpose' | 'expired' };

export interface TokenSigner {
  /** Signs with the current key; the token expires `TOKEN_LIFETIME_SECONDS[purpose]` after `issuedAt`, or never. */
  sign(address: string, purpose: TokenPurpose, issuedAt: Date): string;
  /** Never throws: any string that is not a valid, unexpired token for `purpose` is a reason, not an exception. */
  verify(token: string, purpose: TokenPurpose, now: Date): TokenCheck;
}

// The token is `${keyId}.${base64url(sig || ciphertext)}`, a synthetic-IV construction: sig = HMAC(macKey, claims)
// authenticates, and its first 16 bytes are the AES-256-CTR IV that hides the claims. The IV comes from the claims
// rather than from randomness, so equal claims give equal tokens (byte-identical emails across runs); the price is
// that two links for the same address, purpose and expiry are visibly equal, which reveals nothing new.
//
// Claims: version (1 byte), purpose (1 byte), expiry in whole seconds since the epoch (uint64 big-endian, 0 = never),
// then the normalized address in UTF-8. Fixed-width fields before the one variable field make the encoding unambiguous.
const FORMAT_VERSION = 1;
/** Written into tokens: never renumber, or old links would verify as another purpose (or not at all). */
const PURPOSE_BYTE: Record<TokenPurpose, number> = { confirm: 1, unsubscribe: 2, preferences: 3 };
const PURPOSE_OF_BYTE = new Map(Object.entries(PURPOSE_BYTE).map(([purpose, byte]) => [byte, purpose as TokenPurpose]));
const HEADER_BYTES = 10;
const SIG_BYTES = 32;
const IV_BYTES = 16;
/** Far above any real link (a 254-character address makes about 400); checked before any decoding or crypto. */
const MAX_TOKEN_LENGTH = 1024;
/** The latest second a Date can hold. */
const MAX_EXPIRY_SECONDS = 8.64e12;

interface DerivedKeys {
  macKey: Buffer;
  encKey: Buffer;
}

export function createTokenSigner(keyring: Keyring): TokenSigner {
  const derived = new Map<string, DerivedKeys>();
  for (const [id, secret] of keyring.keys) {
    if (secret.length < MIN_SECRET_BYTES) {
      throw new ConfigError(`Token key "${id}" is ${secret.length} bytes; a key must be at least ${MIN_SECRET_BYTES}`);
    }
    derived.set(id, deriveKeys(secret));
  }
  const current = derived.get(keyring.currentKeyId);
  if (current === undefined) {
    throw new ConfigError(`The token keyring's current key "${keyring.currentKeyId}" is not among its keys`);
  }

  return {
    sign(address, purpose, issuedAt) {
      const normalized = normalizeAddress(address);
      if (normalized === '' || !normalized.isWellFormed()) throw new RangeError('Cannot sign a token for that address');
      const issuedSeconds = Math.floor(issuedAt.getTime() / 1000);
      const lifetime = TOKEN_LIFETIME_SECONDS[purpose];
      const expiry = lifetime === undefined ? 0 : issuedSeconds + lifetime;
      // 0 means "never", so an expiry must be after 1970 (and within a Date); anything else is a caller's bug.
      if (
        !Number.isFinite(issuedSeconds) ||
        (lifetime !== undefined && !(expiry > 0 && expiry <= MAX_EXPIRY_SECONDS))
      ) {
        throw new RangeError(`Cannot sign a token issued at ${issuedAt}`);
      }
      const claims = encodeClaims(normalized, purpose, expiry);
      const sig = mac(current.macKey, claims);
      const body = Buffer.concat([sig, ctr(current.encKey, sig, claims)]).toString('base64url');
      const token = `${keyring.currentKeyId}.${body}`;
      // A link that its own verify would call malformed must not be sent.
      if (token.length > MAX_TOKEN_LENGTH) throw new RangeError('Cannot sign a token for an address that long');
      return token;
    },

    verify(token, purpose, now) {
      if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
      const dot = token.indexOf('.');
      const keyId = token.slice(0, dot);
      const bytes = dot < 0 || !KEY_ID.test(keyId) ? undefined : decodeBase64url(token.slice(dot + 1));
      if (bytes === undefined || bytes.length <= SIG_BYTES + HEADER_BYTES) return { ok: false, reason: 'malformed' };
      const keys = derived.get(keyId);
      if (keys === undefined) return { ok: false, reason: 'unknown-key' };

      const sig = bytes.subarray(0, SIG_BYTES);
      const claims = ctr(keys.encKey, sig, bytes.subarray(SIG_BYTES));
      if (!timingSafeEqual(sig, mac(keys.macKey, claims))) return { ok: false, reason: 'bad-signature' };

      // Signed by us, so these bytes are ours; a version or purpose we do not know is a token from newer code.
      const signedPurpose = claims[0] === FORMAT_VERSION ? PURPOSE_OF_BYTE.get(claims[1] ?? 0) : undefined;
      const expiry = Number(claims.readBigUInt64BE(2));
      if (signedPurpose === undefined || expiry > MAX_EXPIRY_SECONDS) return { ok: false, reason: 'malformed' };
      if (signedPurpose !== purpose) return { ok: false, reason: 'wrong-purpose' };
      const address = claims.subarray(HEADER_BYTES).toString('utf8');
      if (expiry === 0) return { ok: true, address };
      // Written so an invalid `now` (NaN) counts as expired: a clock bug must not make tokens valid forever.
      if (!(now.getTime() < expiry * 1000)) return { ok: false, reason: 'expired' };
      return { ok: true, address, expiresAt: new Date(expiry * 1000) };
    },
  };
}

function deriveKeys(secret: Uint8Array): DerivedKeys {
  // Distinct `info` strings make the two subkeys independent, so one secret safely serves both jobs.
  const subkey = (info: string) => Buffer.from(hkdfSync('sha256', secret, '', info, 32));
  return { macKey: subkey('newsletter link token v1: mac'), encKey: subkey('newsletter link token v1: enc') };
}

function encodeClaims(address: string, purpose: TokenPurpose, expirySeconds: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = FORMAT_VERSION;
  header[1] = PURPOSE_BYTE[purpose];
  header.writeBigUInt64BE(BigInt(expirySeconds), 2);
  return Buffer.concat([header, Buffer.from(address, 'utf8')]);
}

function mac(macKey: Buffer, claims: Buffer): Buffer {
  return createHmac('sha256', macKey).update(claims).digest();
}

/** AES-256-CTR with the first 16 bytes of the signature as IV; CTR is its own inverse, so this encrypts and decrypts. */
function ctr(encKey: Buffer, sig: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-ctr', encKey, sig.subarray(0, IV_BYTES));
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/**
 * Node's decoder skips characters it cannot read and ignores the spare bits of the last one, so several strings decode
 * to the same bytes; only the one canonical spelling is accepted, and a changed character never passes as the original.
 */
function decodeBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
