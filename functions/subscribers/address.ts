// Email addresses as subscribers give them: one spelling per mailbox, checked once, and a keyed hash that stands for
// an address wherever the address itself must not appear (logs, suppression tombstones).
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { normalizeAddress } from './tokens.ts';

export { normalizeAddress };

const plainEmail = z.email();

/**
 * The normalized address, or undefined when it is not a plain address: at most 254 characters, ASCII after the
 * domain's IDN conversion (the local part too: SMTPUTF8 mailboxes are not supported), no display name, no list.
 */
export function parseAddress(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 320) return undefined;
  const address = normalizeAddress(input);
  if (address.length > 254 || !/^[!-~]+$/.test(address) || /[,;:<>"()[\]\\]/.test(address)) return undefined;
  return plainEmail.safeParse(address).success ? address : undefined;
}

/** A keyed hash of a normalized address: stable while the hash key is, meaningless without it. */
export function addressHash(hashKey: Uint8Array, address: string): string {
  return createHmac('sha256', hashKey).update(`address\n${address}`).digest('hex').slice(0, 32);
}

/** Text (an error's message) with everything shaped like an address replaced, for a log line. */
export function withoutAddresses(text: string): string {
  return text.replace(/[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+/g, '[address]');
}
