// The XML writer on its own: what a strict parser (libxml2) reads back is exactly what went in, and the layout is stable.
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { el, xmlDocument } from '../../functions/core/feeds/xml.ts';
import { strictXmlErrors } from '../support/validators.ts';

const DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';

// Canonical XML spells out as references every character a parser kept that could be misread (tab, LF and CR in
// attributes, CR in text), so decoding these few gives back the values libxml2 parsed.
const CANONICAL_REFERENCES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x9;': '\t',
  '&#xA;': '\n',
  '&#xD;': '\r',
};
const decodeCanonical = (value: string) => value.replace(/&[^;]+;/g, (ref) => CANONICAL_REFERENCES[ref] ?? ref);

/** The attributes and text of a childless root element, as libxml2 parses them (through its canonical form). */
async function readByLibxml2(xml: string): Promise<{ attrs: Record<string, string>; text: string }> {
  const result = await validateXML({ xml, normalization: 'c14n' });
  expect(result.rawOutput).toBe('');
  const root = /^<([\w:]+)((?: [\w:]+="[^"]*")*)>([^<]*)<\/\1>\n?$/.exec(result.normalized);
  if (!root) throw new Error(`not a childless root element: ${result.normalized}`);
  const attrs = Object.fromEntries(
    [...(root[2] ?? '').matchAll(/([\w:]+)="([^"]*)"/g)].map(([, name, value]) => [name, decodeCanonical(value ?? '')]),
  );
  return { attrs, text: decodeCanonical(root[3] ?? '') };
}

describe('readByLibxml2 (the parser the round trips below rely on)', () => {
  it('turns a literal tab, LF or CR in an attribute into a space, as XML 1.0 §3.3.3 says', async () => {
    expect((await readByLibxml2('<a t="x\ty\nz\rw"/>')).attrs.t).toBe('x y z w');
  });

  it('turns a literal CR LF or lone CR in text into LF, as XML 1.0 §2.11 says', async () => {
    expect((await readByLibxml2('<a>x\r\ny\rz</a>')).text).toBe('x\ny\nz');
  });
});

describe('xmlDocument: attribute values', () => {
  it('keeps a tab, LF and CR through a strict parser, writing them as character references', async () => {
    const value = 'tab\there, line\nbreak, CR LF\r\nand a lone CR\r.';
    const xml = xmlDocument(el('a', { t: value }));
    expect(xml).toBe(`${DECLARATION}<a t="tab&#9;here, line&#10;break, CR LF&#13;&#10;and a lone CR&#13;."/>\n`);
    expect((await readByLibxml2(xml)).attrs.t).toBe(value);
  });

  it('escapes &, <, >, " and so ]]>, and a strict parser reads the value back unchanged', async () => {
    const value = `Tom & Jerry <b>x</b> ]]> "quoted" 'single'`;
    const xml = xmlDocument(el('a', { t: value }));
    expect(xml).toBe(
      `${DECLARATION}<a t="Tom &amp; Jerry &lt;b&gt;x&lt;/b&gt; ]]&gt; &quot;quoted&quot; 'single'"/>\n`,
    );
    expect((await readByLibxml2(xml)).attrs.t).toBe(value);
  });

  it('leaves out undefined attributes and writes numbers and empty strings', () => {
    expect(xmlDocument(el('a', { gone: undefined, n: 0, empty: '', also: undefined }))).toBe(
      `${DECLARATION}<a n="0" empty=""/>\n`,
    );
  });
});

describe('xmlDocument: text', () => {
  it('keeps tab and LF as they are, and CR as a reference, so a strict parser reads the text back unchanged', async () => {
    const value = 'tab\there\nnew line, CR LF\r\nand a lone CR\r.';
    const xml = xmlDocument(el('a', {}, value));
    expect(xml).toBe(`${DECLARATION}<a>tab\there\nnew line, CR LF&#13;\nand a lone CR&#13;.</a>\n`);
    expect((await readByLibxml2(xml)).text).toBe(value);
  });

  it('escapes &, <, >, " and so ]]>, and a strict parser reads the text back unchanged', async () => {
    const value = `Tom & Jerry <b>x</b> ]]> and ]]> "quoted" 'single'`;
    const xml = xmlDocument(el('a', {}, value));
    expect(xml).toBe(
      `${DECLARATION}<a>Tom &amp; Jerry &lt;b&gt;x&lt;/b&gt; ]]&gt; and ]]&gt; &quot;quoted&quot; 'single'</a>\n`,
    );
    expect((await readByLibxml2(xml)).text).toBe(value);
  });
});

describe('xmlDocument: characters XML forbids', () => {
  it('removes C0 controls other than tab, LF and CR, and U+FFFE and U+FFFF, from text and attributes', async () => {
    const xml = xmlDocument(
      el('a', { t: 'x\u0000y\u0001z\u000B\u000C\u001F!\uFFFE\uFFFF' }, 'p\u0000q\u0008r\u001Fs\uFFFF'),
    );
    expect(xml).toBe(`${DECLARATION}<a t="xyz!">pqrs</a>\n`);
    expect(await strictXmlErrors(xml)).toEqual([]);
  });

  it('replaces a lone surrogate with U+FFFD (String.prototype.toWellFormed), keeping a proper pair', async () => {
    const xml = xmlDocument(el('a', { t: 'x\uD800y' }, 'p\uDC00q 🎉'));
    expect(xml).toBe(`${DECLARATION}<a t="x\uFFFDy">p\uFFFDq 🎉</a>\n`);
    expect(await strictXmlErrors(xml)).toEqual([]);
  });
});

describe('xmlDocument: layout', () => {
  it('writes the declaration, indents nested elements by two spaces and ends with a newline', () => {
    const tree = el(
      'rss',
      { version: '2.0' },
      el('channel', {}, el('title', {}, 'T'), el('item', {}, el('guid', { isPermaLink: 'false' }, 'g'), el('x'))),
    );
    expect(xmlDocument(tree)).toBe(`<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>T</title>
    <item>
      <guid isPermaLink="false">g</guid>
      <x/>
    </item>
  </channel>
</rss>
`);
  });

  it('puts text beside elements on its own indented line', () => {
    expect(xmlDocument(el('a', {}, 'before', el('b', {}, 'inner'), 'after'))).toBe(
      `${DECLARATION}<a>\n  before\n  <b>inner</b>\n  after\n</a>\n`,
    );
  });

  it('writes an element without children as <a/>, with or without attributes', () => {
    expect(xmlDocument(el('a'))).toBe(`${DECLARATION}<a/>\n`);
    expect(xmlDocument(el('a', { b: '1' }))).toBe(`${DECLARATION}<a b="1"/>\n`);
  });

  it('skips undefined and false children, also inside arrays, so an element with only those is empty', () => {
    expect(xmlDocument(el('a', {}, undefined, false))).toBe(`${DECLARATION}<a/>\n`);
    expect(xmlDocument(el('a', {}, 'x', undefined, false, [el('b'), false, undefined], el('c')))).toBe(
      `${DECLARATION}<a>\n  x\n  <b/>\n  <c/>\n</a>\n`,
    );
  });
});
