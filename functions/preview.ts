// `npm run preview`: builds the site and the digest for http://localhost:PORT/ and serves the output folder there,
// so every link of the feeds index, the digest archive and the latest issue works in a browser.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type CliIo, runCli } from './cli.ts';
import { ARCHIVE_INDEX_KEY, issueKey } from './core/digest/archive.ts';
import { INDEX_KEY } from './core/site.ts';
import { readDigestState } from './pipeline/digest-state.ts';
import { serveFolder } from './preview-server.ts';
import { FsStorage } from './storage/fs.ts';

const USAGE = `Usage: [PORT=8080] npm run preview -- [options]

Builds the site and the digest issue due now for http://localhost:PORT/ into the output folder
and serves that folder there until Ctrl-C. The digest starts from an empty state each time
(its issue is #1) and never reads or changes .state/.

Options are those of npm start (npm start -- --help), e.g. --now, --content, --config, --out,
except --base-url and --state, which the preview sets.`;

const DEFAULT_PORT = 8080;

export interface PreviewPage {
  label: string;
  /** Relative to the output folder, e.g. digests/index.html */
  path: string;
}

export interface PreviewBuild {
  /** The CLI's exit status; nothing is worth serving unless it is 0. */
  status: number;
  /** The output folder to serve. */
  out: string;
  /** The pages a person would open, those that exist. */
  pages: PreviewPage[];
}

class PreviewUsageError extends Error {}

/** The output folder from the arguments meant for the CLI, refusing the options the preview owns. */
function previewOut(args: string[]): string {
  // Not strict: every other option is the CLI's to check.
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, 'base-url': { type: 'string' }, state: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  if (values['base-url'] !== undefined) {
    throw new PreviewUsageError(
      '--base-url: the preview sets it to http://localhost:PORT/; choose the port with PORT=…',
    );
  }
  if (values.state !== undefined) {
    throw new PreviewUsageError('--state: a preview always starts from an empty digest state, so it cannot be chosen');
  }
  const out = typeof values.out === 'string' ? values.out : 'dist';
  if (out.startsWith('s3://')) throw new PreviewUsageError('--out: the preview serves a local folder, not a bucket');
  return out;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const consoleIo: CliIo = {
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
  clock: () => new Date(),
  env: process.env,
};

/** Builds for http://localhost:port/ with a throw-away digest state; returns the status and the pages to open. */
export async function buildPreview(args: string[], port: number, io: CliIo = consoleIo): Promise<PreviewBuild> {
  let out: string;
  try {
    out = previewOut(args);
  } catch (error) {
    if (!(error instanceof PreviewUsageError)) throw error;
    io.stderr(`${error.message}\n\n${USAGE}`);
    return { status: 2, out: 'dist', pages: [] };
  }
  const state = await mkdtemp(join(tmpdir(), 'newsfeeds-preview-state-'));
  try {
    const status = await runCli(
      ['--out', out, ...args, '--base-url', `http://localhost:${port}/`, '--state', state, '--no-ping'],
      io,
    );
    if (status !== 0) return { status, out, pages: [] };
    // The state is fresh, so its last issue is the one this build prepared (none when no issue was due).
    const { last } = await readDigestState(new FsStorage(state));
    const candidates: PreviewPage[] = [
      { label: 'feeds index', path: INDEX_KEY },
      { label: 'digest archive', path: ARCHIVE_INDEX_KEY },
      ...(last
        ? [
            { label: `latest issue (#${last.number})`, path: issueKey(last.id) },
            { label: 'sample mail', path: `mail/${last.id}.html` },
          ]
        : []),
    ];
    const found = await Promise.all(candidates.map((page) => exists(join(out, page.path))));
    return { status, out, pages: candidates.filter((_, i) => found[i]) };
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}

function portSetting(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new PreviewUsageError(
      `PORT: expected a port number such as 8080 (0: any free port), got ${JSON.stringify(value)}`,
    );
  }
  return port;
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let port: number;
  let out: string;
  try {
    port = portSetting(process.env.PORT);
    out = previewOut(args);
  } catch (error) {
    if (!(error instanceof PreviewUsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  // Listen first: the build bakes the port into every link, so a taken port must stop it before it starts.
  let server: Awaited<ReturnType<typeof serveFolder>>;
  try {
    server = await serveFolder(out, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') console.error(`port ${port} is in use: set PORT=… to another port, e.g. PORT=8081`);
    else if (code === 'EACCES') console.error(`port ${port} needs privileges: set PORT=… to a port above 1023`);
    else console.error(`cannot listen on port ${port}: ${(error as Error).message}`);
    return 1;
  }
  const actualPort = Number(new URL(server.url).port);
  const build = await buildPreview(args, actualPort);
  if (build.status !== 0) {
    await server.close();
    return build.status;
  }
  console.log(`\nServing ${build.out}/ at ${server.url} (Ctrl-C to stop)`);
  for (const page of build.pages) {
    console.log(`  ${page.label.padEnd(24)} ${new URL(page.path === INDEX_KEY ? '' : page.path, server.url).href}`);
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // exit, not exitCode: nothing else should keep a stopped preview alive.
  process.exit(await main(process.argv.slice(2)));
}
