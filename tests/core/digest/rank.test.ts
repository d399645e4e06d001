import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Article, ArticleCard, Provider } from '../../../functions/core/article.ts';
import { arrangeIssue, capPerProvider, rankArticles, storyScore } from '../../../functions/core/digest/rank.ts';
import { slugify } from '../../../functions/core/slug.ts';
import { makeArticle } from '../../support/article.ts';

const HOUR_MS = 3_600_000;
const DUE_AT = new Date('2026-11-23T06:00:00Z');
const LOOK_BACK_DAYS = 14;

const hoursBefore = (hours: number) => new Date(DUE_AT.getTime() - hours * HOUR_MS);
const ids = (articles: readonly { id: string }[]) => articles.map((a) => a.id);

describe('storyScore', () => {
  it.each([
    // quality + heat / 2 + 10 × freshness, freshness = 1 − age / lookBackDays, kept within 0..1
    { what: 'published 3.5 days before the issue', quality: 70, heat: 40, hours: 84, score: 70 + 20 + 7.5 },
    { what: 'published at the issue time', quality: 55, heat: 30, hours: 0, score: 55 + 15 + 10 },
    { what: 'without heat (counted as 0)', quality: 55, heat: undefined, hours: 168, score: 55 + 0 + 5 },
    { what: 'at the start of the look-back window', quality: 80, heat: 10, hours: 14 * 24, score: 80 + 5 + 0 },
    { what: 'older than the look-back window (freshness stays 0)', quality: 80, heat: 10, hours: 40 * 24, score: 85 },
    { what: 'dated after the issue time (freshness stays 1)', quality: 50, heat: 0, hours: -48, score: 60 },
    { what: 'at its highest', quality: 100, heat: 100, hours: 0, score: 160 },
    { what: 'at its lowest', quality: 0, heat: 0, hours: 20 * 24, score: 0 },
  ])('scores an article $what: $score', ({ quality, heat, hours, score }) => {
    const article = makeArticle('a', {
      quality,
      ...(heat === undefined ? {} : { heat }),
      publishedAt: hoursBefore(hours),
    });
    expect(storyScore(article, DUE_AT, LOOK_BACK_DAYS)).toBe(score);
  });

  it('scales freshness to the look-back window: the same age is fresher in a longer window', () => {
    const article = makeArticle('a', { quality: 60, heat: 0, publishedAt: hoursBefore(7 * 24) });
    expect(storyScore(article, DUE_AT, 7)).toBe(60);
    expect(storyScore(article, DUE_AT, 28)).toBe(67.5);
  });
});

describe('rankArticles', () => {
  it('orders by score, best first: quality leads, heat counts half, freshness breaks near-ties', () => {
    const articles = [
      makeArticle('fresh-fair', { quality: 60, heat: 0, publishedAt: hoursBefore(0) }), // 70
      makeArticle('old-good', { quality: 75, heat: 0, publishedAt: hoursBefore(20 * 24) }), // 75
      makeArticle('hot', { quality: 50, heat: 60, publishedAt: hoursBefore(7 * 24) }), // 50 + 30 + 5 = 85
      makeArticle('newer-twin', { quality: 65, heat: 10, publishedAt: hoursBefore(24) }), // 65 + 5 + 9.29 = 79.29
      makeArticle('older-twin', { quality: 65, heat: 10, publishedAt: hoursBefore(48) }), // 65 + 5 + 8.57 = 78.57
    ];
    expect(ids(rankArticles(articles, DUE_AT, LOOK_BACK_DAYS))).toEqual([
      'hot',
      'newer-twin',
      'older-twin',
      'old-good',
      'fresh-fair',
    ]);
  });

  it('breaks equal scores by id, whatever order the articles come in', () => {
    const articles = [
      makeArticle('delta', { quality: 70, heat: 0, publishedAt: hoursBefore(24) }),
      makeArticle('bravo', { quality: 70, heat: 0, publishedAt: hoursBefore(24) }),
      makeArticle('echo', { quality: 60, heat: 20, publishedAt: hoursBefore(24) }), // the same score, made otherwise
      makeArticle('alpha', { quality: 70, heat: 0, publishedAt: hoursBefore(24) }),
      makeArticle('charlie', { quality: 79, heat: 0, publishedAt: hoursBefore(24 * 30) }), // 79 + 0 + 0: just below
      makeArticle('best', { quality: 90, heat: 0, publishedAt: hoursBefore(24) }),
    ];
    const expected = ['best', 'alpha', 'bravo', 'delta', 'echo', 'charlie'];
    fc.assert(
      fc.property(fc.shuffledSubarray(articles, { minLength: articles.length }), (shuffled) => {
        expect(ids(rankArticles(shuffled, DUE_AT, LOOK_BACK_DAYS))).toEqual(expected);
      }),
    );
  });

  it('leaves its input as it was', () => {
    const articles = [makeArticle('b', { quality: 50 }), makeArticle('a', { quality: 90 })];
    rankArticles(articles, DUE_AT, LOOK_BACK_DAYS);
    expect(ids(articles)).toEqual(['b', 'a']);
  });
});

describe('capPerProvider', () => {
  const by = (id: string, provider?: Provider) => makeArticle(id, provider ? { provider } : {});

  it('keeps the best N articles of each provider, in rank order', () => {
    const ranked = [
      by('grid-1', { name: 'Grid & Power', domain: 'gridpower.example' }),
      by('wire-1', { name: 'Wire', domain: 'wire.example' }),
      by('grid-2', { name: 'Grid & Power', domain: 'gridpower.example' }),
      by('grid-3', { name: 'Grid & Power', domain: 'gridpower.example' }),
      by('wire-2', { name: 'Wire', domain: 'wire.example' }),
      by('grid-4', { name: 'Grid & Power', domain: 'gridpower.example' }),
    ];
    expect(ids(capPerProvider(ranked, 2))).toEqual(['grid-1', 'wire-1', 'grid-2', 'wire-2']);
    expect(ids(capPerProvider(ranked, 1))).toEqual(['grid-1', 'wire-1']);
  });

  it('counts a provider by its domain, whatever its case and whatever name it goes by', () => {
    const ranked = [
      by('a', { name: 'Grid & Power', domain: 'gridpower.example' }),
      by('b', { name: 'Grid and Power Weekly', domain: 'GridPower.Example' }),
      by('c', { name: 'GP', domain: 'GRIDPOWER.EXAMPLE' }),
    ];
    expect(ids(capPerProvider(ranked, 2))).toEqual(['a', 'b']);
  });

  it('counts a provider without a domain by its name, apart from providers that have a domain', () => {
    const ranked = [
      by('named-1', { name: 'Local Desk' }),
      by('named-2', { name: 'Local Desk' }),
      by('with-domain', { name: 'Local Desk', domain: 'localdesk.example' }),
      by('other-name', { name: 'Other Desk' }),
    ];
    expect(ids(capPerProvider(ranked, 1))).toEqual(['named-1', 'with-domain', 'other-name']);
  });

  it('never caps articles without a provider', () => {
    const wire = { name: 'Wire', domain: 'wire.example' };
    const ranked = [by('a'), by('wire-1', wire), by('b'), by('c'), by('wire-2', wire), by('d')];
    expect(ids(capPerProvider(ranked, 1))).toEqual(['a', 'wire-1', 'b', 'c', 'd']);
  });
});

describe('arrangeIssue', () => {
  // In rank order.
  const ranked = [
    makeArticle('lead', { topics: ['Energy'] }),
    makeArticle('second', { topics: ['AI in Healthcare', 'Energy'] }),
    makeArticle('untagged-1', { topics: [] }),
    makeArticle('grid', { topics: ['Energy', 'Climate'] }),
    makeArticle('clinic', { topics: ['ai in healthcare'] }),
    makeArticle('untagged-2', { topics: [] }),
    makeArticle('ice', { topics: ['Climate'] }),
    makeArticle('chip', { topics: ['Semiconductors', 'AI-in-Healthcare'] }),
    makeArticle('turbine', { topics: ['energy'] }),
  ];
  const layout = (topStories: number, topics?: string[]) => {
    const { top, groups } = arrangeIssue(ranked, topStories, topics ? new Set(topics) : undefined);
    return { top: ids(top), groups: groups.map((g) => [g.topic, ids(g.articles)]) };
  };

  it('leads with the top N and groups the rest under their first topic, groups ordered by their best article', () => {
    expect(layout(2)).toEqual({
      top: ['lead', 'second'],
      groups: [
        ['Energy', ['grid', 'turbine']],
        ['ai in healthcare', ['clinic']], // spelled as the group's first article spells it
        ['Climate', ['ice']],
        ['Semiconductors', ['chip']],
        ['', ['untagged-1', 'untagged-2']], // articles without a topic come last
      ],
    });
  });

  it('with topics a reader chose, keeps only their articles and those without a topic, each under its first chosen topic', () => {
    expect(layout(2, ['climate', 'ai-in-healthcare'])).toEqual({
      top: ['second', 'untagged-1'], // 'lead' is only about Energy: not in the top stories either
      groups: [
        ['Climate', ['grid', 'ice']], // 'grid' is filed under Climate, its first topic the reader chose
        ['ai in healthcare', ['clinic', 'chip']], // 'AI-in-Healthcare' and 'ai in healthcare' are one slug
        ['', ['untagged-2']],
      ],
    });
  });

  it('matches a reader’s topics by slug: `AI in Healthcare` is ai-in-healthcare', () => {
    expect(slugify('AI in Healthcare')).toBe('ai-in-healthcare');
    expect(layout(1, ['ai-in-healthcare'])).toEqual({
      top: ['second'],
      groups: [
        ['ai in healthcare', ['clinic', 'chip']],
        ['', ['untagged-1', 'untagged-2']],
      ],
    });
    // A label is not a slug: a reader topic spelled as a label matches nothing.
    expect(layout(1, ['AI in Healthcare'])).toEqual({ top: ['untagged-1'], groups: [['', ['untagged-2']]] });
  });

  it('shows every article in the top stories when there are no more than topStories', () => {
    expect(layout(20)).toEqual({ top: ids(ranked), groups: [] });
  });

  it('leaves out the empty no-topic group', () => {
    const tagged = ranked.filter((a) => a.topics.length > 0);
    const { groups } = arrangeIssue(tagged, 1);
    expect(groups.map((g) => g.topic)).toEqual(['AI in Healthcare', 'Energy', 'Climate', 'Semiconductors']);
  });

  it('shows each article it keeps exactly once, in rank order within each group, groups by their best article', () => {
    const LABELS = ['Energy', 'energy', 'Climate', 'AI in Healthcare', 'ai-in-healthcare', 'Énergie', 'Space'];
    const SLUGS = [...new Set(LABELS.map(slugify))];
    const issue = fc.record({
      topicLists: fc.array(fc.uniqueArray(fc.constantFrom(...LABELS), { maxLength: 3 }), { maxLength: 30 }),
      topStories: fc.integer({ min: 1, max: 10 }),
      chosen: fc.option(fc.uniqueArray(fc.constantFrom(...SLUGS), { maxLength: SLUGS.length }), { nil: undefined }),
    });
    fc.assert(
      fc.property(issue, ({ topicLists, topStories, chosen }) => {
        const articles = topicLists.map((topics, i) => makeArticle(`a${String(i).padStart(2, '0')}`, { topics }));
        const reader = chosen ? new Set(chosen) : undefined;
        const { top, groups } = arrangeIssue(articles, topStories, reader);

        const wanted = articles.filter(
          (a) => !reader || a.topics.length === 0 || a.topics.some((label) => reader.has(slugify(label))),
        );
        const shown = [...top, ...groups.flatMap((g) => g.articles)];
        expect(ids(shown).sort()).toEqual(ids(wanted).sort());
        expect(ids(top)).toEqual(ids(wanted.slice(0, topStories)));

        const rank = (a: ArticleCard) => articles.indexOf(a as Article);
        for (const group of groups) {
          expect(group.articles.map(rank)).toEqual(group.articles.map(rank).sort((x, y) => x - y));
          for (const article of group.articles) {
            const firstChosen = article.topics.find((label) => !reader || reader.has(slugify(label)));
            expect(slugify(firstChosen ?? '')).toBe(slugify(group.topic));
          }
        }
        const named = groups.filter((g) => g.topic !== '');
        const best = named.map((g) => rank(g.articles[0]!));
        expect(best).toEqual([...best].sort((x, y) => x - y));
        expect(groups.findIndex((g) => g.topic === '')).toBeOneOf([-1, groups.length - 1]);
      }),
    );
  });
});

it('treats an article whose topics all slug to nothing as having no topic: every reader gets it', () => {
  const rocket = makeArticle('rocket', { topics: ['🚀'] });
  const ai = makeArticle('ai', { topics: ['AI'] });
  const arranged = arrangeIssue([ai, rocket], 0, new Set(['ai']));
  expect(arranged.groups.map((g) => [g.topic, g.articles.map((a) => a.id)])).toEqual([
    ['AI', ['ai']],
    ['', ['rocket']],
  ]);
});
