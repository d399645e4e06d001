import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { itemId } from '../../functions/core/feeds/items.ts';
import { renderArticle } from '../../functions/core/markdown.ts';
import {
  CONTENT_TYPES,
  feedInputs,
  feedKeys,
  isChannelFeedKey,
  type Output,
  planSite,
  renderSite,
} from '../../functions/core/site.ts';
import { makeArticle } from '../support/article.ts';
import { testConfig } from '../support/site-config.ts';
import { canonicalXml, strictXmlErrors, validateAtom, validateJsonFeed } from '../support/validators.ts';

/** A parsed XML tree; fed canonical XML (see canonicalXml), so the only entities left are the five XML ones. */
const xmlTree = (xml: string) =>
  new XMLParser({ processEntities: true, htmlEntities: false, ignoreAttributes: false }).parse(xml);

const HOSTILE = 'Tom & Jerry <b>not bold</b> ]]> and ]]> "quoted" \'single\' 🎉 مرحبا بالعالم 漢字テスト';
/** Text that literally contains an entity: exact at the XML level, though lenient readers decode it once more. */
const LITERAL_ENTITY = 'AT&amp;T &lt;tag&gt;';
/** The build time: it dates only a feed without items. */
const NOW = new Date('2026-11-24T12:00:00Z');

function render(articles = [makeArticle('a')], overrides: Record<string, unknown> = {}) {
  const shown = new Map(articles.map((article) => [article.id, renderArticle(article)]));
  const config = testConfig(overrides);
  const { outputs, feeds } = renderSite(planSite(articles, config), shown, config, { now: NOW });
  const byKey = new Map(outputs.map((o) => [o.key, o]));
  const get = (key: string): Output => {
    const output = byKey.get(key);
    if (!output) throw new Error(`no output ${key}; have ${[...byKey.keys()].join(', ')}`);
    return output;
  };
  return { outputs, feeds, get, json: (key: string) => JSON.parse(get(key).body) };
}

describe('text comes out exactly as written', () => {
  const article = makeArticle('hostile', { title: HOSTILE, excerpt: HOSTILE, topics: [HOSTILE], category: 'R&D' });
  const site = render([article]);

  it('in RSS, read by an independent parser', () => {
    const item = parseFeed(site.get('feed.xml').body).items[0];
    expect(item?.title).toBe(HOSTILE);
    expect(item?.categories.map((c) => c.label)).toEqual(['R&D', HOSTILE]);
  });

  it('in RSS, the HTML description shows the plain text (escaped as HTML, then as XML)', () => {
    const parsed = new XMLParser({ processEntities: true, htmlEntities: false }).parse(site.get('feed.xml').body);
    expect(parsed.rss.channel.item.description).toBe(
      HOSTILE.replaceAll('&', '&amp;')
        .replaceAll('<', '&lt;')
        .replaceAll('>', '&gt;')
        .replaceAll('"', '&quot;')
        .replaceAll("'", '&#39;'),
    );
  });

  it('in Atom, read by an independent parser', () => {
    const item = parseFeed(site.get('atom.xml').body).items[0];
    expect(item?.title).toBe(HOSTILE);
    expect(item?.description).toBe(HOSTILE);
  });

  it('in JSON Feed', () => {
    const item = site.json('feed.json').items[0];
    expect(item.title).toBe(HOSTILE);
    expect(item.summary).toBe(HOSTILE);
    expect(item.tags).toEqual(['R&D', HOSTILE]);
  });

  it('keeps a literal entity exactly, read by a strict XML parser', async () => {
    const site = render([makeArticle('entity', { title: LITERAL_ENTITY, excerpt: LITERAL_ENTITY })]);
    const parsed = async (key: string) => xmlTree(await canonicalXml(site.get(key).body));
    expect((await parsed('feed.xml')).rss.channel.item.title).toBe(LITERAL_ENTITY);
    expect((await parsed('atom.xml')).feed.entry.title['#text']).toBe(LITERAL_ENTITY);
    expect(site.json('feed.json').items[0].title).toBe(LITERAL_ENTITY);
  });

  it('in well-formed XML everywhere', async () => {
    const xml: string[] = [CONTENT_TYPES.rss, CONTENT_TYPES.atom, CONTENT_TYPES.opml];
    for (const output of site.outputs.filter((o) => xml.includes(o.contentType))) {
      expect(await strictXmlErrors(output.body), output.key).toEqual([]);
    }
  });
});

describe('feeds pass validators that did not write them', () => {
  const articles = [
    makeArticle('with-image', {
      title: HOSTILE,
      body: '## Heading\n\nA [link](https://example.com/x) and a list:\n\n- one\n- two\n',
      images: [{ url: 'https://cdn.example.org/a.jpg', width: 800, height: 450 }],
      provider: { name: 'Lab Ledger', domain: 'labledger.example' },
      topics: ['AI', 'Robotics'],
      category: 'analysis',
      related: [{ title: 'Related <story>', url: 'https://other.example/r', providerName: 'Other' }],
    }),
    makeArticle('bare', { excerpt: undefined, topics: ['AI'] }),
  ];
  const site = render(articles, { hubUrl: 'https://hub.example.org/', logoUrl: 'https://www.example.org/logo.png' });
  const feedKeys = site.outputs.map((o) => o.key);

  it.each(feedKeys.filter((k) => k.endsWith('atom.xml')))('%s is valid Atom (RFC 4287 RELAX NG)', async (key) => {
    const body = site.get(key).body;
    expect(await validateAtom(body)).toEqual([]);
    // The schema's xsd:dateTime accepts a date without a zone; RFC 3339 does not.
    for (const [, date] of body.matchAll(/<(?:updated|published)>([^<]*)</g)) {
      expect(date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    }
  });

  it.each(feedKeys.filter((k) => k.endsWith('feed.json')))('%s is valid JSON Feed 1.1', (key) => {
    expect(validateJsonFeed(site.get(key).body)).toEqual([]);
  });

  it.each(feedKeys.filter((k) => k.endsWith('feed.xml')))('%s is RSS 2.0 a reader can parse', async (key) => {
    const body = site.get(key).body;
    expect(await strictXmlErrors(body)).toEqual([]);
    const feed = parseFeed(body);
    expect(feed.meta.type).toBe('rss');
    expect(feed.items.length).toBeGreaterThan(0);
    for (const item of feed.items) expect(item.id).toMatch(/^tag:example\.org,2026:articles\//);
  });
});

describe('RSS details required by the RSS Advisory Board profile', () => {
  const rss = render([
    makeArticle('a', { images: [{ url: 'https://cdn.example.org/pic.JPG?w=1&h=2', width: 640, height: 480 }] }),
  ]).get('feed.xml').body;

  it('marks tag: guids as not permalinks', () => {
    expect(rss).toContain('<guid isPermaLink="false">tag:example.org,2026:articles/a</guid>');
  });

  it('writes RFC 822 dates', () => {
    expect(rss).toContain('<pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate>');
  });

  it('carries its own absolute URL as atom:link rel=self', () => {
    expect(rss).toContain(
      '<atom:link href="https://feeds.example.org/news/feed.xml" rel="self" type="application/rss+xml"/>',
    );
  });

  it('gives the image a real MIME type, its size, and one enclosure per item', () => {
    expect(rss).toContain(
      '<enclosure url="https://cdn.example.org/pic.JPG?w=1&amp;h=2" length="0" type="image/jpeg"/>',
    );
    expect(rss).toContain(
      '<media:content url="https://cdn.example.org/pic.JPG?w=1&amp;h=2" medium="image" type="image/jpeg" width="640" height="480"/>',
    );
    expect(rss.match(/<enclosure /g)).toHaveLength(1);
  });

  it('omits the enclosure but keeps media:content when the image type is unknown', () => {
    const body = render([makeArticle('a', { images: [{ url: 'https://cdn.example.org/img/8f3a2c' }] })]).get(
      'feed.xml',
    ).body;
    expect(body).not.toContain('<enclosure');
    expect(body).toContain('<media:content url="https://cdn.example.org/img/8f3a2c" medium="image"/>');
  });

  it('declares every namespace it uses', () => {
    for (const prefix of ['atom', 'content', 'dc', 'media']) expect(rss).toContain(`xmlns:${prefix}=`);
  });
});

describe('stable, deterministic output', () => {
  it('gives every format the same permanent item id, built from the article id', () => {
    const site = render([makeArticle('2026/11/story one')]);
    const id = 'tag:example.org,2026:articles/2026/11/story%20one';
    expect(itemId('tag:example.org,2026:', '2026/11/story one')).toBe(id);
    expect(site.json('feed.json').items[0].id).toBe(id);
    expect(parseFeed(site.get('atom.xml').body).items[0]?.id).toBe(id);
    expect(parseFeed(site.get('feed.xml').body).items[0]?.id).toBe(id);
  });

  it('keeps the id when the title and URL change', () => {
    const before = render([makeArticle('x')]).json('feed.json').items[0].id;
    const after = render([makeArticle('x', { title: 'New', webUrl: 'https://moved.example/x' })]).json('feed.json')
      .items[0].id;
    expect(after).toBe(before);
  });

  it('dates each feed by its newest item, never by the clock', () => {
    const site = render([
      makeArticle('old', { publishedAt: new Date('2026-10-01T08:00:00Z') }),
      makeArticle('new', { publishedAt: new Date('2026-11-23T17:45:00Z') }),
    ]);
    expect(site.get('atom.xml').body).toContain('<updated>2026-11-23T17:45:00Z</updated>\n  <author>');
    expect(site.get('feed.xml').body).toContain('<lastBuildDate>Mon, 23 Nov 2026 17:45:00 GMT</lastBuildDate>');
  });

  it('renders byte-identical files for the same input', () => {
    const articles = [makeArticle('a', { topics: ['AI'] }), makeArticle('b', { topics: ['Space'], category: 'news' })];
    expect(render(articles).outputs).toEqual(render([...articles].reverse()).outputs);
  });

  it('dates an empty feed by the build time, never 1970', () => {
    const site = render([]);
    expect(site.get('atom.xml').body).toContain('<updated>2026-11-24T12:00:00Z</updated>');
    expect(site.get('feed.xml').body).toContain('<lastBuildDate>Tue, 24 Nov 2026 12:00:00 GMT</lastBuildDate>');
    expect(site.get('feed.xml').body).not.toContain('<pubDate>');
    for (const output of site.outputs) expect(output.body, output.key).not.toMatch(/1970|Thu, 01 Jan/);
    expect(site.json('feed.json').items).toEqual([]);
  });

  it('dates items and feeds by their last edit when updatedDateTime is given, and keeps the order by publication', () => {
    const edited = makeArticle('edited', {
      publishedAt: new Date('2026-11-01T08:00:00Z'),
      updatedAt: new Date('2026-11-23T20:00:00Z'),
    });
    const newer = makeArticle('newer', { publishedAt: new Date('2026-11-20T08:00:00Z') });
    const site = render([edited, newer]);
    const atom = site.get('atom.xml').body;
    expect(atom).toContain('<updated>2026-11-23T20:00:00Z</updated>\n  <author>');
    expect(atom).toMatch(
      /<id>tag:example.org,2026:articles\/edited<\/id>[\s\S]*?<published>2026-11-01T08:00:00Z<\/published>\s*<updated>2026-11-23T20:00:00Z<\/updated>/,
    );
    const json = site.json('feed.json');
    expect(json.items.map((i: { id: string }) => i.id)).toEqual([
      'tag:example.org,2026:articles/newer',
      'tag:example.org,2026:articles/edited',
    ]);
    expect(json.items[1].date_modified).toBe('2026-11-23T20:00:00Z');
    expect(json.items[0].date_modified).toBeUndefined();
    const rss = site.get('feed.xml').body;
    expect(rss).toContain(
      '<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate>\n    <lastBuildDate>Mon, 23 Nov 2026 20:00:00 GMT',
    );
  });
});

describe('channels', () => {
  const articles = [
    makeArticle('a', {
      topics: ['AI in Healthcare', 'AI'],
      category: 'News',
      publishedAt: new Date('2026-11-22T00:00:00Z'),
    }),
    makeArticle('b', { topics: ['ai'], category: 'news' }),
    makeArticle('c', { topics: ['人工知能', '!!!'] }),
  ];
  const site = render(articles);

  it('writes three formats per topic and per category at slugged paths', () => {
    expect(
      site.outputs
        .map((o) => o.key)
        .filter(isChannelFeedKey)
        .sort(),
    ).toEqual(
      [
        'categories/news/atom.xml',
        'categories/news/feed.json',
        'categories/news/feed.xml',
        'topics/ai-in-healthcare/atom.xml',
        'topics/ai-in-healthcare/feed.json',
        'topics/ai-in-healthcare/feed.xml',
        'topics/ai/atom.xml',
        'topics/ai/feed.json',
        'topics/ai/feed.xml',
        'topics/人工知能/atom.xml',
        'topics/人工知能/feed.json',
        'topics/人工知能/feed.xml',
      ].sort(),
    );
  });

  it('merges spellings of one topic into one feed', () => {
    expect(site.json('topics/ai/feed.json').items.map((i: { id: string }) => i.id)).toEqual([
      'tag:example.org,2026:articles/a',
      'tag:example.org,2026:articles/b',
    ]);
  });

  it('percent-encodes non-ASCII paths in feed URLs', () => {
    expect(site.json('topics/人工知能/feed.json').feed_url).toBe(
      'https://feeds.example.org/news/topics/%E4%BA%BA%E5%B7%A5%E7%9F%A5%E8%83%BD/feed.json',
    );
  });

  it('applies the item limit to every feed', () => {
    const many = Array.from({ length: 15 }, (_, i) =>
      makeArticle(`n${String(i).padStart(2, '0')}`, { topics: ['AI'] }),
    );
    const limited = render(many, { itemLimit: 5 });
    expect(limited.json('feed.json').items).toHaveLength(5);
    expect(limited.json('topics/ai/feed.json').items).toHaveLength(5);
  });

  it('lists every feed in the OPML file and the index page', async () => {
    const opml = site.get('feeds.opml').body;
    const index = site.get('index.html').body;
    expect(await strictXmlErrors(opml)).toEqual([]);
    for (const url of site.feeds.map((f) => f.links.rss)) {
      expect(opml).toContain(`xmlUrl="${url}"`);
      expect(index).toContain(`href="${url}"`);
    }
    expect(index).toContain(
      '<link rel="alternate" type="application/rss+xml" title="Test Wire (RSS)" href="https://feeds.example.org/news/feed.xml">',
    );
    expect(index).toContain('<link rel="alternate" type="application/atom+xml"');
    expect(index).toContain('<link rel="alternate" type="application/feed+json"');
  });
});

describe('hostile bodies', () => {
  const body = [
    '<script>alert(1)</script>',
    '<img src="https://x.example/a.png" onerror="alert(2)">',
    '<a href="javascript:alert(3)">js</a> [md](javascript:alert(4)) <a href="JaVaScRiPt:alert(5)">mixed</a>',
    '<iframe src="https://evil.example"></iframe><style>body{}</style>',
    '<a href="/relative/path">relative</a> <img src="data:image/png;base64,AAAA">',
    '<svg onload="alert(6)"><circle/></svg>',
  ].join('\n\n');
  const site = render([makeArticle('evil', { body, webUrl: 'https://news.example.org/2026/evil' })]);
  const everything = site.outputs.map((o) => o.body).join('\n');
  const html = site.json('feed.json').items[0].content_html as string;

  it('keeps no script, style, iframe or svg', () => {
    expect(html).not.toMatch(/<(script|style|iframe|svg)/i);
  });

  it('keeps no event handler attribute', () => {
    expect(html).not.toMatch(/\son\w+=/i);
  });

  it('keeps no javascript: or data: URL in any attribute of any output', () => {
    expect(everything).not.toMatch(/(href|src|url)=("|&quot;)\s*(javascript|data|vbscript):/i);
    expect(html).toContain('<a>js</a>');
  });

  it('makes relative links absolute against the article URL', () => {
    expect(html).toContain('<a href="https://news.example.org/relative/path">relative</a>');
  });
});

describe('one rule per element for text and HTML, with hostile names', () => {
  const EVIL = '<script>alert(3)</script> & "R&D" <b>bold</b>';
  const article = makeArticle('evil', {
    title: EVIL,
    excerpt: EVIL,
    topics: [EVIL],
    category: EVIL,
    provider: { name: EVIL },
  });
  const site = render([article], { title: EVIL, description: EVIL, copyright: EVIL });
  const topicDir = site.outputs.find((o) => o.key.startsWith('topics/'))!.key.replace(/[^/]+$/, '');
  const categoryDir = site.outputs.find((o) => o.key.startsWith('categories/'))!.key.replace(/[^/]+$/, '');

  it.each(['', topicDir, categoryDir])(
    'RSS %s: titles, category, creator and copyright read back as the exact text',
    async (dir) => {
      const channel = xmlTree(await canonicalXml(site.get(`${dir}feed.xml`).body)).rss.channel;
      expect(String(channel.title)).toContain(EVIL);
      expect(channel.copyright).toBe(EVIL);
      expect(channel.item.title).toBe(EVIL);
      expect(channel.item['dc:creator']).toBe(EVIL);
      expect([channel.item.category].flat()).toEqual([EVIL]);
    },
  );

  it.each(['', topicDir, categoryDir])(
    'RSS %s: descriptions are HTML that shows the text and holds no markup',
    async (dir) => {
      const channel = xmlTree(await canonicalXml(site.get(`${dir}feed.xml`).body)).rss.channel;
      for (const html of [channel.description, channel.item.description]) {
        expect(html).not.toContain('<');
        expect(html).toContain('&lt;script&gt;alert(3)&lt;/script&gt; &amp; &quot;R&amp;D&quot;');
      }
    },
  );

  it('RSS writes & < > in plain-text elements as hexadecimal references, as the profile recommends', () => {
    const rss = site.get(`${topicDir}feed.xml`).body;
    expect(rss).toContain(
      '<dc:creator>&#x3C;script&#x3E;alert(3)&#x3C;/script&#x3E; &#x26; &quot;R&#x26;D&quot; &#x3C;b&#x3E;bold&#x3C;/b&#x3E;</dc:creator>',
    );
    expect(rss).not.toMatch(/<(title|category|dc:creator|copyright)>[^<]*&(lt|amp|gt);/);
  });

  it.each(['', topicDir, categoryDir])(
    'Atom %s: every text construct is type="text" and reads back exactly',
    async (dir) => {
      const feed = xmlTree(await canonicalXml(site.get(`${dir}atom.xml`).body)).feed;
      expect(feed.title['@_type']).toBe('text');
      expect(String(feed.title['#text'])).toContain(EVIL);
      expect(feed.subtitle['@_type']).toBe('text');
      expect(String(feed.subtitle['#text'])).toContain(EVIL);
      expect(feed.rights['#text']).toBe(EVIL);
      expect(feed.entry.title['#text']).toBe(EVIL);
      expect(feed.entry.summary['#text']).toBe(EVIL);
      expect(feed.entry.author.name).toBe(EVIL);
      expect([feed.entry.category].flat().map((c: Record<string, string>) => c['@_term'])).toEqual([EVIL]);
    },
  );

  it.each(['', topicDir, categoryDir])('JSON Feed %s: text fields hold the exact text', (dir) => {
    const feed = site.json(`${dir}feed.json`);
    expect(feed.title).toContain(EVIL);
    expect(feed.description).toContain(EVIL);
    expect(feed.items[0].title).toBe(EVIL);
    expect(feed.items[0].summary).toBe(EVIL);
    expect(feed.items[0].authors).toEqual([{ name: EVIL }]);
    expect(feed.items[0].tags).toEqual([EVIL]);
  });
});

describe('ids are ASCII IRIs that never change', () => {
  const TAG_URI = /^tag:[a-z0-9.-]+,\d{4}(-\d{2}){0,2}:([A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*$/;
  const site = render([
    makeArticle('2026/11/naïve story', { topics: ['医疗', 'Énergie verte', 'AI', '🚀 Space'], category: 'Ciência' }),
  ]);

  it('percent-encodes non-ASCII topic and category slugs in Atom feed ids (RFC 4151 allows only ASCII)', () => {
    const ids = site.outputs
      .filter((o) => o.key.endsWith('atom.xml'))
      .map((o) => /<id>([^<]*)<\/id>/.exec(o.body)?.[1]);
    expect(ids).toContain('tag:example.org,2026:feeds/topics/%E5%8C%BB%E7%96%97');
    expect(ids).toContain('tag:example.org,2026:feeds/categories/ciencia');
    for (const id of ids) expect(id).toMatch(TAG_URI);
  });

  it('keeps the ids that were valid before: the site feed, ASCII topics and article ids', () => {
    const atomId = (key: string) => /<id>([^<]*)<\/id>/.exec(site.get(key).body)?.[1];
    expect(atomId('atom.xml')).toBe('tag:example.org,2026:feeds/all');
    expect(atomId('topics/ai/atom.xml')).toBe('tag:example.org,2026:feeds/topics/ai');
    expect(atomId('topics/energie-verte/atom.xml')).toBe('tag:example.org,2026:feeds/topics/energie-verte');
    expect(site.json('feed.json').items[0].id).toBe('tag:example.org,2026:articles/2026/11/na%C3%AFve%20story');
  });

  it('gives every item id in every format the tag: syntax', () => {
    for (const output of site.outputs.filter((o) => /\.(xml|json)$/.test(o.key) && o.key !== 'topics.json')) {
      for (const [, id] of output.body.matchAll(/<(?:id|guid)[^>]*>([^<]*)</g)) expect(id, output.key).toMatch(TAG_URI);
      if (output.key.endsWith('.json')) {
        for (const item of JSON.parse(output.body).items) expect(item.id).toMatch(TAG_URI);
      }
    }
  });
});

describe('what a feed is made from (feedInputs), for leaving unchanged feeds unrendered', () => {
  type Article = ReturnType<typeof makeArticle>;
  interface Scenario {
    articles: Article[];
    /** The version of each article's file; an edit of the file is a new version. */
    versions: Record<string, string>;
    overrides?: Record<string, unknown>;
    now?: Date;
  }
  const a = makeArticle('a', { topics: ['Energy'], category: 'news' });
  const b = makeArticle('b', { topics: ['Space'], publishedAt: new Date('2026-11-21T09:00:00Z') });
  const base: Scenario = { articles: [a, b], versions: { a: 'a1', b: 'b1' } };
  const later = new Date(NOW.getTime() + 7 * 86_400_000);
  const futureEdit = makeArticle('a', { topics: ['Energy'], category: 'news', updatedAt: later });
  const scenarios: Record<string, Scenario> = {
    base,
    'a week later': { ...base, now: later },
    'another site title': { ...base, overrides: { title: 'Another Wire' } },
    'b edited': {
      articles: [a, makeArticle('b', { topics: ['Space'], title: 'New title', publishedAt: b.publishedAt })],
      versions: { a: 'a1', b: 'b2' },
    },
    'b spelled its topic another way': {
      articles: [a, makeArticle('b', { topics: ['SPACE'], publishedAt: b.publishedAt })],
      versions: { a: 'a1', b: 'b3' },
    },
    'an edit of a dated later': { articles: [futureEdit, b], versions: { a: 'a2', b: 'b1' } },
    'an edit of a dated later, once it is due': {
      articles: [futureEdit, b],
      versions: { a: 'a2', b: 'b1' },
      now: later,
    },
    'nothing published': { articles: [], versions: {} },
    'nothing published, a week later': { articles: [], versions: {}, now: later },
  };
  const made = Object.fromEntries(
    Object.entries(scenarios).map(([name, { articles, versions, overrides, now = NOW }]) => {
      const config = testConfig(overrides);
      const plan = planSite(articles, config);
      const shown = new Map(articles.map((article) => [article.id, renderArticle(article)]));
      const bodies = new Map(renderSite(plan, shown, config, { now }).outputs.map((o) => [o.key, o.body]));
      const inputs = feedInputs(plan, config, now, (id) => versions[id]);
      return [name, { inputs, files: (dir: string) => feedKeys(dir).map((key) => bodies.get(key)) }];
    }),
  );
  const inputsOf = (name: string) => made[name]!.inputs;

  it('gives equal inputs only where the three files are byte-identical', () => {
    let equalPairs = 0;
    for (const [one, x] of Object.entries(made)) {
      for (const [other, y] of Object.entries(made)) {
        for (const [dir, text] of x.inputs) {
          if (y.inputs.get(dir) !== text) continue;
          equalPairs += 1;
          expect(y.files(dir), `${dir} in "${one}" and "${other}"`).toEqual(x.files(dir));
          expect(x.files(dir).every((body) => body !== undefined)).toBe(true);
        }
      }
    }
    expect(equalPairs).toBeGreaterThan(Object.keys(made).length * 4);
  });

  it('stays equal when only the time moved on', () => {
    expect(inputsOf('a week later')).toEqual(inputsOf('base'));
    expect([...inputsOf('base').keys()]).toEqual(['', 'topics/energy/', 'topics/space/', 'categories/news/']);
  });

  it('changes for the feeds an edited article is in, and for no other', () => {
    const changed = [...inputsOf('base')].filter(([dir, text]) => inputsOf('b edited').get(dir) !== text);
    expect(changed.map(([dir]) => dir)).toEqual(['', 'topics/space/']);
  });

  it("changes with the settings, a topic's spelling, an edit coming due, and the time of a feed without items", () => {
    for (const dir of inputsOf('base').keys()) {
      expect(inputsOf('another site title').get(dir)).not.toBe(inputsOf('base').get(dir));
    }
    const topicFiles = made['b spelled its topic another way']!.files('topics/space/');
    expect(topicFiles[0]).toContain('SPACE');
    expect(inputsOf('b spelled its topic another way').get('topics/space/')).not.toBe(
      inputsOf('b edited').get('topics/space/'),
    );
    expect(inputsOf('an edit of a dated later, once it is due').get('topics/energy/')).not.toBe(
      inputsOf('an edit of a dated later').get('topics/energy/'),
    );
    expect(made['an edit of a dated later, once it is due']!.files('topics/energy/')[1]).toContain(
      '<updated>2026-12-01',
    );
    expect(inputsOf('nothing published, a week later').get('')).not.toBe(inputsOf('nothing published').get(''));
  });

  it('names no inputs for a feed with an article of unknown version, so that feed is always rendered', () => {
    const config = testConfig();
    const inputs = feedInputs(planSite([a, b], config), config, NOW, (id) => (id === 'a' ? 'a1' : undefined));
    expect([...inputs.keys()]).toEqual(['topics/energy/', 'categories/news/']);
  });

  it('leaves the feeds of unchanged channels unrendered and names their files as kept', () => {
    const config = testConfig();
    const plan = planSite([a, b], config);
    const shown = new Map([a, b].map((article) => [article.id, renderArticle(article)]));
    const all = renderSite(plan, shown, config, { now: NOW });
    const some = renderSite(plan, shown, config, { now: NOW, unchanged: new Set(['topics/energy/', '']) });
    expect(some.kept).toEqual([...feedKeys(''), ...feedKeys('topics/energy/')]);
    expect(all.kept).toEqual([]);
    const rendered = new Set(some.outputs.map((o) => o.key));
    for (const key of some.kept) expect(rendered.has(key)).toBe(false);
    expect(some.outputs).toEqual(all.outputs.filter((o) => !some.kept.includes(o.key)));
    // The lists that link to every feed are still whole.
    expect(some.feeds).toEqual(all.feeds);
  });
});
