// Every Lambda's bundle: its size, whether it carries a module it does not use (mjml at run time, the CDK), and how
// long a fresh process takes to load it. Bundled as the CDK bundles them (esbuild, CJS, minified, SDK included).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const HANDLERS = ['build-feeds', 'prepare-digest', 'send-digest', 'subscriber-api', 'ses-feedback'];
const UNWANTED = [
  'node_modules/mjml',
  'node_modules/aws-cdk-lib',
  'node_modules/constructs',
  'node_modules/playwright',
];

export interface BundleFigures {
  bytes: number;
  /** Bundled inputs from a module no function should carry (mjml at run time, the CDK, Playwright). */
  unwanted: string[];
  /** Median of 5 fresh processes requiring the bundle. */
  coldRequireMs: number;
}

/** Bundles one handler as the CDK does into `dir`, and times a cold require of it. */
export async function measureBundle(entry: string, dir: string): Promise<BundleFigures> {
  const outfile = join(dir, `${entry.split('/').at(-1)?.replace(/\.ts$/, '')}.js`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  const times = Array.from({ length: 5 }, () =>
    Number(
      execFileSync(process.execPath, [
        '-e',
        `const t = performance.now(); require(${JSON.stringify(outfile)}); console.log(performance.now() - t)`,
      ]).toString(),
    ),
  ).sort((a, b) => a - b);
  return {
    bytes: Object.values(result.metafile.outputs)[0]?.bytes ?? 0,
    unwanted: Object.keys(result.metafile.inputs).filter((input) => UNWANTED.some((u) => input.includes(u))),
    coldRequireMs: times[2]!,
  };
}

export async function benchBundles(): Promise<string[]> {
  const rows: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'newsfeeds-bundles-'));
  try {
    for (const name of HANDLERS) {
      const { bytes, unwanted, coldRequireMs } = await measureBundle(`functions/handlers/${name}.ts`, dir);
      rows.push(
        `| ${name} | ${(bytes / 1024).toFixed(0)} KiB | ${unwanted.length === 0 ? 'none' : unwanted.length} | ${coldRequireMs.toFixed(0)} ms |`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
