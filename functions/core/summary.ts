// The run summary: what was read, what was published, and why everything else was skipped.
import type { SkipReason } from './select.ts';

export type RejectReason = 'invalid' | 'unreadable';

export interface BuildSummary {
  read: number;
  published: number;
  skipped: Record<RejectReason | SkipReason, number>;
  /** Entries dropped from otherwise valid articles (an unsafe image, a bad related link). */
  warnings: number;
  feeds: number;
  outputs: { written: number; unchanged: number; deleted: number };
}

const LABELS: Record<keyof BuildSummary['skipped'], string> = {
  invalid: 'invalid',
  unreadable: 'unreadable',
  unpublished: 'unpublished',
  belowQuality: 'below quality',
  scheduled: 'scheduled',
  duplicate: 'duplicate',
};

export function emptySkipped(): BuildSummary['skipped'] {
  return { invalid: 0, unreadable: 0, unpublished: 0, belowQuality: 0, scheduled: 0, duplicate: 0 };
}

/** `read 18, published 11, skipped 7 (unpublished 3, below quality 3, scheduled 1) …` — zero counts are left out. */
export function formatSummary(summary: BuildSummary): string {
  const reasons = Object.entries(summary.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${LABELS[reason as keyof typeof LABELS]} ${n}`);
  const skipped = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  const { written, unchanged, deleted } = summary.outputs;
  return [
    `read ${summary.read}`,
    `published ${summary.published}`,
    `skipped ${skipped}${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
    ...(summary.warnings ? [`warnings ${summary.warnings}`] : []),
    `feeds ${summary.feeds}`,
    `files written ${written}, unchanged ${unchanged}, deleted ${deleted}`,
  ].join('; ');
}
