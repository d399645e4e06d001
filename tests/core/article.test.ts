import { describe, expect, it } from 'vitest';
import {
  type ArticleResult,
  describeProblem,
  LIMITS,
  parseArticle,
  parseArticleFile,
} from '../../functions/core/article.ts';
import { articleFile, SECRET, validFields } from '../support/article-source.ts';

const parse = (source: string, key = 'story.md') => parseArticle({ key, file: `content/${key}`, source });
const parseFields = (overrides: Record<string, unknown>, body = '') => parse(articleFile(validFields(overrides), body));

function accepted(result: ArticleResult) {
  if (!result.ok) throw new Error(`expected the article to be accepted, got ${JSON.stringify(result.problems)}`);
  return result;
}

/** The rejection lines, as the CLI prints them. */
function rejection(result: ArticleResult): string[] {
  if (result.ok) throw new Error('expected the article to be rejected');
  return result.problems.map((p) => describeProblem(result.file, p));
}

describe('a valid article', () => {
  it('parses every documented field', () => {
    const { article, warnings } = accepted(parseFields({}, '## Heading\n\nBody text.'));
    expect(article).toMatchObject({
      id: 'story',
      file: 'content/story.md',
      title: 'Grid batteries pass their first winter',
      excerpt: 'Operators report fewer outages after the new storage came online.',
      webUrl: 'https://www.gridpower.example/2026/11/20/grid-batteries/',
      originalUrl: 'https://www.gridpower.example/2026/11/20/grid-batteries/',
      quality: 72,
      heat: 40,
      published: true,
      provider: { name: 'Grid & Power Weekly', domain: 'gridpower.example' },
      topics: ['Energy', 'Climate'],
      category: 'news',
      images: [{ url: 'https://cdn.gridpower.example/img/batteries.jpg', width: 1200, height: 630 }],
      related: [],
      body: '## Heading\n\nBody text.',
    });
    expect(article.publishedAt.toISOString()).toBe('2026-11-20T09:30:00.000Z');
    expect(warnings).toEqual([]);
  });

  it('takes its id from the file path below the content root, so edits and URL changes keep it', () => {
    const before = accepted(parse(articleFile(validFields()), '2026/11/story.md')).article;
    const edited = validFields({ title: 'Edited title', webUrl: 'https://moved.example/new-home' });
    const after = accepted(parse(articleFile(edited), '2026/11/story.md')).article;
    expect(before.id).toBe('2026/11/story');
    expect(after.id).toBe(before.id);
  });

  it('drops unknown fields and the private secured blob', () => {
    const { article } = accepted(parseFields({ internalNote: 'do not publish', type: 'article' }));
    const serialized = JSON.stringify(article);
    expect(serialized).not.toContain(SECRET);
    expect(serialized).not.toContain('do not publish');
    expect(Object.keys(article)).not.toContain('secured');
  });

  it('tolerates a UTF-8 byte order mark and CRLF line endings', () => {
    const source = `\uFEFF${articleFile(validFields(), 'Line one\n\nLine two\n')}`.replace(/\n/g, '\r\n');
    const { article } = accepted(parse(source));
    expect(article.title).toBe('Grid batteries pass their first winter');
    expect(article.body).toBe('Line one\n\nLine two');
  });

  it('treats a missing published flag as a draft', () => {
    expect(accepted(parseFields({ published: undefined })).article.published).toBe(false);
  });

  it('defaults originalUrl to webUrl', () => {
    const { article } = accepted(parseFields({ originalUrl: undefined }));
    expect(article.originalUrl).toBe(article.webUrl);
  });

  it('removes characters XML forbids and collapses whitespace in titles', () => {
    const { article } = accepted(parseFields({ title: 'Bell\u0007 and\n  tab\u0000 title' }));
    expect(article.title).toBe('Bell and tab title');
  });

  it.each([
    ['a tab', 'One\ttwo'],
    ['two spaces', 'One  two'],
    ['a line break', 'One\ntwo'],
    ['a no-break space', 'One\u00A0two'],
    ['an ideographic space', 'One\u3000two'],
    ['a line separator', 'One\u2028two'],
  ])('makes %s inside a title one plain space', (_, title) => {
    expect(accepted(parseFields({ title })).article.title).toBe('One two');
  });

  it('keeps one spelling of topics that differ only by case', () => {
    expect(accepted(parseFields({ topics: ['AI', 'ai', 'Robotics'] })).article.topics).toEqual(['AI', 'Robotics']);
  });
});

describe('rejections name the file, the field and the reason', () => {
  it.each([
    [
      'quality is a string',
      { quality: 'high' },
      'content/story.md: quality: expected a number from 0 to 100, got "high"',
    ],
    ['quality is above 100', { quality: 101 }, 'content/story.md: quality: expected a number from 0 to 100, got 101'],
    ['quality is negative', { quality: -1 }, 'content/story.md: quality: expected a number from 0 to 100, got -1'],
    ['quality is missing', { quality: undefined }, 'content/story.md: quality: is required: a number from 0 to 100'],
    ['heat is a word', { heat: 'hot' }, 'content/story.md: heat: expected a number from 0 to 100, got "hot"'],
    [
      'published is the string "true"',
      { published: 'true' },
      'content/story.md: published: expected true or false, got "true"',
    ],
    ['title is missing', { title: undefined }, 'content/story.md: title: is required: a title'],
    ['title is a number', { title: 42 }, 'content/story.md: title: expected a title, got 42'],
    ['title is blank', { title: '   ' }, 'content/story.md: title: expected a title, got empty text'],
    ['webUrl is missing', { webUrl: undefined }, 'content/story.md: webUrl: is required: an absolute http(s) URL'],
    [
      'webUrl is relative',
      { webUrl: '/2026/11/story' },
      'content/story.md: webUrl: expected an absolute http(s) URL, got "/2026/11/story"',
    ],
    [
      'webUrl is javascript:',
      { webUrl: 'javascript:alert(1)' },
      'content/story.md: webUrl: expected an http(s) URL, got a javascript: URL, got "javascript:alert(1)"',
    ],
    [
      'webUrl carries a password',
      { webUrl: 'https://user:pw@example.com/' },
      'content/story.md: webUrl: a URL must not carry a user name or password, got "https://user:pw@example.com/"',
    ],
    [
      'originalUrl is a data: URL',
      { originalUrl: 'data:text/html,hi' },
      'content/story.md: originalUrl: expected an http(s) URL, got a data: URL, got "data:text/html,hi"',
    ],
    ['topics is one string', { topics: 'AI' }, 'content/story.md: topics: expected a list of topic names, got "AI"'],
    ['a topic is not text', { topics: ['AI', 7] }, 'content/story.md: topics[1]: expected a topic name, got 7'],
    ['category is a list', { category: ['news'] }, 'content/story.md: category: expected a category name, got a list'],
    [
      'provider has no name',
      { provider: { domain: 'x.example' } },
      'content/story.md: provider.name: is required: the provider name',
    ],
    [
      'images is a mapping',
      { images: { url: 'https://x.example/a.jpg' } },
      'content/story.md: images: expected a list, got a mapping',
    ],
  ])('rejects an article whose %s', (_case, overrides, message) => {
    expect(rejection(parseFields(overrides))).toEqual([message]);
  });

  it('reports every problem of a file, not only the first', () => {
    expect(rejection(parseFields({ quality: 'high', webUrl: 'ftp://x.example/' }))).toHaveLength(2);
  });

  it('rejects more topics than the limit', () => {
    const topics = Array.from({ length: LIMITS.topics + 1 }, (_, i) => `Topic ${i}`);
    expect(rejection(parseFields({ topics }))).toEqual([`content/story.md: topics: more than ${LIMITS.topics} topics`]);
  });

  it('rejects a topic name longer than the limit', () => {
    expect(rejection(parseFields({ topics: ['x'.repeat(LIMITS.label + 1)] }))).toEqual([
      `content/story.md: topics[0]: longer than ${LIMITS.label} characters`,
    ]);
  });

  it('rejects a body longer than the limit', () => {
    expect(rejection(parseFields({}, 'a'.repeat(LIMITS.body + 1)))).toEqual([
      `content/story.md: body: longer than ${LIMITS.body} characters`,
    ]);
  });

  it('rejects a file without front matter', () => {
    expect(rejection(parse('# Just Markdown\n'))).toEqual([
      'content/story.md: front matter: missing: the file must start with a line of three dashes (---)',
    ]);
  });

  it('rejects front matter that is a list, not key: value pairs', () => {
    expect(rejection(parse('---\n- a\n- b\n---\n'))).toEqual([
      'content/story.md: front matter: expected key: value pairs',
    ]);
  });

  it('ends the front matter at the first line that starts with three dashes, as gray-matter did', () => {
    const fields = articleFile(validFields()).split('\n---\n')[0];
    expect(accepted(parse(`${fields}\n---\nBody.`)).article.body).toBe('Body.');
    // The rest of the closing line is the body's start; a second `---` line is body text.
    expect(accepted(parse(`${fields}\n--- tail\n---\nMore.`)).article.body).toBe('tail\n---\nMore.');
    // Never closed: everything is front matter, and the body is empty.
    expect(accepted(parse(`${fields}\n`)).article.body).toBe('');
  });

  it('reads front matter of comments only as empty, so the missing fields are named', () => {
    const lines = rejection(parse('---\n# just a comment\n---\nBody.'));
    expect(lines).toContain('content/story.md: title: is required: a title');
    expect(lines).toContain('content/story.md: webUrl: is required: an absolute http(s) URL');
  });

  it('reads what only looks like comments to YAML as the same empty front matter, valid YAML or not', () => {
    // A no-break space is not YAML whitespace: to js-yaml these lines are a key, a broken list, or only comments.
    for (const matter of ['\u00A0#title: x', '\u00A0#a: [', '  # indented\n\n# two', '']) {
      const lines = rejection(parse(`---\n${matter}\n---\nBody.`));
      expect(lines, JSON.stringify(matter)).toContain('content/story.md: title: is required: a title');
      expect(lines.join('\n'), JSON.stringify(matter)).not.toContain('invalid YAML');
    }
  });

  it('rejects a file that is not UTF-8, naming the file', () => {
    const result = parseArticleFile({ key: 'story.md', file: 'content/story.md', bytes: new Uint8Array([0x2d, 0xff]) });
    expect(rejection(result)).toEqual(['content/story.md: file: not valid UTF-8 text']);
  });

  it('reports a YAML syntax error with its line in the file', () => {
    const source = '---\ntitle: "Fine"\nquality: [1, 2\npublished: true\n---\n';
    expect(rejection(parse(source))[0]).toMatch(/^content\/story\.md: front matter: invalid YAML at line \d+: /);
  });
});

describe('publishedDateTime', () => {
  const date = (value: unknown) => parseFields({ publishedDateTime: value });

  it('converts an offset to the same instant in UTC', () => {
    expect(accepted(date('2026-11-20T10:30:00+01:00')).article.publishedAt.toISOString()).toBe(
      '2026-11-20T09:30:00.000Z',
    );
    expect(accepted(date('2026-11-20T10:30:00+0100')).article.publishedAt.toISOString()).toBe(
      '2026-11-20T09:30:00.000Z',
    );
  });

  it('accepts fractional seconds and a space instead of T', () => {
    expect(accepted(date('2026-11-20 09:30:00.250Z')).article.publishedAt.toISOString()).toBe(
      '2026-11-20T09:30:00.250Z',
    );
  });

  it.each(['2026-11-20T09:30:00', '2026-11-20 09:30', '2026-11-20'])('rejects %s, which has no time zone', (value) => {
    expect(rejection(date(value))).toEqual([
      `content/story.md: publishedDateTime: has no time zone; add Z (UTC) or an offset such as +01:00, got "${value}"`,
    ]);
  });

  it.each(['2026-02-30T09:00:00Z', '2026-13-01T09:00:00Z', '2026-11-20T25:00:00Z'])(
    'rejects %s, which is not a real date',
    (value) => {
      expect(rejection(date(value))).toEqual([
        `content/story.md: publishedDateTime: not a real date-time, got "${value}"`,
      ]);
    },
  );

  it('rejects text that is not a date', () => {
    expect(rejection(date('last Tuesday'))).toEqual([
      'content/story.md: publishedDateTime: expected a date-time such as 2026-11-20T09:30:00Z, got "last Tuesday"',
    ]);
  });

  it('rejects a bare number', () => {
    expect(rejection(date(1700000000))[0]).toContain('publishedDateTime: expected a date-time');
  });

  it.each([
    ['2026-11-23 10:00:00 +0100', '2026-11-23T09:00:00.000Z'], // Jekyll's default: a space before the zone too
    ['2026-11-23 10:00:00 +01:00', '2026-11-23T09:00:00.000Z'],
    ['2026-11-23 10:00:00 -0530', '2026-11-23T15:30:00.000Z'],
    ['2026-11-23 10:00:00.5 +0100', '2026-11-23T09:00:00.500Z'],
    ['2026-11-23 10:00 +0100', '2026-11-23T09:00:00.000Z'],
    ['2026-11-23t10:00:00z', '2026-11-23T10:00:00.000Z'],
    ['2026-11-23 10:00:00 UTC', '2026-11-23T10:00:00.000Z'],
    ['2026-11-23T10:00:00.123456789+00:00', '2026-11-23T10:00:00.123Z'],
    ['Mon, 23 Nov 2026 10:00:00 +0100', '2026-11-23T09:00:00.000Z'], // RFC 2822, as in RSS and mail
    ['23 Nov 2026 10:00 GMT', '2026-11-23T10:00:00.000Z'],
  ])('accepts %s', (value, instant) => {
    expect(accepted(date(value)).article.publishedAt.toISOString()).toBe(instant);
  });

  it.each([
    '2026-11-23 10:00:00 +2400',
    '2026-11-23 10:00:00 +0160',
    '2026-11-23 10:00:00  +0100',
    'Tue, 23 Nov 2026 10:00:00 +0100', // 23 November 2026 is a Monday
    '31 Nov 2026 10:00:00 GMT',
    'Mon, 23 Nov 2026 10:00:00', // no zone
  ])('rejects %s, whose zone is not real or not where a zone goes', (value) => {
    expect(rejection(date(value))[0]).toMatch(/publishedDateTime: (not a real date-time|expected a date-time)/);
  });
});

describe('updatedDateTime', () => {
  const edited = (value: unknown) => parseFields({ publishedDateTime: '2026-11-20T09:30:00Z', updatedDateTime: value });

  it('records the last edit, by the same rules as publishedDateTime', () => {
    const { article, warnings } = accepted(edited('2026-11-23 10:00:00 +0100'));
    expect(article.updatedAt?.toISOString()).toBe('2026-11-23T09:00:00.000Z');
    expect(article.publishedAt.toISOString()).toBe('2026-11-20T09:30:00.000Z');
    expect(warnings).toEqual([]);
  });

  it('is optional', () => {
    expect(accepted(edited(undefined)).article).not.toHaveProperty('updatedAt');
  });

  it.each([
    ['2026-11-19T09:00:00Z', 'is before publishedDateTime, got "2026-11-19T09:00:00Z" (ignored)'],
    ['2026-11-23', 'has no time zone; add Z (UTC) or an offset such as +01:00, got "2026-11-23" (ignored)'],
    ['yesterday', 'expected a date-time such as 2026-11-20T09:30:00Z, got "yesterday" (ignored)'],
    [42, 'expected a date-time such as 2026-11-20T09:30:00Z, got 42 (ignored)'],
  ])('ignores %j with a warning, and still publishes the article', (value, reason) => {
    const { article, warnings } = accepted(edited(value));
    expect(article).not.toHaveProperty('updatedAt');
    expect(warnings).toEqual([{ field: 'updatedDateTime', reason }]);
  });
});

describe('text with nothing visible', () => {
  const INVISIBLE = ['\u200B\u200B', '\u2060', '\uFEFF', '\u200B \u200E\u00AD', '\u3164', '\u034F\u200D'];

  it.each(INVISIBLE)('rejects a title made only of invisible characters (%j)', (title) => {
    expect(rejection(parseFields({ title }))).toEqual(['content/story.md: title: expected a title, got empty text']);
  });

  it.each([
    ['topics', ['Energy', '\u200B'], 'topics[1]: expected a topic name, got empty text'],
    ['category', '\u2060\u2060', 'category: expected a category name, got empty text'],
    ['provider', { name: '\uFEFF' }, 'provider.name: expected the provider name, got empty text'],
    ['excerpt', '\u200B', 'excerpt: expected text, got empty text'],
  ])('treats an invisible %s as empty', (field, value, message) => {
    expect(rejection(parseFields({ [field]: value }))).toEqual([`content/story.md: ${message}`]);
  });

  it('drops a related link whose title is invisible, with a warning', () => {
    const related = [{ title: '\u200B', webUrl: 'https://other.example/story' }];
    const { article, warnings } = accepted(parseFields({ related }));
    expect(article.related).toEqual([]);
    expect(warnings.map((w) => w.field)).toEqual(['related[0].title']);
  });

  it('treats a body of only invisible characters as no body', () => {
    expect(accepted(parseFields({}, '\u200B\n\u2060\n')).article.body).toBe('');
  });

  it('keeps visible text that merely contains invisible characters', () => {
    expect(accepted(parseFields({ title: 'Fusion\u200B power' })).article.title).toBe('Fusion\u200B power');
  });
});

describe('length limits', () => {
  it('cuts an oversized excerpt at a word boundary and marks the cut', () => {
    const excerpt = `${'word '.repeat(300)}end`;
    const cut = accepted(parseFields({ excerpt })).article.excerpt ?? '';
    expect(Array.from(cut).length).toBeLessThanOrEqual(LIMITS.excerpt);
    expect(cut.endsWith('word…')).toBe(true);
  });

  it('never splits an emoji when cutting', () => {
    const excerpt = '🎉'.repeat(LIMITS.excerpt + 5);
    const cut = accepted(parseFields({ excerpt })).article.excerpt ?? '';
    expect(cut).toBe(`${'🎉'.repeat(LIMITS.excerpt - 1)}…`);
    expect(cut.isWellFormed()).toBe(true);
  });

  it.each([0, 1, 2, 3, 4, 5, 6])('cuts an oversized title after a whole word (offset %i)', (offset) => {
    const title = `${'x'.repeat(offset + 1)}${' Long headline'.repeat(40)}`;
    const cut = accepted(parseFields({ title })).article.title;
    const kept = cut.slice(0, -1);
    expect(cut.endsWith('…')).toBe(true);
    expect(Array.from(cut).length).toBeLessThanOrEqual(LIMITS.title);
    expect(Array.from(cut).length).toBeGreaterThan(LIMITS.title - 'headline '.length - 1);
    expect(title.startsWith(kept)).toBe(true);
    expect(title[kept.length]).toBe(' ');
  });

  it('cuts one very long word where it stands', () => {
    const cut = accepted(parseFields({ title: 'x'.repeat(LIMITS.title + 50) })).article.title;
    expect(cut).toBe(`${'x'.repeat(LIMITS.title - 1)}…`);
  });
});

describe('images and related entries', () => {
  it('drops an unsafe image with a warning and keeps the article', () => {
    const images = [{ url: 'javascript:alert(1)' }, { url: 'https://cdn.example.com/a.png', width: 10, height: 20 }];
    const { article, warnings } = accepted(parseFields({ images }));
    expect(article.images).toEqual([{ url: 'https://cdn.example.com/a.png', width: 10, height: 20 }]);
    expect(warnings).toEqual([
      {
        field: 'images[0].url',
        reason: 'expected an http(s) URL, got a javascript: URL, got "javascript:alert(1)" (entry dropped)',
      },
    ]);
  });

  it('drops an image whose width is not a whole number', () => {
    const { article, warnings } = accepted(
      parseFields({ images: [{ url: 'https://cdn.example.com/a.png', width: 'wide' }] }),
    );
    expect(article.images).toEqual([]);
    expect(warnings[0]?.field).toBe('images[0].width');
  });

  it('keeps related links with a title and a safe URL, and drops the others', () => {
    const related = [
      {
        title: 'Good',
        webUrl: 'https://other.example/story',
        provider: { name: 'Other', domain: 'other.example' },
        secured: SECRET,
      },
      { title: 'Bad link', webUrl: 'vbscript:msgbox' },
      { webUrl: 'https://other.example/untitled' },
    ];
    const { article, warnings } = accepted(parseFields({ related }));
    expect(article.related).toEqual([{ title: 'Good', url: 'https://other.example/story', providerName: 'Other' }]);
    expect(warnings.map((w) => w.field)).toEqual(['related[1].webUrl', 'related[2].title']);
  });
});

describe('the secured field', () => {
  it('never appears in a rejection', () => {
    const result = parseFields({ quality: 'high', title: undefined });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('never appears in a YAML error, even when the error is on its line', () => {
    const source = `---\ntitle: "x"\nsecured: "${SECRET}\nquality: 3\n---\n`;
    const result = parse(source);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(SECRET.slice(0, 20));
  });

  // Each form makes js-yaml quote a piece of the secured value in its reason (before the fix, on stderr and in --json).
  it.each([
    ['an unknown alias', 'secured: *TOPSECRET-abc123', 'unidentified alias'],
    ['a verbatim tag', 'secured: !<tag:TOPSECRET-abc123> x', 'unknown tag'],
    ['a local tag', 'secured: !TOPSECRET-abc123 x', 'unknown tag'],
    ['an undeclared tag handle', 'secured: !TOPSECRET-abc123!x y', 'undeclared tag handle'],
    ['a bad escape', 'secured: "TOPSECRET-abc123\\q"', 'unknown escape sequence'],
    ['bad indentation', 'secured: TOPSECRET-abc123\n  bad: TOPSECRET-abc123\n x', 'bad indentation of a mapping entry'],
    ['an unterminated quote', 'secured: "TOPSECRET-abc123\nTOPSECRET-abc123: x', 'unexpected end of the stream'],
    ['a duplicate anchor', 'secured: &TOPSECRET-abc123 &TOPSECRET-abc123 x', 'duplication of an anchor property'],
  ])('is not quoted by a YAML error from %s', (_form, entry, reason) => {
    const source = `---\ntitle: "x"\n${entry}\nquality: 3\n---\n`;
    const lines = rejection(parse(source));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`content/story.md: front matter: invalid YAML at line `);
    expect(lines[0]).toContain(reason);
    expect(lines[0]).not.toContain('TOPSECRET');
  });

  it('is refused when a YAML alias copies it into a published field, and the value is never shown', () => {
    const source = `---\n${articleFile(validFields({ secured: undefined })).slice(4)}`.replace(
      /^excerpt: .*$/m,
      'secured: &s TOPSECRET-abc123\nexcerpt: *s',
    );
    expect(rejection(parse(source))).toEqual([
      'content/story.md: excerpt: repeats the private secured value (a YAML alias or a paste?); the article is not published',
    ]);
  });

  it('is refused when an alias copies it into a field whose error would quote the value', () => {
    const source = articleFile(validFields({ secured: undefined, quality: undefined })).replace(
      /^---\n/,
      '---\nsecured: &s TOPSECRET-abc123\nquality: *s\n',
    );
    const lines = rejection(parse(source));
    expect(lines).toEqual([expect.stringContaining('content/story.md: quality: repeats the private secured value')]);
    expect(lines.join('\n')).not.toContain('TOPSECRET');
  });

  it('is refused when an alias copies a whole secured mapping into the provider', () => {
    const source = articleFile(validFields({ secured: undefined, provider: undefined })).replace(
      /^---\n/,
      '---\nsecured: &s\n  name: TOPSECRET-abc123\nprovider: *s\n',
    );
    expect(rejection(parse(source))).toEqual([
      'content/story.md: provider.name: repeats the private secured value (a YAML alias or a paste?); the article is not published',
    ]);
  });

  it('is looked for once per node, so a file of nested aliases (a billion laughs) is parsed, not expanded', () => {
    const levels = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i <= 12; i += 1)
      levels.push(
        `l${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    const source = articleFile(validFields()).replace(/^---\n/, `---\n${levels.join('\n')}\n`);
    expect(accepted(parse(source)).article.title).toBe('Grid batteries pass their first winter');
  });

  it('is refused when pasted into the body', () => {
    expect(rejection(parseFields({}, `Leaked: ${SECRET}`))).toEqual([
      'content/story.md: body: repeats the private secured value (a YAML alias or a paste?); the article is not published',
    ]);
  });

  it('may be repeated by the secured entry of a related link, which is just as private', () => {
    const related = [{ title: 'Other', webUrl: 'https://other.example/story', secured: SECRET }];
    expect(accepted(parseFields({ related })).article.related).toHaveLength(1);
  });
});

describe('front matter with a second YAML document', () => {
  it('is a rejection naming the front matter, never a crash of the whole build', () => {
    const result = parseArticle({
      key: 'a.md',
      file: 'content/a.md',
      source: '---\ntitle: x\n...\nquality: 1\n---\nbody',
    });
    expect(result).toEqual({
      ok: false,
      file: 'content/a.md',
      problems: [
        { field: 'front matter', reason: 'invalid YAML: expected a single document in the stream, but found more' },
      ],
    });
  });
});
