// From a validated article to a feed item: permanent id, absolute links, sanitized content, first safe image, credit.
import type { ArticleCard, RenderedArticle } from '../article.ts';
import { escapeHtml } from '../text.ts';
import { imageMimeType } from '../urls.ts';
import type { FeedItem } from './model.ts';

/**
 * A path as the specific part of a tag: (RFC 4151) or urn: id: each segment percent-encoded, `/` kept, so the id is
 * ASCII (`topics/医疗` → `topics/%E5%8C%BB%E7%96%97`). ASCII letters, digits and `-._~!*'()` stay as they are, so ids
 * published before this rule keep their exact bytes.
 */
export function idPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** `tag:news.example.com,2026:` + `articles/2026/11/story`. */
export function itemId(idPrefix: string, articleId: string): string {
  return `${idPrefix}articles/${idPath(articleId)}`;
}

function relatedHtml(article: ArticleCard): string {
  if (article.related.length === 0) return '';
  const links = article.related.map((r) => {
    const by = r.providerName ? ` (${escapeHtml(r.providerName)})` : '';
    return `<li><a href="${escapeHtml(r.url)}">${escapeHtml(r.title)}</a>${by}</li>`;
  });
  return `<h3>Related coverage</h3>\n<ul>\n${links.join('\n')}\n</ul>`;
}

function contentHtml(article: RenderedArticle): string {
  const body = article.bodyHtml;
  const related = relatedHtml(article);
  if (!related) return body;
  // Readers show content instead of the summary, so a body-less article with related links still leads with its excerpt.
  const lead = body || (article.excerpt ? `<p>${escapeHtml(article.excerpt)}</p>` : '');
  return [lead, related].filter(Boolean).join('\n');
}

function tagsOf(article: ArticleCard): string[] {
  const seen = new Set<string>();
  return [article.category, ...article.topics].filter((tag): tag is string => {
    if (tag === undefined || seen.has(tag.toLowerCase())) return false;
    seen.add(tag.toLowerCase());
    return true;
  });
}

export function toFeedItem(article: RenderedArticle, idPrefix: string): FeedItem {
  const [image] = article.images;
  const type = image && imageMimeType(image.url);
  return {
    id: itemId(idPrefix, article.id),
    url: article.webUrl,
    ...(article.originalUrl !== article.webUrl ? { externalUrl: article.originalUrl } : {}),
    title: article.title,
    ...(article.excerpt !== undefined ? { summary: article.excerpt } : {}),
    contentHtml: contentHtml(article),
    date: article.publishedAt,
    ...(article.updatedAt ? { updated: article.updatedAt } : {}),
    tags: tagsOf(article),
    ...(image ? { image: { ...image, ...(type ? { type } : {}) } } : {}),
    ...(article.provider
      ? {
          credit: {
            name: article.provider.name,
            ...(article.provider.domain ? { url: `https://${article.provider.domain}/` } : {}),
          },
        }
      : {}),
  };
}
