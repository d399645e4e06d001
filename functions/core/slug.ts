// Slugs for topic and category paths: predictable, lower-case, any script kept (a CJK topic keeps its characters).

/** `AI in Healthcare` → `ai-in-healthcare`; `Énergie` → `energie`; `人工知能` → `人工知能`. Empty when nothing is left. */
export function slugify(label: string): string {
  return label
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // accents, once separated from their letters
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
}
