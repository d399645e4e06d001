// keepHeapSmall (functions/heap.ts): the young generation stops growing at 8 MiB, where V8 would grow it to 32 MiB.
// Run in a fresh process each, since the settings last for the whole process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const HEAP = fileURLToPath(new URL('../functions/heap.ts', import.meta.url));

// Keeps a growing set of objects alive (as a build keeps every article's facts), turning the event loop now and then
// as a build does between its reads, and prints the largest young generation seen.
const SCRIPT = `
import { getHeapSpaceStatistics } from 'node:v8';
import { keepHeapSmall } from ${JSON.stringify(HEAP)};
if (process.argv.includes('keep')) keepHeapSmall();
const youngSize = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size;
const kept = [];
let largest = youngSize();
for (let round = 0; round < 200; round += 1) {
  for (let i = 0; i < 5_000; i += 1) kept.push({ round, i, text: 'article ' + round + '/' + i });
  await new Promise((resolve) => setImmediate(resolve));
  largest = Math.max(largest, youngSize());
}
console.log(JSON.stringify({ largest, kept: kept.length }));
`;

async function largestYoungGeneration(
  keep: boolean,
  chosen: { nodeArgs?: string[]; nodeOptions?: string } = {},
): Promise<number> {
  const args = [...(chosen.nodeArgs ?? []), '--import', 'tsx', '--input-type=module', '-e', SCRIPT];
  const env = { ...process.env, ...(chosen.nodeOptions ? { NODE_OPTIONS: chosen.nodeOptions } : {}) };
  const { stdout } = await run(process.execPath, [...args, ...(keep ? ['keep'] : [])], { env });
  const result = JSON.parse(stdout) as { largest: number; kept: number };
  expect(result.kept).toBe(1_000_000);
  return result.largest;
}

const MIB = 1024 * 1024;

// Newer V8 versions than Node.js 20's refuse a growth factor below 2 (the heap is then as V8 makes it).
describe.skipIf(!process.versions.v8.startsWith('11.'))('keepHeapSmall', () => {
  it('holds the young generation at 8 MiB where V8 grows it to 32 MiB', async () => {
    const [as, kept] = await Promise.all([largestYoungGeneration(false), largestYoungGeneration(true)]);
    expect(as).toBeGreaterThan(16 * MIB);
    expect(kept).toBeLessThanOrEqual(9 * MIB);
  });

  it('leaves the young generation as the person running it sized it, on the command line or in NODE_OPTIONS', async () => {
    const [argued, optioned] = await Promise.all([
      largestYoungGeneration(true, { nodeArgs: ['--max-semi-space-size=16'] }),
      largestYoungGeneration(true, { nodeOptions: '--max_semi_space_size=16' }),
    ]);
    expect(argued).toBeGreaterThan(16 * MIB);
    expect(optioned).toBeGreaterThan(16 * MIB);
  });
});
