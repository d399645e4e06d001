// Page cursors of the DynamoDB adapters: the last key of a page, as base64url JSON, checked against the key's shape
// when it comes back. Opaque to callers, not encrypted: pass it on, never log it.
import type * as z from 'zod';

export function encodeCursor(lastKey: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(lastKey)).toString('base64url');
}

/** The key a cursor holds; RangeError('Malformed cursor') for anything that is not one of `shape`. */
export function decodeCursor<T>(cursor: string, shape: z.ZodType<T>): T {
  let json: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new RangeError('Malformed cursor', { cause: error });
  }
  const parsed = shape.safeParse(json);
  if (!parsed.success) throw new RangeError('Malformed cursor');
  return parsed.data;
}
