// Slugs for topic and category paths: predictable, lower-case, any script kept (a CJK topic keeps its characters).
import { cutToUnits } from './text.ts';

/**
 * At most 80 UTF-16 units (what slugs have always been cut to, so published feed paths keep their names), and never
 * half a character: a split surrogate pair would be a name the file system stores differently from how it was asked,
 * and the feed would be deleted and written again on alternate builds. 80 units are at most 240 UTF-8 bytes, within
 * every file system's 255-byte name limit.
 */
const MAX_SLUG_UNITS = 80;

/** `AI in Healthcare` → `ai-in-healthcare`; `Énergie` → `energie`; `人工知能` → `人工知能`. Empty when nothing is left. */
export function slugify(label: string): string {
  const full = label
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // accents, once separated from their letters
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return cutToUnits(full, MAX_SLUG_UNITS).replace(/-+$/, '');
}
