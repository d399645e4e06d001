// The digest's part of `npm run bench`: compiling the MJML templates (cold and warm), filling an issue's cards,
// assembling one reader's message (warm, the per-recipient cost), building its MIME, and the HTML bytes of issues
// of 50 and 200 candidate articles.
import { execFileSync } from 'node:child_process';
import { parseArticle } from '../../functions/core/article.ts';
import { capPerProvider, rankArticles } from '../../functions/core/digest/rank.ts';
import { assembleMessage, prepareIssue } from '../../functions/mail/digest-message.ts';
import { buildMime } from '../../functions/mail/mime.ts';
import { digestContext, LINKS } from '../support/digest.ts';
import { generateArticles } from '../support/generate-articles.ts';

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function benchDigest(): Promise<string[]> {
  const rows: string[] = [];

  // Cold: a fresh process imports mjml and renders (what `npm run build:templates` costs after a template edit).
  let start = process.hrtime.bigint();
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-templates.ts', '--force'], { stdio: 'ignore' });
  rows.push(
    `| templates: compile, fresh process (node + tsx + mjml import + render) | ${seconds(start).toFixed(2)} s |`,
  );
  const { buildTemplates } = await import('../../scripts/build-templates.ts');
  await buildTemplates({ force: true });
  start = process.hrtime.bigint();
  const runs = 5;
  for (let i = 0; i < runs; i += 1) await buildTemplates({ force: true });
  rows.push(
    `| templates: compile, warm (mjml loaded), mean of ${runs} | ${((seconds(start) / runs) * 1000).toFixed(0)} ms |`,
  );

  const dueAt = new Date('2026-11-23T06:00:00Z');
  const articles = generateArticles({ count: 2000, until: dueAt }).flatMap((file) => {
    const parsed = parseArticle({ key: file.key, file: file.key, source: file.text });
    return parsed.ok ? [parsed.article] : [];
  });
  for (const candidates of [50, 200]) {
    const ranked = capPerProvider(rankArticles(articles.slice(0, candidates), dueAt, 14), 1000);
    start = process.hrtime.bigint();
    const issue = prepareIssue(digestContext(), ranked);
    const prepareMs = seconds(start) * 1000;
    // Warm: the first few assemble calls let V8 optimise; then the per-message cost.
    for (let i = 0; i < 50; i += 1) assembleMessage(issue, { links: LINKS });
    const messages = 1000;
    start = process.hrtime.bigint();
    let last = assembleMessage(issue, { links: LINKS })!;
    for (let i = 1; i < messages; i += 1) last = assembleMessage(issue, { links: LINKS })!;
    const assembleMs = (seconds(start) * 1000) / messages;
    const topics = new Set(['ai', 'energy']);
    start = process.hrtime.bigint();
    for (let i = 0; i < messages; i += 1) assembleMessage(issue, { topics, links: LINKS });
    const topicMs = (seconds(start) * 1000) / messages;
    start = process.hrtime.bigint();
    const mimeRuns = 200;
    let mimeBytes = 0;
    for (let i = 0; i < mimeRuns; i += 1) {
      const mime = await buildMime({
        from: { name: 'Bench Wire', address: 'digest@example.org' },
        to: `reader${i}@example.org`,
        subject: last.subject,
        date: dueAt,
        messageKey: '2026-W48',
        html: last.html,
        text: last.text,
        list: { name: 'Bench Wire weekly digest', id: 'digest.example.org' },
        unsubscribeUrl: LINKS.unsubscribeUrl,
      });
      mimeBytes = mime.byteLength;
    }
    const mimeMs = (seconds(start) * 1000) / mimeRuns;
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    rows.push(`| ${candidates} candidates: fill the issue's cards once | ${prepareMs.toFixed(1)} ms |`);
    rows.push(`| ${candidates} candidates: assemble one message, warm (every topic) | ${assembleMs.toFixed(2)} ms |`);
    rows.push(`| ${candidates} candidates: assemble one message, warm (2 topics chosen) | ${topicMs.toFixed(2)} ms |`);
    rows.push(`| ${candidates} candidates: build its MIME message (nodemailer) | ${mimeMs.toFixed(2)} ms |`);
    rows.push(
      `| ${candidates} candidates: HTML / text / MIME bytes of the message (${last.shown} shown, ${last.omitted} in the web copy only) | ${kb(Buffer.byteLength(last.html))} / ${kb(Buffer.byteLength(last.text))} / ${kb(mimeBytes)} |`,
    );
  }
  return rows;
}
