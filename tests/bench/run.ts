// `npm run bench`: builds feeds from N generated articles (default 10,000), first on local folders, then on S3 (an
// s3rver stand-in on this machine): full build, incremental build after 10 changes, unchanged rebuild, with times and
// request counts. Figures go into BENCHMARKS.md by hand; no test asserts on time. The sending part (planner over
// BENCH_SUBSCRIBERS subscribers in dynalite, senders at a paced rate) runs last; BENCH_SENDING_ONLY=1 runs it alone.
// The whole-process part (tests/bench/hugo.ts: beside Hugo, warm runs, peak memory at BENCH_SCALES) runs after the
// bundles; BENCH_HUGO_ONLY=1 runs it alone. BENCH_S3_SCALE (default 100000, 0 to skip) sets the first build on s3rver.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { parseSiteConfig } from '../../functions/core/config.ts';
import { type BuildRequest, buildFeeds } from '../../functions/pipeline/build.ts';
import { FsStorage } from '../../functions/storage/fs.ts';
import { s3ClientConfig } from '../../functions/storage/location.ts';
import { S3Storage } from '../../functions/storage/s3.ts';
import { countRequests, type RequestCounts } from '../../functions/storage/s3-requests.ts';
import { startS3rver } from '../stand-ins/s3rver.ts';
import { generateArticles } from '../support/generate-articles.ts';
import { benchApi } from './api.ts';
import { benchBundles } from './bundles.ts';
import { benchDigest } from './digest.ts';
import { benchHugo, benchScales } from './hugo.ts';
import { benchSending } from './sending.ts';

const count = Number(process.env.BENCH_ARTICLES ?? 10_000);
const changed = 10;
const now = new Date('2026-11-24T12:00:00Z');
const config = parseSiteConfig(
  {
    title: 'Bench Wire',
    description: 'Generated news.',
    baseUrl: 'https://feeds.example.org/',
    author: { name: 'Bench' },
    idPrefix: 'tag:example.org,2026:',
  },
  'bench config',
);

const files = generateArticles({ count });
// Ten articles edited into fresh, published, high-quality news: they move to the top of their feeds.
const edited = files.slice(0, changed).map((f, i) => ({
  ...f,
  text: f.text
    .replace(/^title: "/m, 'title: "Breaking: ')
    .replace(/^publishedDateTime: .*$/m, `publishedDateTime: 2026-11-24T11:${String(50 + i)}:00Z`)
    .replace(/^quality: \d+$/m, 'quality: 95')
    .replace(/^published: false$/m, 'published: true'),
}));
const rows: string[] = [];

async function timed(
  label: string,
  run: () => Promise<{ summary: { outputs: { written: number } } }>,
  requests?: RequestCounts,
) {
  for (const key of Object.keys(requests ?? {})) delete requests?.[key];
  const start = process.hrtime.bigint();
  const report = await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const counted = requests
    ? Object.entries(requests)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')
    : '';
  rows.push(`| ${label} | ${seconds.toFixed(2)} s | ${report.summary.outputs.written} | ${counted} |`);
}

async function onFolders(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'newsfeeds-bench-'));
  try {
    const content = join(root, 'content');
    await mkdir(content);
    const limit = pLimit(64);
    await Promise.all(files.map(({ key, text }) => limit(() => writeFile(join(content, key), text))));
    const request = {
      source: new FsStorage(content),
      destination: new FsStorage(join(root, 'dist'), { createIfMissing: true }),
      config,
      now,
    };
    await timed('folders: full build (no manifest: every run reads every file)', () => buildFeeds(request));
    await timed('folders: rebuild, nothing changed', () => buildFeeds(request));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function onS3(): Promise<void> {
  const s3rver = await startS3rver();
  try {
    const env = { AWS_ENDPOINT_URL_S3: s3rver.endpoint };
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    const client = new S3Client({ ...s3ClientConfig(env), region: 'us-east-1', credentials });
    for (const bucket of ['content', 'site', 'state']) await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const limit = pLimit(32);
    const upload = (list: typeof files) =>
      Promise.all(
        list.map((f) =>
          limit(() => client.send(new PutObjectCommand({ Bucket: 'content', Key: `articles/${f.key}`, Body: f.text }))),
        ),
      );
    await upload(files);

    const builder = new S3Client({ ...s3ClientConfig(env), region: 'us-east-1', credentials });
    const requests = countRequests(builder);
    const request: BuildRequest = {
      source: new S3Storage(builder, { bucket: 'content', prefix: 'articles/' }),
      destination: new S3Storage(builder, { bucket: 'site', prefix: '' }),
      state: new S3Storage(builder, { bucket: 'state', prefix: '' }),
      config,
      now,
    };
    await timed('S3: full build (no manifest yet)', () => buildFeeds(request), requests);
    await upload(edited);
    await timed(`S3: incremental build, ${changed} articles changed`, () => buildFeeds(request), requests);
    await timed('S3: rebuild, nothing changed', () => buildFeeds(request), requests);
    const manifest = await request.state?.read('manifest.json.gz');
    rows.push(`| manifest size (gzipped) | ${((manifest?.length ?? 0) / 1024 / 1024).toFixed(2)} MiB | | |`);

    // The first build at scale, as the deployed builder runs it (checkpoints every minute).
    const scale = Number(process.env.BENCH_S3_SCALE ?? 100_000);
    if (scale > 0) {
      for (const bucket of ['content-scale', 'site-scale', 'state-scale']) {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
      }
      const many = generateArticles({ count: scale, seed: 7 });
      const uploadStart = process.hrtime.bigint();
      await Promise.all(
        many.map((f) =>
          limit(() =>
            client.send(new PutObjectCommand({ Bucket: 'content-scale', Key: `articles/${f.key}`, Body: f.text })),
          ),
        ),
      );
      const uploadSeconds = Number(process.hrtime.bigint() - uploadStart) / 1e9;
      let checkpoints = 0;
      const state = new S3Storage(builder, { bucket: 'state-scale', prefix: '' });
      const countingState = Object.assign(Object.create(state), {
        write: (...args: Parameters<S3Storage['write']>) => {
          if (args[0] === 'manifest.json.gz') checkpoints += 1;
          return state.write(...args);
        },
      }) as S3Storage;
      const big: BuildRequest = {
        source: new S3Storage(builder, { bucket: 'content-scale', prefix: 'articles/' }),
        destination: new S3Storage(builder, { bucket: 'site-scale', prefix: '' }),
        state: countingState,
        config,
        now,
      };
      await timed(
        `S3: first build of ${scale} articles (uploads took ${uploadSeconds.toFixed(0)} s)`,
        () => buildFeeds(big),
        requests,
      );
      rows.push(`| (its manifest writes: checkpoints every minute and the final one) | ${checkpoints} | | |`);
    }
  } finally {
    await s3rver.stop();
  }
}

async function printSending(): Promise<void> {
  const sendingRows = await benchSending();
  console.log('| sending | figure |\n| --- | --- |');
  for (const row of sendingRows) console.log(row);
  console.log('');
}

const scales = (process.env.BENCH_SCALES ?? '10000,50000,100000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
async function printWholeProcess(): Promise<void> {
  for (const row of await benchHugo(count)) console.log(row);
  console.log('');
  for (const row of await benchScales(scales)) console.log(row);
  console.log('');
}

// BENCH_HUGO_ONLY=1: the whole local build as separate processes (beside Hugo, warm, at scale), and nothing else.
if (process.env.BENCH_HUGO_ONLY === '1') {
  await printWholeProcess();
  process.exit(0);
}
// BENCH_SENDING_ONLY=1: the sending part alone (its peak-memory figures are then this part's, not the feeds' builds').
if (process.env.BENCH_SENDING_ONLY === '1') {
  await printSending();
  process.exit(0);
}
const digestRows = await benchDigest();
console.log('| digest | figure |\n| --- | --- |');
for (const row of digestRows) console.log(row);
console.log('');
const bundleRows = await benchBundles();
console.log(
  '| Lambda bundle | size | unused heavy modules (mjml, CDK) | cold require, median of 5 |\n| --- | --- | --- | --- |',
);
for (const row of bundleRows) console.log(row);
console.log('');
// BENCH_BUNDLES_ONLY=1 stops here.
if (process.env.BENCH_BUNDLES_ONLY === '1') process.exit(0);
if (process.env.BENCH_DIGEST_ONLY !== '1') await printWholeProcess();
const apiRows = await benchApi();
console.log('| subscriber API | figure |\n| --- | --- |');
for (const row of apiRows) console.log(row);
console.log('');
// BENCH_DIGEST_ONLY=1 stops here (the digest and the subscriber API, without the feeds' 10,000-article builds).
if (process.env.BENCH_DIGEST_ONLY === '1') process.exit(0);
await onFolders();
// BENCH_S3=0 skips the S3 part (at 100,000 articles s3rver alone needs minutes to take the uploads).
if (process.env.BENCH_S3 !== '0') await onS3();
console.log(`${count} generated articles; s3rver answers about 500 requests/s on this machine, so S3 times here are`);
console.log(
  'dominated by the stand-in, not by the builder. Peak memory is for the whole process, generator included.\n',
);
console.log('| run | time | outputs written | S3 requests |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) console.log(row);
console.log(`\npeak resident memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);

await printSending();
