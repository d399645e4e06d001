// An issue's send report: what the planner queued and what became of each recipient, from the ledger. The issue is
// done when every planned recipient has an outcome; the counts are written to the state location and logged.
import type { Storage } from '../storage/port.ts';
import { emptyOutcomes, readProgress, type SendReport, writeReport } from './control.ts';
import { ledgerReport } from './dynamo-ledger.ts';
import type { SendLedger } from './model.ts';

export async function sendReport(state: Storage, ledger: SendLedger, issueId: string, now: Date): Promise<SendReport> {
  const progress = await readProgress(state, issueId);
  const ledgerCounts = await ledgerReport(ledger, issueId);
  const outcomes = emptyOutcomes();
  outcomes.sent = ledgerCounts.sent;
  outcomes.failed = ledgerCounts.failed;
  outcomes.suppressed = ledgerCounts.suppressed;
  outcomes['no-topics'] = ledgerCounts['no-topics'];
  outcomes.unknown = ledgerCounts.claimed;
  const accounted = outcomes.sent + outcomes.failed + outcomes.suppressed + outcomes['no-topics'] + outcomes.unknown;
  const report: SendReport = {
    issueId,
    planned: progress.planned,
    outcomes,
    unknownRecipients: ledgerCounts.unknownRecipients,
    done: progress.finishedAt !== undefined && accounted >= progress.planned,
    at: now,
  };
  await writeReport(state, report);
  return report;
}
