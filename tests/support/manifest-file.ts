// The manifest file as stored (gzipped JSON Lines: a header, then `[key, version, result]` per content key), read
// without the module's own reader, so tests see what is really in the state.
import { gunzipSync } from 'node:zlib';

export interface StoredEntry {
  version: string;
  result: { ok: boolean; article?: object };
}

/** The entries of a stored manifest by key; none when there is no manifest. */
export function storedEntries(body: Uint8Array | undefined): Record<string, StoredEntry> {
  if (!body) return {};
  const lines = gunzipSync(body).toString('utf8').split('\n').slice(1, -1);
  return Object.fromEntries(
    lines.map((line) => {
      const [key, version, result] = JSON.parse(line);
      return [key, { version, result }];
    }),
  );
}
