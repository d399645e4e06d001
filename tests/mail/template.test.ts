import { describe, expect, it } from 'vitest';
import { DIGEST_HTML, DIGEST_TEXT, TOKENS } from '../../functions/mail/generated/templates.ts';
import { fill, fragment, splitFragments } from '../../functions/mail/template.ts';

const id = (s: string) => s;

describe('splitFragments', () => {
  it('turns each block into a fragment named by its path, leaving a slot in its parent', () => {
    const t = splitFragments('<a>{{#card}}<b>{{title}}{{#img}}<i>{{src}}</i>{{/img}}</b>{{/card}}</a>', 't');
    expect(t.root).toBe('<a>{{>card}}</a>');
    expect(t.fragments).toEqual({ card: '<b>{{title}}{{>img}}</b>', 'card.img': '<i>{{src}}</i>' });
  });

  it('gives blocks of the same name under different parents their own fragments', () => {
    const t = splitFragments('{{#a}}{{#x}}1{{/x}}{{/a}}{{#b}}{{#x}}2{{/x}}{{/b}}', 't');
    expect(t.fragments['a.x']).toBe('1');
    expect(t.fragments['b.x']).toBe('2');
  });

  it.each([
    ['{{#a}}never closed', 't: {{#a}} is never closed'],
    ['stray {{/a}}', 't: {{/a}} closes a block that was never opened'],
    ['{{#a}}1{{/a}}{{#a}}2{{/a}}', 't: the fragment {{#a}} appears twice'],
  ])('rejects %j, naming the template', (text, message) => {
    expect(() => splitFragments(text, 't')).toThrow(message);
  });
});

describe('fill', () => {
  it('escapes values, inserts slots as they are, and does not read tokens inside what it inserted', () => {
    const out = fill('<p>{{a}}</p>{{>s}}{{>missing}}', { a: '<{{b}}>' }, { s: '<i>{{a}}</i>' }, (v) =>
      v.replace('<', '&lt;'),
    );
    expect(out).toBe('<p>&lt;{{b}}></p><i>{{a}}</i>');
  });

  it('refuses a fragment whose value the caller forgot', () => {
    expect(() => fill('{{a}}', {}, {}, id)).toThrow('No value for {{a}}');
  });

  it('names a block the template lacks', () => {
    expect(() => fragment(DIGEST_HTML, 'stories.nope')).toThrow('digest.mjml has no {{#nope}} block at stories.nope');
  });
});

describe('the compiled digest templates', () => {
  it('were compiled from MJML: Outlook conditional comments and the preheader are intact', () => {
    expect(DIGEST_HTML.root).toContain('<!--[if mso | IE]>');
    expect(DIGEST_HTML.root).toContain('<![endif]-->');
    expect(DIGEST_HTML.root).toMatch(/<div style="display:none;[^"]*">{{preheader}}<\/div>/);
    expect(DIGEST_HTML.root).toContain('<meta name="color-scheme" content="light dark">');
    // An explicit font stack: no web font is fetched from Google.
    expect(DIGEST_HTML.root).not.toContain('fonts.googleapis.com');
  });

  it('need exactly the values the assembler gives', () => {
    expect(TOKENS.html?.['stories.story']).toEqual(['excerpt', 'meta', 'title', 'url']);
    expect(TOKENS.html?.mailFooter).toEqual(['archiveUrl', 'preferencesUrl', 'siteTitle', 'siteUrl', 'unsubscribeUrl']);
    expect(Object.keys(DIGEST_TEXT.fragments).sort()).toContain('stories.story.related.link.by');
  });
});
