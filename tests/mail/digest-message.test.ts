import { describe, expect, it } from 'vitest';
import { type Article, LIMITS, parseArticle } from '../../functions/core/article.ts';
import {
  assembleMessage,
  CARD_EXCERPT_CHARS,
  CARD_RELATED_LINKS,
  HTML_BUDGET_BYTES,
  subjectLine,
} from '../../functions/mail/digest-message.ts';
import { makeArticle } from '../support/article.ts';
import { articleFile, SECRET, validFields } from '../support/article-source.ts';
import { digestConfig, LINKS, prepared } from '../support/digest.ts';
import { attr, elements } from '../support/html.ts';

function parsed(fields: Record<string, unknown>, id = 'hostile'): Article {
  const result = parseArticle({ key: `${id}.md`, file: `content/${id}.md`, source: articleFile(validFields(fields)) });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.article;
}

const ranked = (n: number, overrides: (i: number) => Partial<Article> = () => ({})) =>
  Array.from({ length: n }, (_, i) =>
    makeArticle(`a${String(i).padStart(3, '0')}`, { topics: [`Topic ${i % 5}`], ...overrides(i) }),
  );

describe('hostile article values', () => {
  const HOSTILE = [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    '{{unsubscribeUrl}} {{>stories}} {{#story}}',
    '<!--[if mso]><script>alert(1)</script><![endif]-->',
    '</style><style>body{display:none}</style>',
  ].join(' ');
  const article = parsed({
    title: HOSTILE,
    excerpt: HOSTILE,
    topics: ['<b onclick=alert(1)>"T"</b>', 'AI'],
    provider: { name: '<script>alert(1)</script> & "Co"', domain: 'x.example' },
    related: [{ title: HOSTILE, webUrl: 'https://x.example/r', provider: { name: '<img src=x onerror=alert(1)>' } }],
    images: [{ url: 'https://x.example/i.jpg?a="><script>', width: 800, height: 400 }],
  });
  const issue = prepared([article, makeArticle('plain', { topics: ['AI'] })]);
  const mail = assembleMessage(issue, { links: LINKS })!;
  const web = assembleMessage(issue, {})!;

  it('leaves no live markup: no script, no event handler, no link or image but http(s) and mailto-free', () => {
    for (const html of [mail.html, web.html]) {
      const all = elements(html);
      expect(all.filter((el) => el.tagName === 'script')).toEqual([]);
      expect(all.flatMap((el) => el.attrs.filter((a) => a.name.startsWith('on')))).toEqual([]);
      for (const el of all) {
        for (const name of ['href', 'src']) {
          const value = attr(el, name);
          if (value !== undefined) expect(value, `${el.tagName} ${name}`).toMatch(/^https:\/\//);
        }
      }
      // Exactly the two style sheets of the template: an article cannot open a third.
      expect(all.filter((el) => el.tagName === 'style').length).toBe(
        elements(assembleMessage(prepared([makeArticle('x')]), {})!.html).filter((el) => el.tagName === 'style').length,
      );
    }
  });

  it('shows the text as written, and never fills a token that came from an article', () => {
    expect(mail.html).toContain('{{unsubscribeUrl}} {{&gt;stories}} {{#story}}');
    expect(mail.text).toContain(HOSTILE);
    expect(mail.html.match(/k1\.UNSUBSCRIBE-TOKEN/g)).toHaveLength(1);
  });

  it('keeps the subject on one line', () => {
    const subject = subjectLine('{site}: {headline}', {
      site: 'S',
      headline: 'a\r\nBcc: evil@example.net\u0085\u2028b',
    });
    expect(subject).toBe('S: a Bcc: evil@example.net b');
  });

  it('never contains the secured value', () => {
    const withSecret = parsed({ title: 'Fine title' }, 'secret');
    const issue = prepared([withSecret]);
    for (const message of [assembleMessage(issue, { links: LINKS })!, assembleMessage(issue, {})!]) {
      expect(message.html).not.toContain(SECRET.slice(0, 20));
      expect(message.text).not.toContain(SECRET.slice(0, 20));
    }
  });
});

describe('the byte budget', () => {
  const longest = (i: number): Partial<Article> => ({
    title: `${'漢'.repeat(LIMITS.title - 4)} ${i}`,
    excerpt: '&'.repeat(LIMITS.excerpt),
    provider: { name: `Provider ${i}`, domain: `p${i}.example` },
    images: [{ url: `https://cdn.example.org/${'x'.repeat(300)}/${i}.jpg`, width: 1200, height: 630 }],
    related: Array.from({ length: LIMITS.related }, (_, r) => ({
      title: `${'ü'.repeat(LIMITS.title - 3)} ${r}`,
      url: `https://related.example/${'y'.repeat(500)}/${r}`,
      providerName: `Related ${r}`,
    })),
    topics: [`Topic ${i % 7}`, 'Everything'],
  });

  it.each([10, 50, 200])('keeps every message under %i candidates within 100 KB, footer included', (n) => {
    for (const overrides of [() => ({}), longest]) {
      const issue = prepared(ranked(n, overrides));
      const message = assembleMessage(issue, { links: LINKS })!;
      const bytes = Buffer.byteLength(message.html);
      expect(bytes).toBeLessThanOrEqual(HTML_BUDGET_BYTES);
      expect(message.shown + message.omitted).toBe(n);
      expect(message.html).toContain(LINKS.unsubscribeUrl.replace('?', '?').replaceAll('&', '&amp;'));
      expect(message.html.indexOf('Unsubscribe')).toBeGreaterThan(message.html.lastIndexOf('<h3>'));
      expect(message.html).toContain('</html>');
      if (message.omitted > 0) {
        expect(message.html).toContain(`${message.omitted} more stor`);
        expect(message.text).toContain(`${message.omitted} more stor`);
      }
    }
  });

  it('drops the lowest-ranked cards first and says how many are in the web copy', () => {
    const issue = prepared(ranked(200, longest));
    const message = assembleMessage(issue, { links: LINKS })!;
    expect(message.omitted).toBeGreaterThan(0);
    const shownIds = issue.ranked.filter((a) => message.html.includes(`/${a.id}"`)).map((a) => a.id);
    expect(shownIds).toEqual(issue.ranked.slice(0, message.shown).map((a) => a.id));
    expect(message.html).toContain('read them in the web copy of this issue');
  });

  it('does not cut the web copy: it is the whole issue', () => {
    const issue = prepared(ranked(200, longest));
    const web = assembleMessage(issue, {})!;
    expect(web.omitted).toBe(0);
    expect(web.shown).toBe(200);
    expect(Buffer.byteLength(web.html)).toBeGreaterThan(HTML_BUDGET_BYTES);
  });

  it('counts bytes, not characters', () => {
    const issue = prepared(ranked(200, (i) => ({ ...longest(i), excerpt: '漢'.repeat(LIMITS.excerpt) })));
    const message = assembleMessage(issue, { links: LINKS })!;
    expect(Buffer.byteLength(message.html)).toBeLessThanOrEqual(HTML_BUDGET_BYTES);
    expect(message.html.length).toBeLessThan(Buffer.byteLength(message.html));
  });

  it('cuts a card to its excerpt limit and three related links', () => {
    const message = assembleMessage(prepared(ranked(1, longest)), {})!;
    expect(message.text.match(/^ {2}- /gm)).toHaveLength(CARD_RELATED_LINKS);
    const excerpt = message.text.split('\n').find((line) => line.startsWith('&&&'))!;
    expect(Array.from(excerpt).length).toBeLessThanOrEqual(CARD_EXCERPT_CHARS);
  });
});

describe('per reader', () => {
  const articles = [
    makeArticle('ai-1', { topics: ['AI'], quality: 90 }),
    makeArticle('space-1', { topics: ['Space'], quality: 80 }),
    makeArticle('none', { topics: [], quality: 70 }),
    makeArticle('ai-2', { topics: ['Health', 'AI'], quality: 60 }),
  ];
  const issue = prepared(articles);

  it('gives a reader only the topics they chose, plus articles without a topic', () => {
    const message = assembleMessage(issue, { topics: new Set(['ai']), links: LINKS })!;
    expect(message.shown).toBe(3);
    expect(message.text).toContain('Story ai-1');
    expect(message.text).toContain('Story ai-2');
    expect(message.text).toContain('Story none');
    expect(message.text).not.toContain('Story space-1');
    expect(message.text).toContain('in the topics you chose');
  });

  it('sends nothing to a reader whose topics have nothing new', () => {
    const onlyTopics = prepared(articles.filter((a) => a.topics.length > 0));
    expect(assembleMessage(onlyTopics, { topics: new Set(['cooking']), links: LINKS })).toBeUndefined();
  });

  it('differs between two readers with the same topics only in their personal links', () => {
    const other = {
      unsubscribeUrl: 'https://www.example.org/api/unsubscribe?token=k1.OTHER-U',
      preferencesUrl: 'https://www.example.org/api/preferences?token=k1.OTHER-P',
    };
    const a = assembleMessage(issue, { topics: new Set(['ai']), links: LINKS })!;
    const b = assembleMessage(issue, { topics: new Set(['ai']), links: other })!;
    const unlink = (s: string, links: typeof LINKS) =>
      s.replaceAll(links.unsubscribeUrl, 'U').replaceAll(links.preferencesUrl, 'P');
    expect(unlink(a.html, LINKS)).toBe(unlink(b.html, other));
    expect(unlink(a.text, LINKS)).toBe(unlink(b.text, other));
    expect(a.subject).toBe(b.subject);
  });

  it('is deterministic: the same input gives the same bytes', () => {
    const again = prepared([...articles]);
    expect(assembleMessage(again, { links: LINKS })).toEqual(assembleMessage(issue, { links: LINKS }));
  });

  it('has a plain-text part with the links written out, in the same order, and the same footer', () => {
    const message = assembleMessage(issue, { links: LINKS })!;
    const order = ['Story ai-1', 'Story space-1', 'Story none', 'Story ai-2'].map((t) => message.text.indexOf(t));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    const htmlOrder = ['Story ai-1', 'Story space-1', 'Story none', 'Story ai-2'].map((t) => message.html.indexOf(t));
    expect(htmlOrder).toEqual([...htmlOrder].sort((x, y) => x - y));
    expect(message.text).toContain(`Unsubscribe: ${LINKS.unsubscribeUrl}`);
    expect(message.text).toContain(`Manage topics: ${LINKS.preferencesUrl}`);
    expect(message.text).toContain('https://news.example.org/ai-1');
    expect(message.text).toContain('Test Wire, 1 Example Street, 10115 Berlin');
    expect(message.text).not.toMatch(/<[a-z]/i);
  });

  it('puts the preheader first and the header with the issue number and dates', () => {
    const message = assembleMessage(issue, { links: LINKS })!;
    const body = message.html.slice(message.html.indexOf('<body'));
    expect(body.indexOf('Story ai-1')).toBeLessThan(body.indexOf('Weekly digest #7'));
    expect(message.html).toContain('Weekly digest #7');
    expect(message.text).toMatch(/Weekly digest #7 · November 16\D+23, 2026/);
  });

  it('fills the configured subject template', () => {
    const config = digestConfig({ subject: '{site} {week} #{number} ({dates}): {headline}' });
    const message = assembleMessage(prepared(articles, config), { links: LINKS })!;
    expect(message.subject).toMatch(/^Test Wire 2026-W48 #7 \(November 16\D+23, 2026\): Story ai-1$/);
  });
});

describe('images in cards', () => {
  const card = (images: Article['images']) => assembleMessage(prepared([makeArticle('x', { images })]), {})!.html;

  it('gives an image its width and the height that keeps its shape, and an empty alt (the title says it all)', () => {
    const html = card([{ url: 'https://cdn.example.org/a.jpg', width: 1200, height: 600 }]);
    const img = elements(html).find((el) => el.tagName === 'img')!;
    expect([attr(img, 'width'), attr(img, 'height'), attr(img, 'alt')]).toEqual(['552', '276', '']);
  });

  it('leaves out the height it cannot know, and shows no image when the article has none', () => {
    const img = elements(card([{ url: 'https://cdn.example.org/a.jpg' }])).find((el) => el.tagName === 'img')!;
    expect([attr(img, 'width'), attr(img, 'height')]).toEqual(['552', undefined]);
    expect(elements(card([])).filter((el) => el.tagName === 'img')).toEqual([]);
  });

  it.each([
    ['a tracking pixel', { url: 'https://t.example.org/p.gif', width: 1, height: 1 }],
    ['a strip', { url: 'https://cdn.example.org/s.jpg', width: 100, height: 10_000 }],
  ])('does not show %s', (_, image) => {
    expect(elements(card([image])).filter((el) => el.tagName === 'img')).toEqual([]);
  });
});
