// A deterministic generator of realistic articles for benchmarks and scale tests: same seed, same files.

/** mulberry32: a tiny seeded PRNG, so generated corpora are identical on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPICS = [
  'AI',
  'AI in Healthcare',
  'Climate',
  'Energy',
  'Semiconductors',
  'Space',
  'Biotech',
  'Robotics',
  'Policy',
  'Quantum',
  'Batteries',
  'Oceans',
  'Genomics',
  'Neuroscience',
  'Materials',
  'Agriculture',
  'Cybersecurity',
  'Transport',
  'Public Health',
  'Astronomy',
  'Fusion',
  'Water',
  'Wildlife',
  'Chemistry',
  'Mathematics',
  'Open Source',
  'Privacy',
  'Drones',
  'Vaccines',
  'Geology',
];
const CATEGORIES = ['news', 'analysis', 'research', 'opinion', 'business', 'explainer'];
const WORDS = (
  'researchers report new results study shows grid battery storage satellite launch chip factory model training ' +
  'clinical trial protein enzyme ocean heat policy vote regulators approve startup raises funding robot arm ' +
  'telescope images dark matter fusion record quantum error correction wind solar hydrogen crop yield drought'
).split(' ');

export interface GeneratedFile {
  key: string;
  text: string;
}

export interface GenerateOptions {
  count: number;
  seed?: number;
  /** Dates spread over the 180 days before this instant. */
  until?: Date;
}

export function generateArticles({
  count,
  seed = 42,
  until = new Date('2026-11-24T00:00:00Z'),
}: GenerateOptions): GeneratedFile[] {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const hex = () =>
    Math.floor(rnd() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  const files: GeneratedFile[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${String(i).padStart(6, '0')}_${hex()}${hex()}`;
    const provider = `provider${Math.floor(rnd() * 40)}`;
    const date = new Date(until.getTime() - Math.floor(rnd() * 180 * 86_400_000));
    const slug = `story-${i}-${hex()}`;
    const url = `https://www.${provider}.example/${date.toISOString().slice(0, 10).replaceAll('-', '/')}/${slug}/`;
    const topics = [...new Set([pick(TOPICS), pick(TOPICS)])].slice(0, 1 + Math.floor(rnd() * 2));
    const title = words(6 + Math.floor(rnd() * 6));
    const image =
      rnd() < 0.7
        ? `images:\n  - url: "https://cdn.${provider}.example/img/${slug}.jpg"\n    width: 1200\n    height: 630\n`
        : '';
    const body = Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, p) =>
      p === 1 ? `## ${words(4)}\n\n- ${words(5)}\n- ${words(5)}` : `${words(40)} [source](${url}).`,
    ).join('\n\n');
    const text = `---
title: "${title[0]?.toUpperCase()}${title.slice(1)}"
excerpt: "${words(25)}."
publishedDateTime: ${date.toISOString()}
originalUrl: "${url}"
webUrl: "${url}"
type: article
quality: ${Math.floor(rnd() * 101)}
heat: ${Math.floor(rnd() * 101)}
published: ${rnd() < 0.85}
provider:
  name: "Provider ${provider.slice(8)}"
  domain: ${provider}.example
topics:
${topics.map((t) => `  - "${t}"`).join('\n')}
category: ${pick(CATEGORIES)}
${image}secured: "${hex()}${hex()}${hex()}${hex()}==;${hex()}"
---
${body}
`;
    files.push({ key: `${id}.md`, text });
  }
  return files;
}
