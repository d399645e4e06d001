import { describe, expect, it } from 'vitest';
import { parseSiteConfig, parseSiteConfigText } from '../../functions/core/config.ts';
import { ConfigError } from '../../functions/core/errors.ts';

const FILE = 'site.config.json';

/** The smallest valid configuration: every setting without a default. */
const required = {
  title: 'Lab Notes Daily',
  description: 'Science and technology news.',
  baseUrl: 'https://news.example.com/feeds/',
  author: { name: 'Lab Notes Daily newsroom' },
  idPrefix: 'tag:news.example.com,2026:',
};

/** The message of the ConfigError that `parse` throws. */
function messageOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

/** The message for a configuration with `settings` changed from the valid one. */
const problemsWith = (settings: Record<string, unknown>) =>
  messageOf(() => parseSiteConfig({ ...required, ...settings }, FILE));

const invalid = (...lines: string[]) => [`${FILE} is not a valid site configuration:`, ...lines].join('\n');

describe('parseSiteConfigText', () => {
  it('reads a valid file and fills in the defaults', () => {
    expect(parseSiteConfigText(JSON.stringify(required, null, 2), FILE)).toEqual({
      ...required,
      language: 'en',
      minQuality: 40,
      itemLimit: 50,
    });
  });

  it('rejects a file that starts with a byte order mark, naming the invisible character', () => {
    const text = `\uFEFF${JSON.stringify(required, null, 2)}`;
    expect(messageOf(() => parseSiteConfigText(text, FILE))).toBe(
      `${FILE} starts with an invisible byte order mark (U+FEFF); save it as UTF-8 without a BOM`,
    );
  });

  it('names the line and column of an invisible character pasted between tokens', () => {
    const text = JSON.stringify(required, null, 2).replace('"title":', '"title":\u200B');
    expect(messageOf(() => parseSiteConfigText(text, FILE))).toBe(
      `${FILE} is not valid JSON: line 2, column 11 has an invisible character (U+200B); delete it`,
    );
  });

  it('does not blame an invisible character inside a string for a syntax error elsewhere', () => {
    const text = '{"title": "a\u200Bb", "x": }';
    expect(messageOf(() => parseSiteConfigText(text, FILE))).toMatch(
      new RegExp(`^${FILE} is not valid JSON: (?!.*invisible)`),
    );
  });
});

describe('parseSiteConfig', () => {
  it('suggests the setting a mistyped key was meant to be', () => {
    expect(problemsWith({ itemlimit: 20 })).toBe(invalid('  itemlimit: unknown setting; did you mean "itemLimit"?'));
  });

  it('suggests the author field a mistyped key was meant to be', () => {
    const author = { name: 'Lab Notes Daily newsroom', emial: 'newsroom@news.example.com' };
    expect(problemsWith({ author })).toBe(invalid('  author.emial: unknown setting; did you mean "email"?'));
  });

  it('lists the known settings when an unknown key resembles none of them', () => {
    expect(problemsWith({ theme: 'dark' })).toBe(
      invalid(
        '  theme: unknown setting; known settings: title, description, baseUrl, siteUrl, language, author, idPrefix, ' +
          'minQuality, itemLimit, copyright, logoUrl, iconUrl, hubUrl, digest',
      ),
    );
  });

  it('reports a number written as text as a wrong value, not as a missing setting', () => {
    expect(problemsWith({ minQuality: '40' })).toBe(invalid('  minQuality: expected a number from 0 to 100, got "40"'));
  });

  it('reports a fractional item limit as a wrong value, showing it', () => {
    expect(problemsWith({ itemLimit: 1.5 })).toBe(
      invalid('  itemLimit: expected a whole number of items from 1 to 1000, got 1.5'),
    );
  });

  it('reports a setting that is absent as missing', () => {
    const { baseUrl: _, ...withoutBaseUrl } = required;
    expect(messageOf(() => parseSiteConfig(withoutBaseUrl, FILE))).toBe(
      invalid('  baseUrl: missing setting; expected an absolute http(s) URL, e.g. https://news.example.com/feeds/'),
    );
  });

  it.each([
    ['a query', 'https://news.example.com/feeds?x=1'],
    ['a fragment', 'https://news.example.com/feeds#top'],
  ])('rejects a base URL with %s, which every link built below it would lose', (_what, baseUrl) => {
    expect(problemsWith({ baseUrl })).toBe(
      invalid(
        `  baseUrl: got "${baseUrl}": a query (?…) or fragment (#…) would be lost from every link built below it; ` +
          'use a folder URL such as https://news.example.com/feeds/',
      ),
    );
  });

  it('ends a base URL without a trailing slash with one, so it names a folder', () => {
    const config = parseSiteConfig({ ...required, baseUrl: 'https://news.example.com/feeds' }, FILE);
    expect(config.baseUrl).toBe('https://news.example.com/feeds/');
  });

  it('rejects a title of only invisible characters, spelling them out', () => {
    expect(problemsWith({ title: '\u200B\u2060' })).toBe(
      invalid('  title: expected the site title, got "\\u200B\\u2060"'),
    );
  });

  it('reports every problem at once', () => {
    const { baseUrl: _, ...withoutBaseUrl } = required;
    const raw = { ...withoutBaseUrl, title: '\u200B', minQuality: 140, itemlimit: 20 };
    expect(messageOf(() => parseSiteConfig(raw, FILE))).toBe(
      invalid(
        '  title: expected the site title, got "\\u200B"',
        '  baseUrl: missing setting; expected an absolute http(s) URL, e.g. https://news.example.com/feeds/',
        '  minQuality: expected a number from 0 to 100, got 140',
        '  itemlimit: unknown setting; did you mean "itemLimit"?',
      ),
    );
  });
});
