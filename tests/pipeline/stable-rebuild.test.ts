// Rebuilding into the same folder from the same articles must leave it alone. A slug cut inside a surrogate pair once
// named a file the file system stored under another name, so alternate builds deleted a topic's feeds (still linked
// from the index and OPML) and wrote them again.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { type BuildReport, buildFeeds } from '../../functions/pipeline/build.ts';
import { FsStorage } from '../../functions/storage/fs.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { articleFile, validFields } from '../support/article-source.ts';
import { testConfig } from '../support/site-config.ts';
import { useTempDirs } from '../support/temp-dir.ts';

const now = new Date('2026-11-24T12:00:00Z');
const config = testConfig();
const FEED_FILES = ['feed.xml', 'atom.xml', 'feed.json'];

// A character outside the Basic Multilingual Plane (CJK Extension B): one letter, two UTF-16 units.
const ASTRAL = '\u{20000}';

interface Story {
  topics: string[];
  /** Without one, the article keeps the valid fields' category, `news`. */
  category?: string;
}

function sourceOf(stories: readonly Story[]): MemoryStorage {
  const source = new MemoryStorage();
  stories.forEach(({ topics, category }, n) => {
    const url = `https://news.example.org/${n}`;
    source.put(
      `story-${n}.md`,
      articleFile(
        validFields({ title: `Story ${n}`, webUrl: url, originalUrl: url, topics, ...(category && { category }) }),
      ),
    );
  });
  return source;
}

function buildInto(folder: string, source: MemoryStorage): Promise<BuildReport> {
  const destination = new FsStorage(folder, { createIfMissing: true });
  return buildFeeds({ source, destination, config, now, ping: false });
}

/** The key below the output folder of every feed feeds.opml lists, decoded from its URL below the base URL. */
async function feedKeysInOpml(folder: string): Promise<string[]> {
  const opml = await readFile(join(folder, 'feeds.opml'), 'utf8');
  const urls: string[] = [];
  const collect = (outlines: unknown): void => {
    for (const outline of [outlines ?? []].flat() as { '@_xmlUrl'?: string; outline?: unknown }[]) {
      if (outline['@_xmlUrl']) urls.push(outline['@_xmlUrl']);
      collect(outline.outline);
    }
  };
  collect(new XMLParser({ ignoreAttributes: false }).parse(opml).opml.body.outline);
  const basePath = new URL(config.baseUrl).pathname;
  return urls.map((url) => {
    expect(url.startsWith(config.baseUrl), url).toBe(true);
    return decodeURIComponent(new URL(url).pathname.slice(basePath.length));
  });
}

const inRange = (first: number, last: number) =>
  fc.integer({ min: first, max: last }).map((codePoint) => String.fromCodePoint(codePoint));
const astralLetter = inRange(0x20000, 0x2a6df); // CJK Extension B
const visible = fc.oneof(
  astralLetter,
  inRange(0x1f600, 0x1f64f), // emoji (astral)
  inRange(0x1d400, 0x1d6a3), // mathematical letters (astral; NFKD folds them to ASCII)
  inRange(0x05d0, 0x05ea), // Hebrew letters (right-to-left)
  inRange(0x0621, 0x064a), // Arabic letters (right-to-left)
  inRange(0x4e00, 0x9fff), // CJK unified ideographs
  inRange(0xac00, 0xd7a3), // Hangul syllables (NFKD splits each into two or three letters)
  inRange(0x61, 0x7a), // ASCII letters
);
const invisibleOrSeparator = fc.oneof(
  inRange(0x0300, 0x036f), // combining marks
  inRange(0x064b, 0x0652), // Arabic vowel marks
  fc.constantFrom(' ', '-', '&', '.', '\u200f'), // separators and a right-to-left mark
);
/**
 * A valid topic or category name: 1 to 80 characters starting with a visible one. Half are short; half are long and
 * rich in astral letters, so their slugs often reach the cut at 80 units with a surrogate pair across it.
 */
const labelName = fc
  .tuple(
    visible,
    fc.oneof(
      fc.string({ unit: fc.oneof(visible, invisibleOrSeparator), maxLength: 12 }),
      fc.string({
        unit: fc.oneof(
          { arbitrary: astralLetter, weight: 2 },
          { arbitrary: visible, weight: 2 },
          { arbitrary: invisibleOrSeparator, weight: 1 },
        ),
        minLength: 40,
        maxLength: 79,
      }),
    ),
  )
  .map(([first, rest]) => first + rest);
const stories = fc.array(
  fc.record({ topics: fc.array(labelName, { minLength: 1, maxLength: 3 }), category: labelName }),
  { minLength: 1, maxLength: 3 },
);

const isOnDisk = (folder: string) => (key: string) => existsSync(join(folder, ...key.split('/')));

describe('rebuilding into the same folder', () => {
  const tempDir = useTempDirs();

  it('keeps the feeds of a topic whose slug is cut next to an astral character, build after build', async () => {
    const folder = await tempDir();
    const source = sourceOf([{ topics: [`a${ASTRAL.repeat(40)}`] }, { topics: ['Energy'] }]);

    const outputs: BuildReport['summary']['outputs'][] = [];
    const listedButMissing: string[][] = [];
    for (let run = 1; run <= 3; run += 1) {
      outputs.push((await buildInto(folder, source)).summary.outputs);
      const listed = await feedKeysInOpml(folder);
      expect(listed).toHaveLength(4); // the site, two topics, one category
      listedButMissing.push(listed.filter((key) => !isOnDisk(folder)(key)));
    }

    expect(listedButMissing).toEqual([[], [], []]);
    const [first, ...rebuilds] = outputs;
    expect(first?.written).toBeGreaterThan(0);
    expect(rebuilds).toEqual([
      { written: 0, unchanged: first?.written, deleted: 0 },
      { written: 0, unchanged: first?.written, deleted: 0 },
    ]);
    const topicFeeds = FEED_FILES.map((name) => `topics/a${ASTRAL.repeat(39)}/${name}`);
    expect(topicFeeds.filter(isOnDisk(folder))).toEqual(topicFeeds);
  });

  it('writes and deletes nothing the second time, whatever the scripts of the topic and category names', async () => {
    // Generated names are meant to be valid: most runs must publish, or the property would test empty sites.
    const runs = { all: 0, published: 0 };

    await fc.assert(
      fc.asyncProperty(stories, async (generated) => {
        const folder = await mkdtemp(join(tmpdir(), 'newsfeeds-rebuild-'));
        try {
          const source = sourceOf(generated);
          const first = await buildInto(folder, source);
          const second = await buildInto(folder, source);
          runs.all += 1;
          if (first.summary.published > 0) runs.published += 1;
          expect(second.refused).toBeUndefined();
          expect(second.summary.outputs).toEqual({
            written: 0,
            unchanged: first.summary.outputs.written,
            deleted: 0,
          });
        } finally {
          await rm(folder, { recursive: true, force: true });
        }
      }),
      // Shrinking a failure stops after 8 s; the failing case found so far is still reported.
      { numRuns: 40, interruptAfterTimeLimit: 8_000 },
    );
    expect(runs.published).toBeGreaterThanOrEqual(runs.all / 2);
  });
});
