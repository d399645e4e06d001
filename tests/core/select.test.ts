import { describe, expect, it } from 'vitest';
import { selectArticles } from '../../functions/core/select.ts';
import { makeArticle } from '../support/article.ts';

const now = new Date('2026-11-24T12:00:00Z');
const select = (articles: ReturnType<typeof makeArticle>[], minQuality = 40) =>
  selectArticles(articles, { now, minQuality });
const ids = (articles: { id: string }[]) => articles.map((a) => a.id);

describe('selectArticles', () => {
  it('keeps published articles at or above the quality bar and due by now', () => {
    const result = select([
      makeArticle('draft', { published: false }),
      makeArticle('weak', { quality: 39.9 }),
      makeArticle('bar', { quality: 40 }),
      makeArticle('embargoed', { publishedAt: new Date('2026-11-24T12:00:01Z') }),
      makeArticle('due', { publishedAt: now }),
    ]);
    expect(ids(result.selected)).toEqual(['due', 'bar']);
    // Sorted by file, so a report never depends on listing order.
    expect(result.skipped).toEqual([
      { file: 'content/draft.md', reason: 'unpublished' },
      { file: 'content/embargoed.md', reason: 'scheduled' },
      { file: 'content/weak.md', reason: 'belowQuality' },
    ]);
  });

  it('orders newest first and breaks ties by id, whatever the input order', () => {
    const articles = [
      makeArticle('b', { publishedAt: new Date('2026-11-20T09:00:00Z') }),
      makeArticle('old', { publishedAt: new Date('2026-10-01T09:00:00Z') }),
      makeArticle('a', { publishedAt: new Date('2026-11-20T09:00:00Z') }),
      makeArticle('new', { publishedAt: new Date('2026-11-23T09:00:00Z') }),
    ];
    expect(ids(select(articles).selected)).toEqual(['new', 'a', 'b', 'old']);
    expect(ids(select([...articles].reverse()).selected)).toEqual(['new', 'a', 'b', 'old']);
  });

  it('keeps the earliest copy of a story uploaded twice, so readers never see it replaced', () => {
    const url = 'https://www.gridpower.example/story/';
    const result = select([
      makeArticle('reupload', { originalUrl: url, publishedAt: new Date('2026-11-22T09:00:00Z') }),
      makeArticle('first', { originalUrl: url, publishedAt: new Date('2026-11-21T09:00:00Z') }),
    ]);
    expect(ids(result.selected)).toEqual(['first']);
    expect(result.skipped).toEqual([
      { file: 'content/reupload.md', reason: 'duplicate', duplicateOf: 'content/first.md' },
    ]);
  });

  it('shows an article without its edit until the edit is due (updatedDateTime after now)', () => {
    const result = select([
      makeArticle('edited', { updatedAt: new Date('2026-11-24T11:00:00Z') }),
      makeArticle('edit-later', { updatedAt: new Date('2026-11-24T12:00:01Z') }),
    ]);
    const byId = new Map(result.selected.map((a) => [a.id, a]));
    expect(byId.get('edited')?.updatedAt?.toISOString()).toBe('2026-11-24T11:00:00.000Z');
    expect(byId.get('edit-later')).toBeDefined();
    expect(byId.get('edit-later')).not.toHaveProperty('updatedAt');
  });

  it('breaks a duplicate tie by the smaller id', () => {
    const url = 'https://www.gridpower.example/story';
    const result = select([makeArticle('z', { originalUrl: url }), makeArticle('m', { originalUrl: url })]);
    expect(ids(result.selected)).toEqual(['m']);
  });

  it('compares canonical URLs: scheme, host case, fragment, tracking parameters and trailing slash do not matter', () => {
    const result = select([
      makeArticle('a', {
        originalUrl: 'https://Example.com/story/?b=2&a=1',
        publishedAt: new Date('2026-11-20T00:00:00Z'),
      }),
      makeArticle('b', { originalUrl: 'http://example.com/story?a=1&b=2&utm_source=x#top' }),
      makeArticle('c', { originalUrl: 'https://example.com/story?a=1&b=3' }),
    ]);
    expect(ids(result.selected).sort()).toEqual(['a', 'c']);
  });

  it('lets a later published copy win when the earlier copy is a draft', () => {
    const url = 'https://example.com/story';
    const result = select([
      makeArticle('draft', { originalUrl: url, published: false, publishedAt: new Date('2026-11-01T00:00:00Z') }),
      makeArticle('live', { originalUrl: url }),
    ]);
    expect(ids(result.selected)).toEqual(['live']);
  });
});
