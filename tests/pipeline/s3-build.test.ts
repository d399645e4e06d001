// The pipeline on S3 (s3rver): full, incremental and unchanged runs with their request counts, deletions, corrupt
// objects, injected throttling and an interrupted run.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { type BuildRequest, buildFeeds } from '../../functions/pipeline/build.ts';
import { FsStorage } from '../../functions/storage/fs.ts';
import type { Storage } from '../../functions/storage/port.ts';
import { S3Storage } from '../../functions/storage/s3.ts';
import { countRequests, type RequestCounts } from '../../functions/storage/s3-requests.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { generateArticles } from '../support/generate-articles.ts';
import { testConfig } from '../support/site-config.ts';
import { useTempDirs } from '../support/temp-dir.ts';

const now = new Date('2026-11-24T12:00:00Z');
const config = testConfig({ itemLimit: 20 });
const tempDir = useTempDirs();

interface Site {
  content: { bucket: string; client: S3Client };
  request: () => BuildRequest & { counts: { content: RequestCounts; site: RequestCounts; state: RequestCounts } };
  upload: (key: string, text: string) => Promise<void>;
}

/** Three buckets (content, public site, private state), each read through its own counted client. */
async function newSite(): Promise<Site> {
  const admin = testS3Client();
  const [contentBucket, siteBucket, stateBucket] = await Promise.all([
    newBucket(admin, 'content'),
    newBucket(admin, 'site'),
    newBucket(admin, 'state'),
  ]);
  const upload = async (key: string, text: string) => {
    await admin.send(new PutObjectCommand({ Bucket: contentBucket, Key: `articles/${key}`, Body: text }));
  };
  return {
    content: { bucket: contentBucket, client: admin },
    upload,
    request: () => {
      const clients = { content: testS3Client(), site: testS3Client(), state: testS3Client() };
      const counts = {
        content: countRequests(clients.content),
        site: countRequests(clients.site),
        state: countRequests(clients.state),
      };
      return {
        source: new S3Storage(clients.content, { bucket: contentBucket, prefix: 'articles/' }),
        destination: new S3Storage(clients.site, { bucket: siteBucket, prefix: '' }),
        state: new S3Storage(clients.state, { bucket: stateBucket, prefix: 'feeds/' }),
        config,
        now,
        counts,
      };
    },
  };
}

async function contents(storage: Storage): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const { key } of storage.list()) files.set(key, new TextDecoder().decode(await storage.read(key)));
  return files;
}

const corpus = generateArticles({ count: 60, seed: 7 });
/** Published and above the bar, so it appears in the feeds. */
const isSelected = (file: { text: string }) =>
  file.text.includes('published: true') && Number(/^quality: (\d+)/m.exec(file.text)?.[1]) >= config.minQuality;

describe('building on S3', () => {
  it('rebuilds incrementally: one listing, GETs only for changed objects, PUTs only for changed outputs', async () => {
    const site = await newSite();
    await Promise.all(corpus.map((f) => site.upload(f.key, f.text)));

    const full = site.request();
    const first = await buildFeeds(full);
    expect(first.incremental).toEqual({
      fetched: 60,
      feedsRendered: first.summary.feeds,
      fullRebuildBecause: 'no manifest yet',
    });
    expect(full.counts.content).toEqual({ ListObjectsV2: 1, GetObject: 60 });
    expect(full.counts.state).toEqual({ GetObject: 1, HeadObject: 1, PutObject: 1 });
    expect(full.counts.site.PutObject).toBe(first.summary.outputs.written);

    // Change 3 published articles' titles (new ETags), leave the other 57 alone.
    const changed = corpus.filter(isSelected).slice(0, 3);
    for (const file of changed) await site.upload(file.key, file.text.replace(/^title: "/m, 'title: "Updated: '));
    const incremental = site.request();
    const second = await buildFeeds(incremental);
    // Only the feeds that show a changed article are rendered, and each of them changed (the front page may too).
    expect(second.incremental).toEqual({ fetched: 3, feedsRendered: expect.any(Number) });
    expect(second.incremental.feedsRendered).toBeGreaterThan(1);
    expect(second.incremental.feedsRendered).toBeLessThan(first.summary.feeds);
    expect(second.summary.outputs.written - 3 * second.incremental.feedsRendered).toBeOneOf([0, 1]);
    expect(incremental.counts.content).toEqual({ ListObjectsV2: 1, GetObject: 3 });
    expect(incremental.counts.state).toEqual({ GetObject: 1, HeadObject: 1, PutObject: 1 });
    expect(incremental.counts.site).toEqual({ ListObjectsV2: 1, PutObject: second.summary.outputs.written });
    expect(second.summary.outputs.written).toBeGreaterThan(0);
    expect(second.summary.outputs.written).toBeLessThan(first.summary.outputs.written);
    expect(second.summary.published).toBe(first.summary.published);

    // Nothing changed: no article GET, no output PUT, the manifest is read and, every entry being its own, left alone
    // without even a HEAD to compare it.
    const unchanged = site.request();
    const third = await buildFeeds(unchanged);
    expect(unchanged.counts.content).toEqual({ ListObjectsV2: 1 });
    expect(unchanged.counts.site).toEqual({ ListObjectsV2: 1 });
    expect(unchanged.counts.state).toEqual({ GetObject: 1 });
    expect(third.summary.outputs).toEqual({ written: 0, unchanged: first.summary.outputs.written, deleted: 0 });
    expect(third.incremental).toEqual({ fetched: 0, feedsRendered: 0 });
  });

  it('builds the same feeds from a folder and from S3', async () => {
    const folder = await tempDir();
    await mkdir(join(folder, 'content'));
    await Promise.all(corpus.map((f) => writeFile(join(folder, 'content', f.key), f.text)));
    await buildFeeds({
      source: new FsStorage(join(folder, 'content')),
      destination: new FsStorage(join(folder, 'dist'), { createIfMissing: true }),
      config,
      now,
    });

    const site = await newSite();
    await Promise.all(corpus.map((f) => site.upload(f.key, f.text)));
    const request = site.request();
    await buildFeeds(request);

    const fromS3 = await contents(request.destination);
    const fromFolder = new Map<string, string>();
    for (const entry of await readdir(join(folder, 'dist'), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) {
        const path = join(entry.parentPath, entry.name);
        fromFolder.set(path.slice(join(folder, 'dist').length + 1), await readFile(path, 'utf8'));
      }
    }
    expect([...fromS3.keys()].sort()).toEqual([...fromFolder.keys()].sort());
    for (const [key, body] of fromFolder) expect(fromS3.get(key), key).toBe(body);
  });

  it('removes a deleted article from the feeds, and the feeds of a topic left empty', async () => {
    const site = await newSite();
    const lonely = corpus.find((f) => f.text.includes('published: true') && / {2}- "Fusion"/.test(f.text));
    const text = (lonely ?? corpus[0]!).text
      .replace(/^topics:\n( {2}- .*\n)+/m, 'topics:\n  - "Lonely Topic"\n')
      .replace(/^quality: \d+/m, 'quality: 99');
    await site.upload('lonely.md', text);
    // Another published article stays, so the site is not left empty (which the shrink guard would refuse).
    const staying = corpus.find((f) => f !== lonely && f.text.includes('published: true'))!;
    await site.upload(staying.key, staying.text.replace(/^quality: \d+/m, 'quality: 99'));
    const first = site.request();
    await buildFeeds(first);
    const before = await contents(first.destination);
    expect(before.has('topics/lonely-topic/feed.xml')).toBe(true);

    await site.content.client.send(new DeleteObjectCommand({ Bucket: site.content.bucket, Key: 'articles/lonely.md' }));
    const second = site.request();
    const report = await buildFeeds(second);
    const files = await contents(second.destination);
    expect(report.summary.outputs.deleted).toBe(before.size - files.size);
    expect(report.summary.outputs.deleted).toBeGreaterThanOrEqual(3);
    expect([...files.keys()].filter((k) => k.startsWith('topics/lonely-topic/'))).toEqual([]);
    expect(files.get('feed.json')).not.toContain('articles/lonely');
    expect(files.get('index.html')).not.toContain('Lonely Topic');
    expect(second.counts.content.GetObject ?? 0).toBe(0);
  });

  it('reports a corrupt object by key, publishes the rest, and does not fetch it again while unchanged', async () => {
    const site = await newSite();
    await site.upload(
      'good.md',
      corpus.find((f) => f.text.includes('published: true'))!.text.replace(/^quality: \d+/m, 'quality: 90'),
    );
    await site.upload('corrupt.md', '---\ntitle: [unclosed\nquality: 5\n---\n');
    const first = site.request();
    const report = await buildFeeds(first);
    expect(report.summary.published).toBe(1);
    expect(report.rejected).toEqual([
      {
        file: expect.stringMatching(/^s3:\/\/content-[a-z0-9]+\/articles\/corrupt\.md$/),
        reason: 'invalid',
        problems: [expect.objectContaining({ field: 'front matter' })],
      },
    ]);
    const again = site.request();
    const second = await buildFeeds(again);
    expect(second.rejected).toHaveLength(1);
    expect(again.counts.content).toEqual({ ListObjectsV2: 1 });
  });

  it('retries a throttled S3 request (503 SlowDown) with backoff and completes the run', async () => {
    const site = await newSite();
    await Promise.all(corpus.slice(0, 5).map((f) => site.upload(f.key, f.text)));
    const request = site.request();
    const client = (request.source as unknown as { client: S3Client }).client;
    let throttled = 0;
    // s3rver never throttles; this stands in for S3 answering 503 SlowDown to the first two GETs.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand' && throttled < 2) {
          throttled += 1;
          throw Object.assign(new Error('Please reduce your request rate.'), {
            name: 'SlowDown',
            $fault: 'server',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'injectSlowDown' },
    );
    const report = await buildFeeds(request);
    expect(throttled).toBe(2);
    expect(report.rejected).toEqual([]);
    expect(report.summary.read).toBe(5);
  });

  it('repairs everything after a run that died between writes', async () => {
    const site = await newSite();
    await Promise.all(corpus.slice(0, 30).map((f) => site.upload(f.key, f.text)));
    await buildFeeds(site.request());
    for (const file of corpus.slice(0, 10))
      await site.upload(file.key, file.text.replace(/^title: "/m, 'title: "Revised: '));

    // The run dies after its fourth write.
    const dying = site.request();
    const destination = dying.destination;
    let writes = 0;
    const crashing: Storage = {
      displayName: (key) => destination.displayName(key),
      list: () => destination.list(),
      read: (key) => destination.read(key),
      delete: (key) => destination.delete(key),
      write: async (key, body, options) => {
        if (++writes > 4) throw new Error('Lambda timed out');
        return destination.write(key, body, options);
      },
    };
    await expect(buildFeeds({ ...dying, destination: crashing })).rejects.toThrow('Lambda timed out');

    const repair = site.request();
    const report = await buildFeeds(repair);
    expect(report.incremental.fetched).toBe(10);

    const reference = await newSite();
    await Promise.all(
      corpus
        .slice(0, 30)
        .map((f, i) => reference.upload(f.key, i < 10 ? f.text.replace(/^title: "/m, 'title: "Revised: ') : f.text)),
    );
    const fresh = reference.request();
    await buildFeeds(fresh);
    expect(await contents(repair.destination)).toEqual(await contents(fresh.destination));
  });

  it('does a full rebuild when the manifest is corrupt', async () => {
    const site = await newSite();
    await Promise.all(corpus.slice(0, 5).map((f) => site.upload(f.key, f.text)));
    const first = site.request();
    await buildFeeds(first);
    await first.state!.write('manifest.json.gz', new TextEncoder().encode('not gzip'), {
      contentType: 'application/json',
    });
    const report = await buildFeeds(site.request());
    expect(report.incremental).toEqual({
      fetched: 5,
      feedsRendered: report.summary.feeds,
      fullRebuildBecause: 'manifest is corrupt',
    });
  });
});
