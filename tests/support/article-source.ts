// Builds article files for tests: a valid front matter that each test changes in one place.
import yaml from 'js-yaml';

export const SECRET =
  'nHEV0Vyze77IX087zPgXBe7qm7Jn65BLl6TOGX22kuIbi/F9S/w0zasi1yHbKRGdgTfwN8gow4and==;pZlShoMzxXmuKlQt07hZRg==';

export type Fields = Record<string, unknown>;

/** A complete, publishable article; `overrides` replace fields, and a value of `undefined` removes one. */
export function validFields(overrides: Fields = {}): Fields {
  const base: Fields = {
    category: 'news',
    title: 'Grid batteries pass their first winter',
    excerpt: 'Operators report fewer outages after the new storage came online.',
    publishedDateTime: '2026-11-20T09:30:00Z',
    originalUrl: 'https://www.gridpower.example/2026/11/20/grid-batteries/',
    webUrl: 'https://www.gridpower.example/2026/11/20/grid-batteries/',
    type: 'article',
    quality: 72,
    heat: 40,
    published: true,
    provider: { name: 'Grid & Power Weekly', domain: 'gridpower.example' },
    topics: ['Energy', 'Climate'],
    images: [{ url: 'https://cdn.gridpower.example/img/batteries.jpg', width: 1200, height: 630, isCached: true }],
    related: [],
    secured: SECRET,
  };
  const fields = { ...base, ...overrides };
  for (const [key, value] of Object.entries(fields)) if (value === undefined) delete fields[key];
  return fields;
}

/** Serializes fields as a Markdown file with YAML front matter. */
export function articleFile(fields: Fields = validFields(), body = ''): string {
  return `---\n${yaml.dump(fields, { lineWidth: -1 })}---\n${body}`;
}

/** Article number `n`: its own title and URLs (so it is never a duplicate of another number), the rest valid. */
export function numberedArticle(n: number, overrides: Fields = {}, body = ''): string {
  const url = `https://news.example.org/${n}`;
  return articleFile(validFields({ title: `Story ${n}`, webUrl: url, originalUrl: url, ...overrides }), body);
}
