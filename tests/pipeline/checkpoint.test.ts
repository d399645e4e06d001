// A first build too long for one run (100,000 articles from S3 against a Lambda timeout) saves what it has parsed as
// it goes; cut off after any number of reads, again and again, the runs still converge to the feeds of one whole build.
import { describe, expect, it } from 'vitest';
import { type BuildProgress, type BuildRequest, buildFeeds } from '../../functions/pipeline/build.ts';
import { MANIFEST_KEY } from '../../functions/pipeline/manifest.ts';
import { MemoryStorage } from '../../functions/storage/memory.ts';
import { generateArticles } from '../support/generate-articles.ts';
import { storedEntries } from '../support/manifest-file.ts';
import { testConfig } from '../support/site-config.ts';

const now = new Date('2026-11-24T12:00:00Z');
const config = testConfig({ itemLimit: 5 });
const corpus = generateArticles({ count: 120, seed: 21 });

/**
 * A run stopped (as a timeout stops a Lambda function: no error handling of ours runs) after `budget` articles were
 * read: the progress report of the next read throws.
 */
const cutOffAfter = (budget: number) => (event: BuildProgress) => {
  if (event.step === 'reading' && event.done > budget) throw new Error('Task timed out after 900.00 seconds');
};

const content = new MemoryStorage();
for (const file of corpus) content.put(file.key, file.text);

const texts = (storage: MemoryStorage) =>
  new Map([...storage.objects].map(([key, { body }]) => [key, new TextDecoder().decode(body)]));

const manifestSize = (state: MemoryStorage) => Object.keys(storedEntries(state.objects.get(MANIFEST_KEY)?.body)).length;

async function reference(): Promise<Map<string, string>> {
  const destination = new MemoryStorage();
  await buildFeeds({ source: content, destination, config, now, ping: false });
  return texts(destination);
}

describe('a first build cut off again and again', () => {
  it.each([1, 7, 25, 50])('converges to the whole build when every run stops after %i reads', async (budget) => {
    const destination = new MemoryStorage();
    const state = new MemoryStorage();
    const request = (budget: number): BuildRequest => ({
      source: content,
      destination,
      state,
      config,
      now,
      ping: false,
      checkpointEveryMs: 0,
      progress: cutOffAfter(budget),
    });
    let runs = 0;
    let saved = 0;
    let last = Number.NaN;
    for (;;) {
      runs += 1;
      expect(runs).toBeLessThanOrEqual(corpus.length + 1);
      try {
        const report = await buildFeeds(request(budget));
        // The last run read only what the earlier ones had not saved.
        last = report.incremental.fetched;
        break;
      } catch (error) {
        expect((error as Error).message).toMatch(/timed out/);
        // A checkpoint already being written when the run stopped completes (the model: what a run saved by the
        // time it stopped is kept); give it the moment it needs.
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Each cut-off run saved more than the one before.
        const now = manifestSize(state);
        expect(now).toBeGreaterThan(saved);
        saved = now;
      }
    }
    expect(runs).toBeGreaterThan(1);
    expect(last).toBeLessThanOrEqual(budget);
    expect(texts(destination)).toEqual(await reference());
  });

  it('saves nothing before the interval has passed, so a short build writes its manifest once, at the end', async () => {
    const state = new MemoryStorage();
    const destination = new MemoryStorage();
    const run = buildFeeds({
      source: content,
      destination,
      state,
      config,
      now,
      ping: false,
      progress: cutOffAfter(30),
    });
    await expect(run).rejects.toThrow(/timed out/);
    expect(state.objects.has(MANIFEST_KEY)).toBe(false);
  });
});
