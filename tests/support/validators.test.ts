// The validators must be able to fail: each check here breaks one rule and expects an error.
import { describe, expect, it } from 'vitest';
import { validateAtom, validateJsonFeed, wellFormedXmlErrors } from './validators.ts';

const atom = (entry: string, feedExtra = '') => `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>tag:example.org,2026:feeds/all</id>
  <title>Example</title>
  <updated>2026-11-20T09:00:00Z</updated>
  <author><name>Desk</name></author>
  <link rel="self" href="https://example.org/atom.xml"/>${feedExtra}
  <entry>${entry}</entry>
</feed>`;
const goodEntry = `
    <id>tag:example.org,2026:articles/a</id>
    <title>A</title>
    <updated>2026-11-20T09:00:00Z</updated>
    <link rel="alternate" href="https://example.org/a"/>
    <summary>Sum</summary>`;

describe('validateAtom (RFC 4287 RELAX NG)', () => {
  it('accepts a minimal valid feed', async () => {
    expect(await validateAtom(atom(goodEntry))).toEqual([]);
  });

  it('rejects an entry without an id', async () => {
    expect(await validateAtom(atom(goodEntry.replace(/<id>.*<\/id>/, '')))).not.toEqual([]);
  });

  it('cannot catch a date without a time zone (xsd:dateTime allows it), so feed tests check dates themselves', async () => {
    expect(await validateAtom(atom(goodEntry.replace('2026-11-20T09:00:00Z', '2026-11-20T09:00:00')))).toEqual([]);
  });

  it('rejects an unknown Atom element', async () => {
    expect(await validateAtom(atom(goodEntry, '\n  <bogus>x</bogus>'))).not.toEqual([]);
  });

  it('rejects a document that is not well formed', async () => {
    expect(await validateAtom('<feed xmlns="http://www.w3.org/2005/Atom"><title>x</feed>')).not.toEqual([]);
  });
});

const jsonFeed = (overrides: Record<string, unknown> = {}, item: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: 'Example',
    items: [{ id: 'tag:example.org,2026:articles/a', content_text: 'Hi', ...item }],
    ...overrides,
  });

describe('validateJsonFeed (JSON Feed 1.1)', () => {
  it('accepts a minimal valid feed', () => {
    expect(validateJsonFeed(jsonFeed())).toEqual([]);
  });

  it('rejects version 1.0', () => {
    expect(validateJsonFeed(jsonFeed({ version: 'https://jsonfeed.org/version/1' }))).not.toEqual([]);
  });

  it('rejects an item without an id, or with a numeric id', () => {
    expect(validateJsonFeed(jsonFeed({ items: [{ content_text: 'x' }] }))).not.toEqual([]);
    expect(validateJsonFeed(jsonFeed({}, { id: 7 }))).toContain('/items/0/id: must be string');
  });

  it('rejects the 1.0 author object', () => {
    expect(validateJsonFeed(jsonFeed({ author: { name: 'x' } }))).toContain(
      '/: must NOT have additional properties (author)',
    );
  });

  it('rejects an item with neither content_html nor content_text', () => {
    expect(validateJsonFeed(jsonFeed({ items: [{ id: 'a' }] }))).not.toEqual([]);
  });

  it('rejects a date that is not RFC 3339', () => {
    expect(validateJsonFeed(jsonFeed({}, { date_published: '20 Nov 2026' }))).not.toEqual([]);
  });

  it('rejects text that is not JSON', () => {
    expect(validateJsonFeed('{')[0]).toMatch(/^not JSON/);
  });
});

describe('wellFormedXmlErrors', () => {
  it('accepts well-formed XML and rejects a bare ampersand', () => {
    expect(wellFormedXmlErrors('<a>x &amp; y</a>')).toEqual([]);
    expect(wellFormedXmlErrors('<a>x & y</a>')).not.toEqual([]);
  });
});
