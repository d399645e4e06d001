// How the V8 heap is run for a build: set once, at the start of a process that builds (the CLI, the feed builder and
// digest preparer functions), before any article is parsed.
import { setFlagsFromString } from 'node:v8';

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
