// Builds validated Article values for tests of the core that start after parsing.
import type { Article } from '../../functions/core/article.ts';

export function makeArticle(id: string, overrides: Partial<Article> = {}): Article {
  return {
    id,
    file: `content/${id}.md`,
    title: `Story ${id}`,
    excerpt: `Excerpt of ${id}.`,
    publishedAt: new Date('2026-11-20T09:00:00Z'),
    webUrl: `https://news.example.org/${id}`,
    originalUrl: `https://news.example.org/${id}`,
    quality: 70,
    published: true,
    topics: [],
    images: [],
    related: [],
    body: '',
    ...overrides,
  };
}
