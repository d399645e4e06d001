// How the V8 heap is run for a build: set once, at the start of a process that builds, before any article is parsed.
// Pretenuring is off in all of them (the CLI, the feed builder and digest preparer functions); only the CLI, run on
// people's machines, also keeps its heap small (the functions have memory to spare).
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring. From the first survivors of an allocation site V8 guesses that its
 * objects live long and allocates them straight into the old generation. A build parses thousands of articles whose
 * intermediate objects (YAML nodes, validation copies, rendered strings) die young, and once their sites are pretenured
 * they pile up as garbage until a full collection: a first build of 100,000 articles peaked at 641 MB with it and at
 * 335 MB without, and took 12.5 s instead of 15–19 s (BENCHMARKS.md). The flag only withholds a heuristic; V8 reads it
 * as it decides.
 */
export function allocateYoungFirst(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}

/** The young generation's size (both semi-spaces) at which it stops growing; V8 would double it up to 32 MiB. */
const YOUNG_GENERATION_CAP = 8 * 1024 * 1024;

/**
 * Keeps the heap of a command-line build close to what it holds, for a small machine or a cron job beside other work.
 * At the peak of a first build of 10,000 articles V8 had grown the young generation to 32 MiB, and let the old one fill
 * with dead objects (the full collection just after the peak kept 34 MB of its 66 MB). Two settings that V8 reads as
 * it runs change that:
 * - the old generation may grow to twice what survived its last full collection (`--heap-growing-percent=100`);
 * - the young generation stops growing at 8 MiB (a growth factor of 1, set once it is that large: a program cannot
 *   set the maximum itself, `--max-semi-space-size` is read only as the process starts). Loading the CLI's bundle
 *   usually grows it there before the build begins; otherwise the first garbage collection seen after that sets it.
 * Measured in A/B runs of the bundled CLI (BENCHMARKS.md): a first build of 10,000 articles 170 → 141 MB, of 100,000
 * ~400 → 355–375 MB, in the same time. V8 versions newer than Node.js 20's may hold the growth factor at 2 or more: the
 * young generation then grows as before, and `node --max-semi-space-size=4` caps it from the start. A size or growth
 * that the person running the CLI chose (on its command line or in NODE_OPTIONS) is left as they chose it.
 */
export function keepHeapSmall(
  chosen: readonly string[] = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)],
): void {
  // V8 takes a flag's words joined by dashes or by underscores.
  const isChosen = (...names: string[]) =>
    chosen.some((option) => names.some((name) => option.replaceAll('_', '-').startsWith(`--${name}`)));
  if (!isChosen('heap-growing-percent')) setFlagsFromString('--heap-growing-percent=100');
  if (isChosen('max-semi-space-size', 'min-semi-space-size', 'semi-space-growth-factor')) return;
  const youngAtCap = () => {
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    if (!young || young.space_size < YOUNG_GENERATION_CAP) return false;
    setFlagsFromString('--semi-space-growth-factor=1');
    return true;
  };
  if (youngAtCap()) return;
  const observer = new PerformanceObserver(() => {
    if (youngAtCap()) observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}
