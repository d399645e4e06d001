import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DigestSettings, SiteConfig } from './core/config.ts';
import { CONTENT_TYPES } from './core/site.ts';
import { escapeHtml } from './core/text.ts';
import { readDigestState, readIssueCopy } from './pipeline/digest-state.ts';
import { readControl, writeProgress } from './sending/control.ts';
import type { Outcome } from './sending/model.ts';
import { planSend } from './sending/plan.ts';
import { MemorySendQueue } from './sending/queue.ts';
import { sendReport } from './sending/report.ts';
import { type SenderDeps, sendBatch } from './sending/send.ts';
import type { Storage } from './storage/port.ts';
import { page } from './subscribers/pages.ts';

/** The dev server's own page: never part of the API, so never in the Lambda. */
export const DEV_SEND_PATH = '/dev/send';

export type DigestConfig = SiteConfig & { digest: DigestSettings };

export interface DevSendDeps {
  config: DigestConfig;
  /** The dev state: the prepared issue, its control.json, plan.json and report.json. */
  state: Storage;
  /** Everything sendBatch needs but the issue and its control, which are read from `state` at each send. */
  sender: Omit<SenderDeps, 'issue' | 'control'>;
  mailUrl: string;
  log: (line: string) => void;
}

const OUTCOME_LABELS: Record<Outcome, string> = {
  sent: 'sent',
  'already-sent': 'already sent',
  suppressed: 'suppressed',
  'no-topics': 'no matching topics',
  failed: 'failed',
  unknown: 'unknown',
};

/** The counts given, in the order of OUTCOME_LABELS. */
const list = (counts: Partial<Record<Outcome, number>>, shown = Object.keys(OUTCOME_LABELS) as Outcome[]) =>
  `<ul>\n${shown
    .filter((outcome) => counts[outcome] !== undefined)
    .map((outcome) => `<li>${escapeHtml(OUTCOME_LABELS[outcome])}: ${counts[outcome]}</li>`)
    .join('\n')}\n</ul>`;

/** What the ledger can say: 'already-sent' is an outcome of a delivery, never a ledger state. */
const LEDGER_OUTCOMES: Outcome[] = ['sent', 'suppressed', 'no-topics', 'failed', 'unknown'];

/** Why an issue is not sent, and what the operator's command is. */
const HELD = {
  paused: 'It is paused (npm run digest -- resume --state …): nothing is sent.',
  cancelled: 'It was cancelled (npm run digest -- cancel): nothing is sent.',
  'awaiting-approval': 'It waits for an approval (digest.requireApproval): npm run digest -- approve --state …',
} as const;

/**
 * Plans the current issue into an in-process queue and drains it with the deployed senders' code: the ledger decides
 * who gets a message, so a second press sends only to whoever confirmed since. The plan starts afresh at each press
 * (a finished plan.json would queue nobody new); the report counts the ledger, so it covers every press.
 */
async function sendCurrentIssue(deps: DevSendDeps): Promise<{ status: number; html: string }> {
  const { config, state } = deps;
  const last = (await readDigestState(state)).last;
  if (!last) {
    return { status: 409, html: page(config, 'No issue to send', '<p>No issue has been prepared yet.</p>') };
  }
  const issueId = last.id;
  const copy = await readIssueCopy(state, issueId);
  if (!copy) throw new Error(`issue ${issueId} has no prepared copy in ${state.displayName('')}`);
  const title = `Issue ${issueId} (#${last.number})`;
  const back = `<p><a href="${DEV_SEND_PATH}">Back</a> · <a href="${escapeHtml(deps.mailUrl)}">Mail sent (SES stand-in)</a></p>`;
  const held = (outcome: keyof typeof HELD) => {
    deps.log(`dev send: issue ${issueId} not sent: ${outcome}`);
    return { status: 409, html: page(config, title, `<p>${escapeHtml(HELD[outcome])}</p>${back}`) };
  };
  // A paused issue would only send its batches round the queue until they go to the dead letters.
  if ((await readControl(state, issueId)).state === 'paused') return held('paused');
  const now = deps.sender.clock();
  const queue = new MemorySendQueue();
  await writeProgress(state, issueId, { done: [], cursors: {}, planned: 0 });
  const plan = await planSend({
    issueId,
    store: deps.sender.store,
    queue,
    state,
    now,
    requireApproval: config.digest.requireApproval,
  });
  if (plan.outcome !== 'planned') return held(plan.outcome);
  const thisSend: Partial<Record<Outcome, number>> = {};
  const senderDeps: SenderDeps = {
    ...deps.sender,
    issue: async () => copy,
    control: async (id) => (await readControl(state, id)).state,
  };
  const errors = await queue.drain(async (batch) => {
    const result = await sendBatch(batch, senderDeps);
    for (const [outcome, count] of Object.entries(result.outcomes) as [Outcome, number][]) {
      thisSend[outcome] = (thisSend[outcome] ?? 0) + count;
    }
  });
  const report = await sendReport(state, deps.sender.ledger, issueId, now);
  deps.log(
    `dev send: issue ${issueId}: planned ${plan.planned}; this send ${JSON.stringify(thisSend)}; ${errors.length} batch errors`,
  );
  const problems =
    errors.length > 0
      ? `<p>Batches that failed (${errors.length}): ${escapeHtml([...new Set(errors.map((e) => (e as Error).message))].join('; '))}</p>`
      : '';
  const body = `<p>Planned ${report.planned} confirmed subscribers${report.done ? '; every one has an outcome' : ''}.</p>
<h2>This send</h2>
${Object.keys(thisSend).length > 0 ? list(thisSend) : '<p>Nothing: nobody to send to.</p>'}
<h2>The issue so far (the send ledger)</h2>
${list(report.outcomes, LEDGER_OUTCOMES)}
${problems}${back}`;
  return { status: 200, html: page(config, title, body) };
}

/** The page with the button: what would be sent, and where it shows up. */
async function sendForm(deps: DevSendDeps): Promise<string> {
  const { config } = deps;
  const last = (await readDigestState(deps.state)).last;
  if (!last) return page(config, 'Send the current issue', '<p>No issue has been prepared yet: nothing to send.</p>');
  return page(
    config,
    'Send the current issue',
    `<p>Sends issue ${escapeHtml(last.id)} (#${last.number}) to every confirmed subscriber of this dev server, through the
SES stand-in: it shows up in the <a href="${escapeHtml(deps.mailUrl)}">mail viewer</a>, and nothing leaves this machine.
Whoever has it already is not sent it again.</p>
<form method="post" action="${DEV_SEND_PATH}"><button type="submit">Send issue #${last.number}</button></form>`,
  );
}

export function answerHtml(res: ServerResponse, status: number, html: string, head = false): void {
  res.writeHead(status, { 'Content-Type': CONTENT_TYPES.html, 'Cache-Control': 'no-store' });
  res.end(head ? undefined : html);
}

/**
 * GET: the form; POST: the send and its report. One send at a time, so two presses never race for the same claims.
 * A POST from another origin is refused: a page elsewhere must not make this server send.
 */
export function devSendListener(deps: DevSendDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  let queue = Promise.resolve();
  return async (req, res) => {
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      answerHtml(res, 200, await sendForm(deps), method === 'HEAD');
      return;
    }
    if (method !== 'POST') {
      res.writeHead(405, { Allow: 'GET, HEAD, POST', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed\n');
      return;
    }
    req.resume();
    const origin = req.headers.origin;
    if (origin !== undefined && !(URL.canParse(origin) && new URL(origin).host === req.headers.host)) {
      answerHtml(res, 403, page(deps.config, 'Not sent', '<p>A send starts only from this server’s own page.</p>'));
      return;
    }
    const run = queue.then(() => sendCurrentIssue(deps));
    queue = run.then(
      () => undefined,
      () => undefined,
    );
    const { status, html } = await run;
    answerHtml(res, status, html);
  };
}
