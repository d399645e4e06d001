// Build step: functions/cli.ts and everything it imports, packages included → build/newsfeeds.js, the ESM file plain
// Node runs (the `newsfeeds` bin, `npm start`), with what only some runs need (S3, DynamoDB, the Markdown renderer)
// split into build/chunks/, loaded when used. One file instead of hundreds of package modules saves a start-up's
// module resolution (about 50 ms of a 0.7 s warm build); the packages' CommonJS `require` gets Node's own.
// Compiles the templates first (the CLI imports them; skipped when unchanged), so a fresh clone needs only this step.
// The bundle itself is always rebuilt: esbuild takes about 50 ms, far less than starting this script.
import { chmod, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildTemplates } from './build-templates.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_BUNDLE = join(ROOT, 'build/newsfeeds.js');
const CHUNKS = join(ROOT, 'build/chunks');

export async function buildCli(): Promise<void> {
  await buildTemplates();
  await rm(CHUNKS, { recursive: true, force: true }); // no stale chunk is left beside the new ones
  await build({
    absWorkingDir: ROOT,
    entryPoints: { newsfeeds: 'functions/cli.ts' },
    outdir: dirname(CLI_BUNDLE),
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    // The ES module builds where a package has one (the AWS SDK does): a lazily imported CommonJS module would only
    // have a default export in a split bundle.
    mainFields: ['module', 'main'],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __newsfeedsRequire } from 'node:module';\nconst require = __newsfeedsRequire(import.meta.url);",
    },
    legalComments: 'none',
    minifyWhitespace: true,
    logLevel: 'warning',
  });
  await chmod(CLI_BUNDLE, 0o755);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  try {
    await buildCli();
    if (process.argv.includes('--verbose')) {
      console.error(`CLI bundled in ${Math.round(performance.now() - started)} ms → ${relative(ROOT, CLI_BUNDLE)}`);
    }
  } catch (error) {
    console.error(`Cannot bundle the CLI: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
