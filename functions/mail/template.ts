// Compiled templates: fragments with {{value}} tokens and {{>slot}} places, filled per issue and per person with
// escaped values and concatenated. Knows nothing of MJML: the build step (scripts/build-templates.ts) compiled it away.

export interface CompiledTemplate {
  /** The template's file below templates/, for messages. */
  source: string;
  /** The whole document, with a `{{>name}}` slot where each top-level fragment stood. */
  root: string;
  /** Every `{{#name}}…{{/name}}` block by its dotted path (`stories.story.related.link`), its own blocks as slots. */
  fragments: Record<string, string>;
}

/**
 * Splits template text into a root and named fragments. Blocks nest; a block's name is its path from the root, so
 * `{{#related}}` inside two different blocks makes two fragments.
 */
export function splitFragments(text: string, source: string): CompiledTemplate {
  const fragments: Record<string, string> = {};
  const split = (body: string, path: string): string => {
    let rest = body;
    let out = '';
    for (;;) {
      const open = /\{\{#([A-Za-z][\w-]*)\}\}/.exec(rest);
      if (!open) return out + rest;
      const name = open[1]!;
      const start = open.index + open[0].length;
      const end = closingOf(rest, name, start, source);
      const child = path ? `${path}.${name}` : name;
      if (child in fragments) throw new Error(`${source}: the fragment {{#${child}}} appears twice`);
      fragments[child] = split(rest.slice(start, end), child);
      out += `${rest.slice(0, open.index)}{{>${name}}}`;
      rest = rest.slice(end + `{{/${name}}}`.length);
    }
  };
  const root = split(text, '');
  const stray = /\{\{\/([\w-]+)\}\}/.exec(root);
  if (stray) throw new Error(`${source}: {{/${stray[1]}}} closes a block that was never opened`);
  return { source, root, fragments };
}

/** The matching `{{/name}}` of a block opened before `from`, skipping nested blocks of the same name. */
function closingOf(text: string, name: string, from: number, source: string): number {
  const tags = new RegExp(`\\{\\{([#/])${name}\\}\\}`, 'g');
  tags.lastIndex = from;
  let depth = 1;
  for (let tag = tags.exec(text); tag; tag = tags.exec(text)) {
    depth += tag[1] === '#' ? 1 : -1;
    if (depth === 0) return tag.index;
  }
  throw new Error(`${source}: {{#${name}}} is never closed`);
}

/** The `{{value}}` tokens a fragment uses, for the build step's checks. */
export function tokensOf(fragment: string): string[] {
  return [...new Set([...fragment.matchAll(/\{\{([A-Za-z][\w-]*)\}\}/g)].map((m) => m[1]!))].sort();
}

/** The `{{>slot}}` places a fragment has. */
export function slotsOf(fragment: string): string[] {
  return [...fragment.matchAll(/\{\{>([A-Za-z][\w-]*)\}\}/g)].map((m) => m[1]!);
}

const PLACE = /\{\{(>?)([A-Za-z][\w-]*)\}\}/g;

/**
 * Fills a fragment: each `{{value}}` with `escapeValue(values[value])`, each `{{>slot}}` with `slots[slot]` as it is
 * (already filled markup), or nothing. A value the fragment needs and the caller did not give is a programming error.
 */
export function fill(
  fragment: string,
  values: Readonly<Record<string, string>>,
  slots: Readonly<Record<string, string>>,
  escapeValue: (value: string) => string,
): string {
  return fragment.replace(PLACE, (_, slot: string, name: string) => {
    if (slot) return slots[name] ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`No value for {{${name}}}`);
    return escapeValue(value);
  });
}

/** A fragment by path; a missing one is a template that does not match the code that fills it. */
export function fragment(template: CompiledTemplate, path: string): string {
  const found = template.fragments[path];
  if (found === undefined) throw new Error(`${template.source} has no {{#${path.split('.').at(-1)}}} block at ${path}`);
  return found;
}
