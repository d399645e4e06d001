// Reading generated HTML the way a browser's parser does (parse5), for tests that look for markup an article added.
import { type DefaultTreeAdapterMap, parse } from 'parse5';

export type HtmlNode = DefaultTreeAdapterMap['node'];
export type HtmlElement = DefaultTreeAdapterMap['element'];

/** Every element of the document, templates' contents included, in document order. */
export function elements(html: string): HtmlElement[] {
  const found: HtmlElement[] = [];
  const walk = (node: HtmlNode) => {
    if ('tagName' in node) found.push(node);
    for (const child of 'childNodes' in node ? node.childNodes : []) walk(child);
    if ('content' in node && node.content) walk(node.content as HtmlNode);
  };
  walk(parse(html) as HtmlNode);
  return found;
}

export const attr = (el: HtmlElement, name: string) => el.attrs.find((a) => a.name === name)?.value;
