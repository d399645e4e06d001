// Article bodies: Markdown to HTML that is safe to hand to any feed reader or mail client.
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import type { Article, RenderedArticle } from './article.ts';

// Raw HTML is allowed in Markdown because newsrooms paste embeds; the sanitizer below decides what survives.
const markdown = new MarkdownIt({ html: true, linkify: true });

/** Makes a link absolute against the article's own URL; undefined when it is not http(s) or mailto. */
function absolute(href: string | undefined, base: string, schemes: readonly string[]): string | undefined {
  if (!href) return undefined;
  try {
    const url = new URL(href, base);
    return schemes.includes(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function sanitizerFor(baseUrl: string): sanitizeHtml.IOptions {
  const rewrite =
    (attribute: 'href' | 'src', schemes: readonly string[]): sanitizeHtml.Transformer =>
    (tagName, attribs) => {
      const { [attribute]: link, ...rest } = attribs;
      const resolved = absolute(link, baseUrl, schemes);
      return { tagName, attribs: resolved ? { ...rest, [attribute]: resolved } : rest };
    };
  return {
    allowedTags: [
      'p',
      'br',
      'hr',
      'h2',
      'h3',
      'h4',
      'h5',
      'h6',
      'blockquote',
      'pre',
      'code',
      'em',
      'strong',
      'del',
      's',
      'sub',
      'sup',
      'a',
      'ul',
      'ol',
      'li',
      'img',
      'figure',
      'figcaption',
      'table',
      'thead',
      'tbody',
      'tr',
      'th',
      'td',
    ],
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title', 'width', 'height'], ol: ['start'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowProtocolRelative: false,
    // The article title is the feed item's heading; a body's own h1 is demoted so it does not compete.
    transformTags: {
      h1: 'h2',
      a: rewrite('href', ['http:', 'https:', 'mailto:']),
      img: rewrite('src', ['http:', 'https:']),
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  };
}

/** Renders a Markdown body to sanitized HTML; relative links are resolved against `baseUrl` (the article's URL). */
export function renderBody(body: string, baseUrl: string): string {
  if (body.trim() === '') return '';
  return sanitizeHtml(markdown.render(body), sanitizerFor(baseUrl)).trim();
}

/**
 * The article with its Markdown body rendered and sanitized, done once per article and version of its file (the build
 * manifest keeps the result for the articles the feeds show), never for an article no output shows.
 */
export function renderArticle(article: Article): RenderedArticle {
  const { body, ...card } = article;
  return { ...card, bodyHtml: renderBody(body, article.webUrl) };
}
