// `npm run bench`: builds feeds from N generated articles on the local folder adapter and prints times and memory.
// Figures go into BENCHMARKS.md by hand; no test asserts on time.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSiteConfig } from '../../functions/core/config.ts';
import { buildFeeds } from '../../functions/pipeline/build.ts';
import { FsStorage } from '../../functions/storage/fs.ts';
import { generateArticles } from '../support/generate-articles.ts';

const count = Number(process.env.BENCH_ARTICLES ?? 10_000);
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

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await run();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

const root = await mkdtemp(join(tmpdir(), 'newsfeeds-bench-'));
try {
  const contentDir = join(root, 'content');
  const files = generateArticles({ count });
  await mkdir(contentDir, { recursive: true });
  await Promise.all(files.map(({ key, text }) => writeFile(join(contentDir, key), text)));
  const request = {
    source: new FsStorage(contentDir),
    destination: new FsStorage(join(root, 'dist')),
    config,
    now: new Date('2026-11-24T12:00:00Z'),
  };
  const full = await timed(() => buildFeeds(request));
  const again = await timed(() => buildFeeds(request));
  const s = full.result.summary;
  console.log(`articles: ${count} (${s.published} published, ${s.feeds} feeds)`);
  console.log(
    `| local folder, full build (cold output folder) | ${(full.ms / 1000).toFixed(2)} s | ${s.outputs.written} files written |`,
  );
  console.log(
    `| local folder, rebuild with nothing changed | ${(again.ms / 1000).toFixed(2)} s | ${again.result.summary.outputs.written} files written |`,
  );
  console.log(`| peak resident memory | ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB | |`);
} finally {
  await rm(root, { recursive: true, force: true });
}
