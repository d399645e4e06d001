// The validators must be able to fail: each check here breaks one rule and expects an error.
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { strictXmlErrors, validateAtom, validateJsonFeed } from './validators.ts';

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

// Documents that are not well formed (or not namespace-well-formed), each with the libxml2 message that names why.
const broken: [what: string, xml: string, message: RegExp][] = [
  ['a forbidden control character in text', '<a>x\u0001y</a>', /PCDATA invalid Char value 1/],
  ['a < in an attribute value', '<a b="x<y"/>', /Unescaped '<' not allowed in attributes values/],
  // What wrapping `x]]>y` in one CDATA section without splitting it gives: the section ends early, `y]]>` is left over.
  [
    'a CDATA section that ends early, leaving ]]> in the text',
    '<a><![CDATA[x]]>y]]></a>',
    /Sequence ']]>' not allowed in content/,
  ],
  ['an undeclared namespace prefix', '<media:content/>', /namespace error : Namespace prefix media on content/],
];

describe('strictXmlErrors (libxml2, namespaces on)', () => {
  it('accepts a document with its namespaces declared and `]]>` split correctly across two CDATA sections', async () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<rss xmlns:media="http://search.yahoo.com/mrss/" version="2.0">
  <media:content url="https://example.org/a.jpg" media:medium="image"/>
  <description><![CDATA[x]]]]><![CDATA[>y]]> &amp; z</description>
</rss>
`;
    expect(await strictXmlErrors(xml)).toEqual([]);
  });

  it('rejects a bare ampersand, naming the line', async () => {
    expect(await strictXmlErrors('<a>\n<b>x & y</b>\n</a>')).toEqual([
      'line 2: parser error : xmlParseEntityRef: no name',
    ]);
  });

  it.each(broken)('rejects %s', async (_what, xml, message) => {
    const errors = await strictXmlErrors(xml);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it('rejects an undeclared prefix on an attribute', async () => {
    expect(await strictXmlErrors('<a x:b="1"/>')).toEqual([
      'line 1: namespace error : Namespace prefix x for b on a is not defined',
    ]);
  });

  it('rejects one namespaced attribute written twice under two prefixes (another error xmllint only prints)', async () => {
    expect(await strictXmlErrors('<a xmlns:x="urn:u" xmlns:y="urn:u" x:b="1" y:b="2"/>')).toEqual([
      "line 1: namespace error : Namespaced Attribute b in 'urn:u' redefined",
    ]);
  });

  it('counts namespace errors although xmllint itself calls the document valid (it only prints them)', async () => {
    const result = await validateXML({ xml: '<media:content/>', schema: [] });
    expect(result).toMatchObject({ valid: true, errors: [] });
    expect(result.rawOutput).toMatch(/namespace error/);
  });

  it("fast-xml-parser's XMLValidator accepts every one of these, which is why it is not used", () => {
    for (const [what, xml] of broken) expect(XMLValidator.validate(xml), what).toBe(true);
  });
});
