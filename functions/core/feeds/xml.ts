// A tiny XML writer: elements as data, one escaping rule, stable indentation. The feed renderers build trees with `el`.
import { withoutForbiddenChars } from '../text.ts';

export type XmlAttrs = Record<string, string | number | undefined>;
export type XmlChild = XmlElement | string | undefined | false;

export interface XmlElement {
  name: string;
  attrs: XmlAttrs;
  children: (XmlElement | string)[];
}

/** An element; undefined attributes and `undefined`/`false` children are left out, so optional parts read inline. */
export function el(name: string, attrs: XmlAttrs = {}, ...children: (XmlChild | XmlChild[])[]): XmlElement {
  const kept = children.flat().filter((c): c is XmlElement | string => c !== undefined && c !== false);
  return { name, attrs, children: kept };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** Escapes text for element content and double-quoted attributes alike; `]]>` can never appear unescaped. */
export function escapeXml(value: string): string {
  return withoutForbiddenChars(value).replace(/[&<>"]/g, (c) => ESCAPES[c] ?? c);
}

function attributes(attrs: XmlAttrs): string {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
}

function write(node: XmlElement, depth: number): string {
  const pad = '  '.repeat(depth);
  const open = `${pad}<${node.name}${attributes(node.attrs)}`;
  if (node.children.length === 0) return `${open}/>`;
  if (node.children.every((c) => typeof c === 'string')) {
    return `${open}>${node.children.map((c) => escapeXml(c as string)).join('')}</${node.name}>`;
  }
  const inner = node.children.map((c) => (typeof c === 'string' ? `${pad}  ${escapeXml(c)}` : write(c, depth + 1)));
  return `${open}>\n${inner.join('\n')}\n${pad}</${node.name}>`;
}

/** The document: XML declaration, the tree indented by two spaces, a final newline. */
export function xmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${write(root, 0)}\n`;
}
