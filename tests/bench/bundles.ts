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

export async function benchBundles(): Promise<string[]> {
  const rows: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'newsfeeds-bundles-'));
  try {
    for (const name of HANDLERS) {
      const outfile = join(dir, `${name}.js`);
      const result = await build({
        entryPoints: [`functions/handlers/${name}.ts`],
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        minify: true,
        outfile,
        metafile: true,
        logLevel: 'silent',
      });
      const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
      const unwanted = Object.keys(result.metafile.inputs).filter((input) => UNWANTED.some((u) => input.includes(u)));
      const times = Array.from({ length: 5 }, () =>
        Number(
          execFileSync(process.execPath, [
            '-e',
            `const t = performance.now(); require(${JSON.stringify(outfile)}); console.log(performance.now() - t)`,
          ]).toString(),
        ),
      ).sort((a, b) => a - b);
      rows.push(
        `| ${name} | ${(bytes / 1024).toFixed(0)} KiB | ${unwanted.length === 0 ? 'none' : unwanted.length} | ${times[2]!.toFixed(0)} ms |`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
