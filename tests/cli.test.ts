import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it, vi } from 'vitest';
import { runCli } from '../functions/cli.ts';
import { newBucket, testS3Client } from './stand-ins/s3.ts';
import { articleFile, SECRET, validFields } from './support/article-source.ts';
import { useTempDirs } from './support/temp-dir.ts';
import { strictXmlErrors, validateAtom, validateJsonFeed } from './support/validators.ts';

const tempDir = useTempDirs();
const NOW = '2026-11-24T12:00:00Z';

async function cli(args: string[], env: Record<string, string> = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const status = await runCli(args, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    clock: () => new Date('2030-01-01T00:00:00Z'),
    env,
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
    expect(stdout).toMatch(
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
      if (file.endsWith('.json')) expect(validateJsonFeed(body), file).toEqual([]);
      if (file.endsWith('.xml') || file.endsWith('.opml')) expect(await strictXmlErrors(body), file).toEqual([]);
    }
  });

  it('builds byte-identical output twice, and the second run writes nothing', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await cli(['--out', a, '--now', NOW]);
    await cli(['--out', b, '--now', NOW]);
    const files = await listFiles(a);
    expect(await listFiles(b)).toEqual(files);
    for (const file of files) expect(await readFile(join(b, file)), file).toEqual(await readFile(join(a, file)));
    const again = await cli(['--out', a, '--now', NOW]);
    expect(again.stdout).toContain(`files written 0, unchanged ${files.length}, deleted 0`);
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
    expect(fromS3.stdout).toBe(fromFolder.stdout);
    for (const file of await listFiles(out)) {
      const object = await s3.send(new GetObjectCommand({ Bucket: site, Key: `feeds/${file}` }));
      expect(await object.Body?.transformToString(), file).toBe(await readFile(join(out, file), 'utf8'));
    }
  });
});
