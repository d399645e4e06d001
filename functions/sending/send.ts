// A sender's work on one batch: re-read the recipients (one batched read), and for each confirmed one with something
// in their topics, claim the ledger entry, assemble their message (no MJML here), and hand it to SES at the
// configured rate. Throttled attempts are retried and never counted as sent; a permanent refusal is recorded and
// never retried; a transient failure gives the claim back and the batch returns to the queue.
import type { SESClient } from '@aws-sdk/client-ses';
import pLimit from 'p-limit';
import type { DigestSettings, SiteConfig } from '../core/config.ts';
import { ARCHIVE_INDEX_KEY, issueKey } from '../core/digest/archive.ts';
import { assembleMessage, type PreparedIssue, prepareIssue } from '../mail/digest-message.ts';
import { buildMime } from '../mail/mime.ts';
import type { IssueCopy } from '../pipeline/digest-state.ts';
import { addressHash } from '../subscribers/address.ts';
import type { SubscriberStore } from '../subscribers/model.ts';
import { signedLink } from '../subscribers/routes.ts';
import type { TokenSigner } from '../subscribers/tokens.ts';
import { deliver } from './deliver.ts';
import type { Outcome, SendBatch, SendLedger } from './model.ts';
import type { RateLimiter } from './rate.ts';

/** Why a batch goes back to the queue: the day's quota is spent, or SES kept failing for a while. */
export class SendInterrupted extends Error {
  override readonly name = 'SendInterrupted';
  constructor(
    readonly reason: 'quota-exhausted' | 'transient' | 'paused',
    message: string,
  ) {
    super(message);
  }
}

export interface SenderDeps {
  config: SiteConfig & { digest: DigestSettings };
  store: SubscriberStore;
  ledger: SendLedger;
  ses: SESClient;
  limiter: RateLimiter;
  signer: TokenSigner;
  hashKey: Uint8Array;
  /** The prepared issue's copy (state location: digest/issues/<id>.articles.json). */
  issue(issueId: string): Promise<IssueCopy>;
  /** 'paused' sends the batch back; 'cancelled' drops it. */
  control(issueId: string): Promise<'active' | 'paused' | 'cancelled'>;
  clock(): Date;
  configurationSet?: string;
  /** How many sends of one batch are in flight at once (the rate limiter still decides the pace). */
  concurrency?: number;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface BatchResult {
  issueId: string;
  outcomes: Partial<Record<Outcome, number>>;
  /** Keyed hashes of recipients found claimed but not sent by an earlier delivery. */
  unknown: string[];
}

/** Keeps the filled cards of an issue between batches of the same container. */
const prepared = new WeakMap<IssueCopy, PreparedIssue>();

export function preparedFor(copy: IssueCopy, config: SiteConfig & { digest: DigestSettings }): PreparedIssue {
  const known = prepared.get(copy);
  if (known) return known;
  const issue = prepareIssue(
    {
      config,
      issue: copy.issue,
      archiveUrl: new URL(issueKey(copy.issue.id), config.baseUrl).href,
      archiveIndexUrl: new URL(ARCHIVE_INDEX_KEY, config.baseUrl).href,
    },
    copy.articles,
  );
  prepared.set(copy, issue);
  return issue;
}

export async function sendBatch(batch: SendBatch, deps: SenderDeps): Promise<BatchResult> {
  const result: BatchResult = { issueId: batch.issueId, outcomes: {}, unknown: [] };
  const count = (outcome: Outcome) => {
    result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
  };
  const control = await deps.control(batch.issueId);
  if (control === 'cancelled') return result;
  if (control === 'paused') throw new SendInterrupted('paused', `Sending ${batch.issueId} is paused`);

  const copy = await deps.issue(batch.issueId);
  const issue = preparedFor(copy, deps.config);
  const digest = deps.config.digest;
  const subscribers = await deps.store.getMany(batch.recipients);
  let interrupted: SendInterrupted | undefined;
  const limit = pLimit(deps.concurrency ?? 4);

  await Promise.all(
    batch.recipients.map((address) =>
      limit(async () => {
        if (interrupted) return;
        const at = deps.clock();
        const recipient = addressHash(deps.hashKey, address);
        const subscriber = subscribers.get(address);
        if (subscriber?.status !== 'confirmed') {
          await deps.ledger.markSkipped(batch.issueId, recipient, 'suppressed', at);
          count('suppressed');
          return;
        }
        const links = {
          unsubscribeUrl: signedLink(digest.apiUrl, 'unsubscribe', deps.signer, address, copy.issue.dueAt),
          preferencesUrl: signedLink(digest.apiUrl, 'preferences', deps.signer, address, copy.issue.dueAt),
        };
        const topics = subscriber.topics.length > 0 ? new Set(subscriber.topics) : undefined;
        const message = assembleMessage(issue, { ...(topics ? { topics } : {}), links });
        if (!message) {
          await deps.ledger.markSkipped(batch.issueId, recipient, 'no-topics', at);
          count('no-topics');
          return;
        }
        const claim = await deps.ledger.claim(batch.issueId, recipient, at);
        if (claim !== 'claimed') {
          if (claim.state === 'claimed') {
            result.unknown.push(recipient);
            count('unknown');
          } else count(claim.state === 'sent' ? 'already-sent' : claim.state);
          return;
        }
        const raw = await buildMime({
          from: digest.from,
          to: address,
          ...(digest.replyTo ? { replyTo: digest.replyTo } : {}),
          subject: message.subject,
          date: copy.issue.dueAt,
          messageKey: copy.issue.id,
          html: message.html,
          text: message.text,
          list: { name: `${deps.config.title} weekly digest`, id: `digest.${digest.from.address.split('@').at(-1)}` },
          unsubscribeUrl: links.unsubscribeUrl,
        });
        const delivery = await deliver(
          deps.ses,
          {
            from: digest.from.address,
            to: address,
            raw,
            ...(deps.configurationSet ? { configurationSet: deps.configurationSet } : {}),
            // SES turns these into Gmail's Feedback-ID: complaints per issue and per list in Postmaster Tools.
            tags: { 'ses:feedback-id-a': copy.issue.id, 'ses:feedback-id-b': 'weekly-digest' },
          },
          {
            limiter: deps.limiter,
            ...(deps.maxAttempts ? { maxAttempts: deps.maxAttempts } : {}),
            ...(deps.sleep ? { sleep: deps.sleep } : {}),
          },
        );
        switch (delivery.kind) {
          case 'sent':
            await deps.ledger.markSent(batch.issueId, recipient, delivery.messageId, deps.clock());
            count('sent');
            return;
          case 'rejected':
            await deps.ledger.markFailed(batch.issueId, recipient, delivery.reason, deps.clock());
            count('failed');
            return;
          case 'quota-exhausted':
            await deps.ledger.release(batch.issueId, recipient);
            interrupted ??= new SendInterrupted(
              'quota-exhausted',
              'Daily message quota exceeded: sending stops until SES allows more',
            );
            return;
          case 'gave-up':
            await deps.ledger.release(batch.issueId, recipient);
            interrupted ??= new SendInterrupted(
              'transient',
              `SES kept failing (${delivery.reason}); the batch goes back to the queue`,
            );
            return;
        }
      }),
    ),
  );
  if (interrupted) throw interrupted;
  return result;
}
