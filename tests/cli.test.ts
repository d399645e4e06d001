import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it, vi } from 'vitest';
import { runCli } from '../functions/cli.ts';
import { DynamoLease } from '../functions/storage/dynamo-lease.ts';
import { FileLease } from '../functions/storage/file-lease.ts';
import { FsStorage } from '../functions/storage/fs.ts';
import { buildCli, CLI_BUNDLE } from '../scripts/build-cli.ts';
import { newBucket, testS3Client } from './stand-ins/s3.ts';
import { articleFile, SECRET, validFields } from './support/article-source.ts';
import { newLeaseTable, testDocumentClient } from './support/dynamo.ts';
import { useHubs } from './support/hub.ts';
import { useTempDirs } from './support/temp-dir.ts';
import { strictXmlErrors, validateAtom, validateJsonFeed } from './support/validators.ts';

const tempDir = useTempDirs();
const run = promisify(execFile);
const NOW = '2026-11-24T12:00:00Z';
/** What the clock says during a CLI run of these tests (the lease's expiry is measured with it). */
const CLOCK = new Date('2030-01-01T00:00:00Z');

/**
 * Runs the CLI; without `--state` in `args`, with a fresh state folder (never the repository's .state/). With
 * `progress`, as if stderr were a terminal: progress lines are collected there.
 */
async function cli(args: string[], env: Record<string, string> = {}, progress?: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const withState = args.includes('--state') ? args : [...args, '--state', await tempDir()];
  const status = await runCli(withState, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    clock: () => CLOCK,
    env,
    ...(progress ? { progress: (line: string) => progress.push(line) } : {}),
  });
  return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

async function contentFolder(files: Record<string, string>): Promise<string> {
  const dir = await tempDir();
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

describe('npm start on the sample content', () => {
  it('builds every feed, the OPML list and the index page, and prints the summary', async () => {
    const out = await tempDir();
    const { status, stdout } = await cli(['--out', out, '--now', NOW]);
    expect(status).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(
      /^read \d+; published \d+; skipped \d+ \(.*\); feeds \d+; files written \d+, unchanged 0, deleted 0$/,
    );
    const files = await listFiles(out);
    expect(files).toEqual(expect.arrayContaining(['feed.xml', 'atom.xml', 'feed.json', 'feeds.opml', 'index.html']));
    expect(files.some((f) => f.startsWith('topics/'))).toBe(true);
    expect(files.some((f) => f.startsWith('categories/'))).toBe(true);
  });

  it('writes no secured value into any output file', async () => {
    const out = await tempDir();
    await cli(['--out', out, '--now', NOW]);
    const secrets: string[] = [];
    for (const name of await readdir('content')) {
      const match = /^secured:\s*"?([^"\n]+)/m.exec(await readFile(join('content', name), 'utf8'));
      if (match?.[1]) secrets.push(match[1].slice(0, 32));
    }
    expect(secrets.length).toBeGreaterThan(0);
    for (const file of await listFiles(out)) {
      const body = await readFile(join(out, file), 'utf8');
      for (const secret of secrets) expect(body, file).not.toContain(secret);
    }
  });

  it('writes feeds that pass the independent validators', async () => {
    const out = await tempDir();
    await cli(['--out', out, '--now', NOW]);
    const files = await listFiles(out);
    for (const file of files) {
      const body = await readFile(join(out, file), 'utf8');
      if (file.endsWith('atom.xml')) expect(await validateAtom(body), file).toEqual([]);
      if (file.endsWith('feed.json')) expect(validateJsonFeed(body), file).toEqual([]);
      if (file.endsWith('.xml') || file.endsWith('.opml')) expect(await strictXmlErrors(body), file).toEqual([]);
    }
  });

  it('builds byte-identical output twice, and the second run writes nothing', async () => {
    const [a, b, state] = [await tempDir(), await tempDir(), await tempDir()];
    // One state (and so one signing key): the second run rewrites the same digest issue, mail included.
    await cli(['--out', a, '--now', NOW, '--state', state]);
    await cli(['--out', b, '--now', NOW, '--state', state]);
    const files = await listFiles(a);
    expect(files).toEqual(expect.arrayContaining(['digests/2026-W48.html', 'mail/2026-W48.eml']));
    expect(await listFiles(b)).toEqual(files);
    for (const file of files) expect(await readFile(join(b, file)), file).toEqual(await readFile(join(a, file)));
    const again = await cli(['--out', a, '--now', NOW, '--state', state]);
    const feedFiles = files.filter((f) => !f.startsWith('digests/') && !f.startsWith('mail/'));
    expect(again.stdout).toContain(`files written 0, unchanged ${feedFiles.length}, deleted 0`);
    expect(again.stdout).toContain('digest: issue 2026-W48 (#1) already complete this week');
  });
});

/** The sample articles, copied into a folder the test may edit. */
async function sampleContent(): Promise<string> {
  const dir = await tempDir();
  await cp('content', dir, { recursive: true });
  return dir;
}

/** Every file below the folders with its modification time, to tell whether a run wrote anything. */
async function modificationTimes(...roots: string[]): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  for (const root of roots) {
    for (const file of await listFiles(root)) times[join(root, file)] = (await stat(join(root, file))).mtimeMs;
  }
  return times;
}

describe('warm rebuilds: the manifest in the state folder', () => {
  it('reads no article and writes nothing when nothing changed', async () => {
    const [content, out, state] = [await sampleContent(), await tempDir(), await tempDir()];
    const args = ['--content', content, '--out', out, '--state', state, '--now', NOW];
    expect((await cli(args)).status).toBe(0);
    expect(await listFiles(state)).toContain('manifest.json.gz');
    const before = await modificationTimes(out, state);
    // Every read of the content folder, by the feeds and by the digest.
    const read = vi.spyOn(FsStorage.prototype, 'read');
    try {
      const again = await cli([...args, '--json']);
      const articleReads = read.mock.contexts.filter((storage) => (storage as FsStorage).displayName('') === content);
      expect(articleReads).toEqual([]);
      const report = JSON.parse(again.stdout);
      expect(report.incremental).toEqual({ fetched: 0, feedsRendered: 0 });
      expect(report.summary.outputs.written).toBe(0);
      expect(report.digest).toMatchObject({ outcome: 'rewritten', written: [] });
    } finally {
      read.mockRestore();
    }
    expect(await modificationTimes(out, state)).toEqual(before);
  });

  it('builds incrementally the same bytes as a full build with --full', async () => {
    const [content, a, b, state] = [await sampleContent(), await tempDir(), await tempDir(), await tempDir()];
    const build = async (out: string, ...extra: string[]) => {
      const run = await cli(['--content', content, '--out', out, '--state', state, '--now', NOW, '--json', ...extra]);
      expect(run.status).toBe(0);
      return JSON.parse(run.stdout);
    };
    const first = await build(a);
    expect(first.incremental).toEqual({
      fetched: 20,
      feedsRendered: first.summary.feeds,
      fullRebuildBecause: 'no manifest yet',
    });
    // Three edits: a new headline, a draft published, an article pushed under the quality bar.
    const edit = async (name: string, from: RegExp, to: string) => {
      const text = await readFile(join(content, name), 'utf8');
      expect(text).toMatch(from);
      await writeFile(join(content, name), text.replace(from, to));
    };
    await edit('001_3f9c2a7b1d4e8f60.md', /^title: "/m, 'title: "Updated: ');
    await edit('000_a05a90f168b19f2a.md', /^published: false$/m, 'published: true');
    await edit('003_51c0e9aa47b2d6f3.md', /^quality: \d+$/m, 'quality: 1');
    const incremental = await build(a);
    expect(incremental.incremental).toEqual({ fetched: 3, feedsRendered: expect.any(Number) });
    expect(incremental.incremental.feedsRendered).toBeLessThan(incremental.summary.feeds);
    expect(incremental.summary.outputs.written).toBeGreaterThan(0);
    const manifest = await readFile(join(state, 'manifest.json.gz'));

    const full = await build(b, '--full');
    expect(full.incremental).toEqual({
      fetched: 20,
      feedsRendered: full.summary.feeds,
      fullRebuildBecause: 'a full rebuild was asked for',
    });
    expect(full.summary).toEqual({ ...incremental.summary, outputs: full.summary.outputs });
    const files = await listFiles(a);
    expect(await listFiles(b)).toEqual(files);
    for (const file of files) expect(await readFile(join(b, file)), file).toEqual(await readFile(join(a, file)));
    // The fresh manifest of the full build says what the incremental one said.
    expect(await readFile(join(state, 'manifest.json.gz'))).toEqual(manifest);
  });
});

describe('one feed build at a time per state', () => {
  it('leaves the build to another run that holds the lock, which builds once more, and exits 0', async () => {
    const [out, state] = [await tempDir(), await tempDir()];
    const other = new FileLease(state, 'feeds');
    expect(await other.acquire('a cron job', CLOCK, 60_000)).toBe(true);
    const { status, stdout, stderr } = await cli(['--out', out, '--state', state, '--now', NOW]);
    expect(status).toBe(0);
    expect(stdout).toBe('another build holds the lock; it will build once more');
    expect(stderr).toBe('');
    expect(await listFiles(out)).toEqual([]);
    // The holder is told to build once more.
    expect(await other.takeDirty('a cron job', CLOCK, 60_000)).toBe(true);
    await other.release('a cron job');
    expect((await cli(['--out', out, '--state', state, '--now', NOW])).stdout).toMatch(/^read 20;/);
  });

  it('says so in the --json document too', async () => {
    const state = await tempDir();
    await new FileLease(state, 'feeds').acquire('a cron job', CLOCK, 60_000);
    const { status, stdout } = await cli(['--out', await tempDir(), '--state', state, '--now', NOW, '--json']);
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      ran: false,
      because: 'another build holds the lock; it will build once more',
    });
  });

  it('leaves no lock behind in the state folder', async () => {
    const state = await tempDir();
    await cli(['--out', await tempDir(), '--state', state, '--now', NOW, '--feeds-only']);
    expect(await listFiles(state)).toEqual(['manifest.json.gz']);
  });

  it('refuses, with exit 1, an s3:// state without LOCK_TABLE: it could race the deployed builder', async () => {
    const out = await tempDir();
    const { status, stderr } = await cli(['--out', out, '--state', 's3://newsroom-state/feed-builder', '--now', NOW]);
    expect(status).toBe(1);
    expect(stderr).toContain('--state s3://newsroom-state/feed-builder/: set LOCK_TABLE to the lock table');
    expect(stderr).toContain('could run at the same time as the deployed one');
    expect(await listFiles(out)).toEqual([]);
  });

  it("keeps an s3:// state's manifest in the bucket, under the deployed builder's lease in LOCK_TABLE", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    try {
      const s3 = testS3Client();
      const bucket = await newBucket(s3, 'state');
      const documents = testDocumentClient();
      const table = await newLeaseTable(documents);
      const env = { AWS_ENDPOINT_URL_S3: inject('s3Endpoint'), AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint') };
      const args = ['--out', await tempDir(), '--state', `s3://${bucket}/feed-builder`, '--now', NOW, '--feeds-only'];
      const first = await cli([...args, '--json'], { ...env, LOCK_TABLE: table });
      expect(first.status).toBe(0);
      expect(JSON.parse(first.stdout).incremental).toMatchObject({
        fetched: 20,
        fullRebuildBecause: 'no manifest yet',
      });
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'feed-builder/manifest.json.gz' }));
      const again = await cli([...args, '--json'], { ...env, LOCK_TABLE: table });
      expect(JSON.parse(again.stdout).incremental).toEqual({ fetched: 0, feedsRendered: 0 });

      const deployed = new DynamoLease(documents, table, 'feed-builder');
      expect(await deployed.acquire('a Lambda request', CLOCK, 60_000)).toBe(true);
      const meanwhile = await cli(args, { ...env, LOCK_TABLE: table });
      expect(meanwhile).toMatchObject({ status: 0, stdout: 'another build holds the lock; it will build once more' });
      expect(await deployed.takeDirty('a Lambda request', CLOCK, 60_000)).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('progress on a long run', () => {
  it('tells a person at a terminal each step and how many articles were read, on its own channel', async () => {
    const progress: string[] = [];
    const { stdout, stderr } = await cli(['--out', await tempDir(), '--now', NOW, '--feeds-only'], {}, progress);
    // The test clock stands still, so the count is shown only for the first article and the last.
    expect(progress).toEqual(['listing content…', 'read 1 of 20', 'read 20 of 20', 'rendering…', 'writing…']);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^read 20; published 11;/);
  });

  it('shows no progress with --json, whose output a program reads', async () => {
    const progress: string[] = [];
    await cli(['--out', await tempDir(), '--now', NOW, '--json'], {}, progress);
    expect(progress).toEqual([]);
  });
});

describe('the command line', () => {
  it('prints the summary and every problem as JSON with --json', async () => {
    const content = await contentFolder({
      'good.md': articleFile(),
      'bad.md': articleFile(validFields({ quality: 'high' })),
    });
    const { status, stdout } = await cli(['--content', content, '--out', await tempDir(), '--now', NOW, '--json']);
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.summary).toMatchObject({ read: 2, published: 1, skipped: { invalid: 1 } });
    expect(report.rejected[0]).toEqual({
      file: join(content, 'bad.md'),
      reason: 'invalid',
      problems: [{ field: 'quality', reason: 'expected a number from 0 to 100, got "high"' }],
    });
    expect(stdout).not.toContain(SECRET);
  });

  it('prints one line per rejected field on stderr and still exits 0', async () => {
    const content = await contentFolder({
      'good.md': articleFile(),
      'sub/bad.md': articleFile(validFields({ quality: 'high' })),
    });
    const { status, stderr } = await cli(['--content', content, '--out', await tempDir(), '--now', NOW]);
    expect(status).toBe(0);
    expect(stderr).toBe(`skipped ${join(content, 'sub/bad.md')}: quality: expected a number from 0 to 100, got "high"`);
  });

  it('holds back an article dated after --now', async () => {
    const content = await contentFolder({
      'later.md': articleFile(validFields({ publishedDateTime: '2026-12-03T08:00:00Z' })),
    });
    const before = await cli(['--content', content, '--out', await tempDir(), '--now', NOW]);
    expect(before.stdout).toContain('published 0; skipped 1 (scheduled 1)');
    const after = await cli(['--content', content, '--out', await tempDir(), '--now', '2026-12-03T08:00:00Z']);
    expect(after.stdout).toContain('published 1;');
  });

  it('uses the clock when --now is not given', async () => {
    const content = await contentFolder({
      'later.md': articleFile(validFields({ publishedDateTime: '2029-12-31T08:00:00Z' })),
    });
    const { stdout } = await cli(['--content', content, '--out', await tempDir()]);
    expect(stdout).toContain('published 1;');
  });

  it('overrides the quality bar with --min-quality', async () => {
    const content = await contentFolder({ 'a.md': articleFile(validFields({ quality: 72 })) });
    const { stdout } = await cli(['--content', content, '--out', await tempDir(), '--now', NOW, '--min-quality', '80']);
    expect(stdout).toContain('skipped 1 (below quality 1)');
  });

  it.each([
    [['--now', '2026-11-24'], '--now: has no time zone'],
    [['--min-quality', 'high'], '--min-quality: expected a number from 0 to 100, got "high"'],
    [['--min-quality', '101'], '--min-quality: expected a number from 0 to 100'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--out', 's3://No_Such!/x'], '--out: Not a valid S3 bucket name in s3://No_Such!/x'],
  ])('exits 2 with usage help for %j', async (args, message) => {
    const { status, stderr } = await cli(args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('Usage: npm start');
  });

  it('exits 1 and names the missing setting when the configuration is incomplete', async () => {
    const config = join(await tempDir(), 'site.json');
    await writeFile(
      config,
      JSON.stringify({ title: 'X', description: 'Y', author: { name: 'Z' }, idPrefix: 'tag:x.example,2026:' }),
    );
    const { status, stderr } = await cli(['--config', config, '--out', await tempDir()]);
    expect(status).toBe(1);
    expect(stderr).toContain(`${config} is not a valid site configuration:`);
    expect(stderr).toContain(
      'baseUrl: missing setting; expected an absolute http(s) URL, e.g. https://news.example.com/feeds/',
    );
  });

  it('exits 1 when the configuration is not JSON', async () => {
    const config = join(await tempDir(), 'site.json');
    await writeFile(config, '{ title: nope');
    const { status, stderr } = await cli(['--config', config]);
    expect(status).toBe(1);
    expect(stderr).toContain(`${config} is not valid JSON`);
  });

  it('exits 1 when the content folder cannot be read', async () => {
    const { status, stderr } = await cli(['--content', join(await tempDir(), 'nope'), '--out', await tempDir()]);
    expect(status).toBe(1);
    expect(stderr).toMatch(/^Cannot list .*nope/);
  });

  it('builds empty but valid feeds from an empty folder', async () => {
    const out = await tempDir();
    const { status, stdout } = await cli(['--content', await tempDir(), '--out', out, '--now', NOW]);
    expect(status).toBe(0);
    expect(stdout).toContain('read 0; published 0; skipped 0; feeds 1;');
    expect(JSON.parse(await readFile(join(out, 'feed.json'), 'utf8')).items).toEqual([]);
  });

  it('prints the usage with --help', async () => {
    const { status, stdout } = await cli(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('--min-quality N');
  });
});

describe('the newsfeeds bin (build/newsfeeds.js)', () => {
  it('runs bundled, by its path and through a symbolic link as npm links a bin', async () => {
    await buildCli();
    const link = join(await tempDir(), 'newsfeeds');
    await symlink(CLI_BUNDLE, link);
    for (const program of [CLI_BUNDLE, link]) {
      const { stdout } = await run(program, ['--help']);
      expect(stdout, program).toContain('--state DIR');
    }
    const out = await tempDir();
    const { stdout } = await run(process.execPath, [
      CLI_BUNDLE,
      '--out',
      out,
      '--state',
      await tempDir(),
      '--now',
      NOW,
    ]);
    expect(stdout).toMatch(/^read 20; published 11;/);
    expect(await listFiles(out)).toContain('feed.xml');
  });

  it('loads its S3 part when a location is in S3, and builds there what the source code builds', async () => {
    await buildCli();
    const s3 = testS3Client();
    const [content, site] = await Promise.all([newBucket(s3, 'bin-content'), newBucket(s3, 'bin-site')]);
    for (const name of await readdir('content')) {
      await s3.send(new PutObjectCommand({ Bucket: content, Key: name, Body: await readFile(join('content', name)) }));
    }
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    };
    const args = ['--content', `s3://${content}`, '--out', `s3://${site}`, '--state', await tempDir(), '--now', NOW];
    const bundled = await run(process.execPath, [CLI_BUNDLE, ...args], { env });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const source = await cli(['--content', `s3://${content}`, '--out', await tempDir(), '--now', NOW], {
      AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    });
    vi.unstubAllEnvs();
    expect(source.status, source.stderr).toBe(0);
    expect(bundled.stdout.split('\n')[0]).toMatch(/^read 20; published 11;/);
    expect(bundled.stdout.split('\n')[0]).toBe(source.stdout.split('\n')[0]);
    const feed = await s3.send(new GetObjectCommand({ Bucket: site, Key: 'feed.xml' }));
    expect(await feed.Body?.transformToString()).toMatch(/^<\?xml/);
  });
});

describe('the command line on S3', () => {
  it('reads s3://bucket/prefix and writes s3://bucket/prefix, building what it builds from folders', async () => {
    // Fake credentials for the s3rver stand-in, read by the SDK's default chain as on any machine.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const s3 = testS3Client();
    const [content, site] = await Promise.all([newBucket(s3, 'content'), newBucket(s3, 'site')]);
    for (const name of await readdir('content')) {
      await s3.send(
        new PutObjectCommand({ Bucket: content, Key: `news/${name}`, Body: await readFile(join('content', name)) }),
      );
    }
    const fromS3 = await cli(['--content', `s3://${content}/news`, '--out', `s3://${site}/feeds/`, '--now', NOW], {
      AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
    });
    const out = await tempDir();
    const fromFolder = await cli(['--out', out, '--now', NOW]);
    vi.unstubAllEnvs();
    expect(fromS3.status).toBe(0);
    // The same summary and digest lines; only the folder run writes a sample message (never into a bucket).
    const sampleLine = /\ndigest: sample message for .*$/;
    expect(fromFolder.stdout).toMatch(sampleLine);
    expect(fromS3.stdout).toBe(fromFolder.stdout.replace(sampleLine, ''));
    const files = await listFiles(out);
    expect(files).toContain('digests/2026-W48.html');
    for (const file of files.filter((f) => !f.startsWith('mail/'))) {
      const object = await s3.send(new GetObjectCommand({ Bucket: site, Key: `feeds/${file}` }));
      expect(await object.Body?.transformToString(), file).toBe(await readFile(join(out, file), 'utf8'));
    }
  });
});

describe('mistakes and odd input on the command line', () => {
  const latin1 = (dir: string, name: string) => Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(name, 'latin1')]);

  it('publishes everything else when a file name is not UTF-8, and names that file', async () => {
    const content = await contentFolder({ 'good.md': articleFile() });
    await writeFile(latin1(content, 'caf\xe9.md'), articleFile());
    await writeFile(latin1(content, 'caf\xe9.jpg'), 'an image');
    const { status, stdout, stderr } = await cli(['--content', content, '--out', await tempDir(), '--now', NOW]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^read 2; published 1; skipped 1 \(unreadable 1\); warnings 1;/);
    expect(stderr.split('\n')).toEqual([
      `skipped ${join(content, 'caf\uFFFD.md')}: file: the file name is not valid UTF-8; rename it`,
      `warning ${join(content, 'caf\uFFFD.jpg')}: file: the file name is not valid UTF-8; rename it`,
    ]);
  });

  it('spells out control characters in a file name, so a name cannot forge a line of output', async () => {
    const content = await contentFolder({ 'good.md': articleFile() });
    await writeFile(join(content, 'x\nskipped fake.md'), articleFile(validFields({ quality: 'high' })));
    const { status, stderr } = await cli(['--content', content, '--out', await tempDir(), '--now', NOW]);
    expect(status).toBe(0);
    expect(stderr.split('\n')).toEqual([
      `skipped ${join(content, 'x\\u000Askipped fake.md')}: quality: expected a number from 0 to 100, got "high"`,
    ]);
  });

  it('follows a linked article inside the content folder and reports a link that leaves it', async () => {
    const content = await contentFolder({ 'drafts/story.txt': articleFile() });
    const outside = join(await tempDir(), 'outside.md');
    await writeFile(
      outside,
      articleFile(validFields({ webUrl: 'https://elsewhere.example/x', originalUrl: undefined })),
    );
    await symlink(join(content, 'drafts', 'story.txt'), join(content, 'linked.md'));
    await symlink(outside, join(content, 'escape.md'));
    const { stdout, stderr } = await cli(['--content', content, '--out', await tempDir(), '--now', NOW, '--json']);
    const report = JSON.parse(stdout);
    expect(report.summary.published).toBe(1);
    expect(report.rejected).toEqual([
      {
        file: join(content, 'escape.md'),
        reason: 'unreadable',
        problems: [{ field: 'file', reason: 'a symbolic link that points outside the content folder; not followed' }],
      },
    ]);
    expect(stderr).toBe('');
  });

  it('refuses, with exit 3, a build that would wipe the site (a mistyped --content), and changes nothing', async () => {
    const out = await tempDir();
    await cli(['--out', out, '--now', NOW]);
    const before = await listFiles(out);
    const docs = await contentFolder({ 'README.md': '# Not an article\n', 'guide.txt': 'notes' });
    const { status, stdout, stderr } = await cli(['--content', docs, '--out', out, '--now', NOW]);
    expect(status).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('refused: the build would publish no article where feeds exist; nothing was written');
    expect(stderr).toContain('--allow-shrink');
    expect(await listFiles(out)).toEqual(before);
  });

  it('builds what was refused when --allow-shrink is given', async () => {
    const out = await tempDir();
    await cli(['--out', out, '--now', NOW]);
    const empty = await tempDir();
    const { status, stdout } = await cli(['--content', empty, '--out', out, '--now', NOW, '--allow-shrink']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/published 0; .* deleted [1-9]\d*$/m);
    expect(JSON.parse(await readFile(join(out, 'feed.json'), 'utf8')).items).toEqual([]);
  });

  it('exits 1 and names the path when a folder is where a feed goes, before writing anything', async () => {
    const out = await tempDir();
    await mkdir(join(out, 'feed.xml', 'x'), { recursive: true });
    const { status, stderr } = await cli(['--out', out, '--now', NOW]);
    expect(status).toBe(1);
    expect(stderr).toBe(
      `Cannot publish to ${out}:\n  ${join(out, 'feed.xml')}: a folder is in the way; move or remove it`,
    );
    expect(await listFiles(out)).toEqual([]);
  });

  it('exits 1 with a clear message when the configuration starts with a byte order mark', async () => {
    const config = join(await tempDir(), 'site.json');
    await writeFile(config, `\uFEFF${await readFile('site.config.json', 'utf8')}`);
    const { status, stderr } = await cli(['--config', config, '--out', await tempDir()]);
    expect(status).toBe(1);
    expect(stderr).toBe(`${config} starts with an invisible byte order mark (U+FEFF); save it as UTF-8 without a BOM`);
  });
});

describe('reporting skipped files', () => {
  async function mixedContent() {
    return contentFolder({
      'good.md': articleFile(),
      'draft.md': articleFile(validFields({ published: false, webUrl: 'https://x.example/draft' })),
      'copy.md': articleFile(validFields({ publishedDateTime: '2026-11-21T09:30:00Z' })),
    });
  }

  it('keeps the default output short: no line for an ordinary skip', async () => {
    const { stderr, stdout } = await cli(['--content', await mixedContent(), '--out', await tempDir(), '--now', NOW]);
    expect(stderr).toBe('');
    expect(stdout).toContain('skipped 2 (unpublished 1, duplicate 1)');
  });

  it('lists every skipped file with its reason on stderr with --verbose', async () => {
    const content = await mixedContent();
    const { stderr } = await cli(['--content', content, '--out', await tempDir(), '--now', NOW, '--verbose']);
    expect(stderr.split('\n')).toEqual([
      `skipped ${join(content, 'copy.md')}: a copy of the same story (originalUrl) as ${join(content, 'good.md')}`,
      `skipped ${join(content, 'draft.md')}: not published (published is not true)`,
    ]);
  });

  it('lists every skipped file with its reason in --json, duplicates with the file they duplicate', async () => {
    const content = await mixedContent();
    const { stdout } = await cli(['--content', content, '--out', await tempDir(), '--now', NOW, '--json']);
    expect(JSON.parse(stdout).skipped).toEqual([
      { file: join(content, 'copy.md'), reason: 'duplicate', duplicateOf: join(content, 'good.md') },
      { file: join(content, 'draft.md'), reason: 'unpublished' },
    ]);
  });
});

describe('--base-url, for a local preview', () => {
  it('points every link of the index page and the feeds at the given address', async () => {
    const out = await tempDir();
    const base = pathToFileURL(`${out}/`).href;
    const { status } = await cli(['--out', out, '--now', NOW, '--base-url', base]);
    expect(status).toBe(0);
    const index = await readFile(join(out, 'index.html'), 'utf8');
    // The front page's headlines link to the articles themselves; every other link is to the site.
    const articles = new Set(
      JSON.parse(await readFile(join(out, 'feed.json'), 'utf8')).items.map((i: { url: string }) => i.url),
    );
    const links = [...index.matchAll(/href="([^"]+)"/g)]
      .map((m) => new URL(m[1] ?? '', base).href)
      .filter((href) => !articles.has(href));
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) {
      expect(link.startsWith(base), link).toBe(true);
      expect(await readFile(new URL(link)), link).toBeTruthy(); // every link opens a file that exists
    }
    expect(await readFile(join(out, 'feed.xml'), 'utf8')).toContain(`<atom:link href="${base}feed.xml" rel="self"`);
  });

  it('keeps the item ids: they never depend on where the feeds are served', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await cli(['--out', a, '--now', NOW]);
    await cli(['--out', b, '--now', NOW, '--base-url', 'http://localhost:8000/']);
    const ids = async (dir: string) =>
      JSON.parse(await readFile(join(dir, 'feed.json'), 'utf8')).items.map((i: { id: string }) => i.id);
    expect(await ids(b)).toEqual(await ids(a));
  });

  it.each([
    ['not a url', '--base-url: expected an absolute URL'],
    ['ftp://x.example/', '--base-url: expected an http(s) URL, got a ftp: URL'],
    ['http://localhost:8000/?x=1', '--base-url: must not have a query (?…) or fragment (#…)'],
  ])('exits 2 for --base-url %j', async (value, message) => {
    const { status, stderr } = await cli(['--base-url', value]);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('the WebSub ping from the command line', () => {
  const startHub = useHubs();

  it('notifies the hub of the feeds it wrote, and of nothing with --no-ping', async () => {
    const hub = await startHub();
    const config = join(await tempDir(), 'site.json');
    const settings = JSON.parse(await readFile('site.config.json', 'utf8'));
    await writeFile(config, JSON.stringify({ ...settings, hubUrl: hub.url }));
    await cli(['--config', config, '--out', await tempDir(), '--now', NOW, '--no-ping']);
    expect(hub.pinged).toEqual([]);
    await cli(['--config', config, '--out', await tempDir(), '--now', NOW]);
    expect(hub.pinged).toContain('https://news.example.com/feeds/feed.xml');
    expect(hub.pinged.every((url) => /\/(feed\.xml|atom\.xml|feed\.json)$/.test(url))).toBe(true);
  });

  it('does not notify the hub of a preview built with --base-url', async () => {
    const hub = await startHub();
    const config = join(await tempDir(), 'site.json');
    const settings = JSON.parse(await readFile('site.config.json', 'utf8'));
    await writeFile(config, JSON.stringify({ ...settings, hubUrl: hub.url }));
    const out = await tempDir();
    await cli(['--config', config, '--out', out, '--now', NOW, '--base-url', pathToFileURL(`${out}/`).href]);
    expect(hub.pinged).toEqual([]);
  });
});

describe('the weekly digest on the command line', () => {
  it('writes the issue as .html, .txt and .eml in the mail folder and the web copy and archive in the output', async () => {
    const [out, state] = [await tempDir(), await tempDir()];
    const { status, stdout } = await cli(['--out', out, '--now', NOW, '--state', state]);
    expect(status).toBe(0);
    expect(stdout).toContain('digest: issue 2026-W48 (#1) prepared: 9 stories');
    expect(stdout).toMatch(
      /digest: sample message for reader@example\.com → .*mail\/2026-W48\.eml \(\d+ KB of HTML, 9 shown\)/,
    );
    const files = await listFiles(out);
    for (const file of ['mail/2026-W48.html', 'mail/2026-W48.txt', 'mail/2026-W48.eml', 'digests/2026-W48.html']) {
      expect(files).toContain(file);
    }
    expect(files).toEqual(expect.arrayContaining(['digests/index.html', 'digests/feed.xml', 'digests/atom.xml']));
    expect(await listFiles(state)).toEqual([
      'digest/issues/2026-W48.articles.json',
      'digest/issues/2026-W48.json',
      'digest/state.json',
      'manifest.json.gz',
      'signing-keys.json',
    ]);
  });

  it('prepares consecutive issues on runs a week apart, with the same state folder', async () => {
    const [out, state] = [await tempDir(), await tempDir()];
    const content = await contentFolder({
      'a.md': articleFile(validFields({ publishedDateTime: '2026-11-20T09:00:00Z' })),
    });
    await cli(['--content', content, '--out', out, '--now', NOW, '--state', state]);
    await writeFile(
      join(content, 'b.md'),
      articleFile(
        validFields({
          publishedDateTime: '2026-11-27T09:00:00Z',
          webUrl: 'https://x.example/b',
          originalUrl: 'https://x.example/b',
        }),
      ),
    );
    const next = await cli(['--content', content, '--out', out, '--now', '2026-12-01T12:00:00Z', '--state', state]);
    expect(next.stdout).toContain('digest: issue 2026-W49 (#2) prepared: 1 story');
    expect(await listFiles(join(out, 'mail'))).toEqual([
      '2026-W48.eml',
      '2026-W48.html',
      '2026-W48.txt',
      '2026-W49.eml',
      '2026-W49.html',
      '2026-W49.txt',
    ]);
  });

  it('gives the sample reader their topics with --sample-topics', async () => {
    const out = await tempDir();
    const { stdout } = await cli(['--out', out, '--now', NOW, '--sample-topics', 'Space, Nothing Else']);
    expect(stdout).toMatch(/sample message .* \d+ shown/);
    const text = await readFile(join(out, 'mail', '2026-W48.txt'), 'utf8');
    expect(text).toContain('in the topics you chose');
    expect(text).not.toContain('Grid-scale sodium batteries');
  });

  it('builds only what --feeds-only or --digest-only asks for', async () => {
    const feedsOnly = await tempDir();
    await cli(['--out', feedsOnly, '--now', NOW, '--feeds-only']);
    expect((await listFiles(feedsOnly)).some((f) => f.startsWith('digests/') || f.startsWith('mail/'))).toBe(false);
    const digestOnly = await tempDir();
    const { stdout } = await cli(['--out', digestOnly, '--now', NOW, '--digest-only']);
    expect(stdout).not.toMatch(/^read /m);
    expect(await listFiles(digestOnly)).not.toContain('feed.xml');
    expect(await listFiles(digestOnly)).toContain('digests/2026-W48.html');
  });

  it.each([
    [['--feeds-only', '--digest-only'], '--feeds-only and --digest-only: choose one'],
    [['--mail', 's3://bucket/mail'], '--mail: expected a local folder'],
  ])('rejects %j as a usage error', async (args, message) => {
    const { status, stderr } = await cli([...args, '--out', await tempDir()]);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });

  it('says there is no digest to prepare when the configuration has none', async () => {
    const config = join(await tempDir(), 'site.json');
    const { digest: _, ...site } = JSON.parse(await readFile('site.config.json', 'utf8'));
    await writeFile(config, JSON.stringify(site));
    const { status, stderr } = await cli(['--config', config, '--out', await tempDir(), '--digest-only']);
    expect(status).toBe(1);
    expect(stderr).toContain(`${config} has no "digest" section`);
    const both = await cli(['--config', config, '--out', await tempDir(), '--now', NOW]);
    expect(both.status).toBe(0);
    expect(both.stdout).not.toContain('digest');
  });

  it('stops with exit 1, naming the file, when the digest state is unreadable', async () => {
    const state = await tempDir();
    await mkdir(join(state, 'digest'));
    await writeFile(join(state, 'digest', 'state.json'), '{"format":1,');
    const { status, stderr } = await cli(['--out', await tempDir(), '--now', NOW, '--state', state]);
    expect(status).toBe(1);
    expect(stderr).toContain(`${join(state, 'digest', 'state.json')} is not valid JSON`);
  });

  it('reports the digest under "digest" in the one --json document', async () => {
    const { stdout } = await cli(['--out', await tempDir(), '--now', NOW, '--json']);
    const report = JSON.parse(stdout);
    expect(report.summary.published).toBe(11);
    expect(report.digest).toMatchObject({ outcome: 'prepared', issue: { id: '2026-W48', number: 1, shown: 9 } });
  });
});

describe('--base-url and the digest', () => {
  it('moves the home page and the API to a local preview server', async () => {
    const out = await tempDir();
    await cli(['--out', out, '--now', NOW, '--base-url', 'http://localhost:8123/']);
    const mail = await readFile(join(out, 'mail', '2026-W48.eml'), 'latin1');
    expect(mail).toMatch(/List-Unsubscribe:\s+<http:\/\/localhost:8123\/api\/unsubscribe\?token=/);
    const html = await readFile(join(out, 'mail', '2026-W48.html'), 'utf8');
    expect([...html.matchAll(/href="([^"]+)"/g)].filter(([, href]) => href!.includes('news.example.com'))).toEqual([]);
    expect(mail).toContain('List-ID: "Lab Notes Daily weekly digest" <digest.news.example.com>');
  });

  it('keeps the configured https API behind a plain-http server elsewhere, and still writes the mail', async () => {
    const out = await tempDir();
    const { status } = await cli(['--out', out, '--now', NOW, '--base-url', 'http://192.168.1.5:8000/']);
    expect(status).toBe(0);
    const mail = await readFile(join(out, 'mail', '2026-W48.eml'), 'latin1');
    expect(mail).toMatch(/List-Unsubscribe:\s+<https:\/\/news\.example\.com\/api\/unsubscribe\?token=/);
  });
});
