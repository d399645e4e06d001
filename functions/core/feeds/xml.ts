// A tiny XML writer: elements as data, one escaping rule, stable indentation. The feed renderers build trees with `el`.
import { withoutForbiddenChars } from '../text.ts';

export type XmlAttrs = Record<string, string | number | undefined>;
export type XmlChild = XmlElement | string | undefined | false;

export interface XmlElement {
  name: string;
  attrs: XmlAttrs;
  children: (XmlElement | string)[];
  /** Plain text written with `&`, `<`, `>` as hexadecimal references (see `plainText`). */
  hexReferences?: boolean;
}

// The text of elements made by `reused`, by element: a feed item appears in several feeds (the site's, its topics',
// its category's), and its element, made once, is written once per depth.
const written = new WeakMap<XmlElement, { depth: number; text: string }>();
const reusable = new WeakSet<XmlElement>();

/**
 * One element per `key` object (a feed item), made by `make` the first time: written into several documents at the
 * same depth, it is serialized once. The element must depend on nothing but `key`.
 */
export function reused<K extends object>(cache: WeakMap<K, XmlElement>, key: K, make: (key: K) => XmlElement) {
  let element = cache.get(key);
  if (!element) {
    element = make(key);
    reusable.add(element);
    cache.set(key, element);
  }
  return element;
}

/** An element; undefined attributes and `undefined`/`false` children are left out, so optional parts read inline. */
export function el(name: string, attrs: XmlAttrs = {}, ...children: (XmlChild | XmlChild[])[]): XmlElement {
  const kept = children.flat().filter((c): c is XmlElement | string => c !== undefined && c !== false);
  return { name, attrs, children: kept };
}

/**
 * An element holding plain text, as the RSS Best Practices Profile asks: `&`, `<` and `>` as the hexadecimal
 * references `&#x26;`, `&#x3C;`, `&#x3E;`, the form the widest range of RSS readers shows literally. To an XML parser
 * it is the same text as `&amp;`/`&lt;`.
 */
export function plainText(name: string, value: string): XmlElement {
  return { name, attrs: {}, children: [value], hexReferences: true };
}

// CR is a reference in content too, as parsers read CR LF and a lone CR as LF (XML 1.0 §2.11); tab and LF stay as is.
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;' };
// Attribute values: parsers turn tab, LF and CR into spaces (XML 1.0 §3.3.3), so all three become references.
const ATTRIBUTE_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '\t': '&#9;', '\n': '&#10;' };

/** Escapes element content: forbidden characters removed, `&<>"` and CR as references; `]]>` can never appear. */
export function escapeXml(value: string): string {
  return withoutForbiddenChars(value).replace(/[&<>"\r]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

const HEX_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '&': '&#x26;', '<': '&#x3C;', '>': '&#x3E;' };

function escapeXmlHex(value: string): string {
  return withoutForbiddenChars(value).replace(/[&<>"\r]/g, (c) => HEX_ESCAPES[c] ?? c);
}

/** Escapes a double-quoted attribute value so that a parser reads back exactly the text given, tabs and newlines too. */
export function escapeXmlAttribute(value: string): string {
  return withoutForbiddenChars(value).replace(/[&<>"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}

function attributes(attrs: XmlAttrs): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXmlAttribute(String(v))}"`)
    .join('');
}

function write(node: XmlElement, depth: number): string {
  if (!reusable.has(node)) return serialize(node, depth);
  const known = written.get(node);
  if (known?.depth === depth) return known.text;
  const text = serialize(node, depth);
  written.set(node, { depth, text });
  return text;
}

function serialize(node: XmlElement, depth: number): string {
  const pad = '  '.repeat(depth);
  const open = `${pad}<${node.name}${attributes(node.attrs)}`;
  if (node.children.length === 0) return `${open}/>`;
  if (node.children.every((c) => typeof c === 'string')) {
    const escapeText = node.hexReferences ? escapeXmlHex : escapeXml;
    return `${open}>${node.children.map((c) => escapeText(c as string)).join('')}</${node.name}>`;
  }
  const inner = node.children.map((c) => (typeof c === 'string' ? `${pad}  ${escapeXml(c)}` : write(c, depth + 1)));
  return `${open}>\n${inner.join('\n')}\n${pad}</${node.name}>`;
}

/** The document: XML declaration, the tree indented by two spaces, a final newline. */
export function xmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${write(root, 0)}\n`;
}
