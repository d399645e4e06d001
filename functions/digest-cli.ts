// Operator commands for an issue's sending (`npm run digest -- <command> <issue>`) and a test send of the current
// issue to one address (`npm run send -- --to someone@example.com`).
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localKeyring } from './cli.ts';
import { knownFailure, UsageError } from './cli-failure.ts';
import { type DigestSettings, parseSiteConfigText, type SiteConfig } from './core/config.ts';
import { ConfigError } from './core/errors.ts';
import { assembleMessage } from './mail/digest-message.ts';
import { buildMime } from './mail/mime.ts';
import { readDigestState, readIssueCopy } from './pipeline/digest-state.ts';
import { readControl, readProgress, writeControl } from './sending/control.ts';
import { deliver } from './sending/deliver.ts';
import { DynamoSendLedger } from './sending/dynamo-ledger.ts';
import { RateLimiter } from './sending/rate.ts';
import { sendReport } from './sending/report.ts';
import { preparedFor } from './sending/send.ts';
import { lazyS3Client, openStorage, parseLocation } from './storage/location.ts';
import type { Storage } from './storage/port.ts';
import { parseAddress } from './subscribers/address.ts';
import { signedLink } from './subscribers/routes.ts';
import { createTokenSigner } from './subscribers/tokens.ts';

const USAGE = `Usage:
  npm run digest -- status  [ISSUE]   what the planner queued and what became of each recipient
  npm run digest -- pause   [ISSUE]   senders stop taking batches (the queue keeps them)
  npm run digest -- resume  [ISSUE]   senders take batches again
  npm run digest -- cancel  [ISSUE]   senders drop the remaining batches; status says who got it
  npm run digest -- approve [ISSUE]   let a held issue go out (digest.requireApproval)
  npm run send -- --to ADDRESS [--issue ISSUE]
                                      send the issue to one address now, as a test (no ledger)

ISSUE is a week such as 2026-W48; default: the latest prepared issue.

Options:
  --state DIR         the digest's state, a folder or s3://bucket/prefix (default: .state)
  --config FILE       the site configuration (default: site.config.json)
  --ledger-table T    the send ledger (default: $LEDGER_TABLE); status needs it for the outcomes
  --to ADDRESS        send: the one recipient

SES and DynamoDB are reached as the AWS SDK finds them (credentials, AWS_REGION,
AWS_ENDPOINT_URL_SES / AWS_ENDPOINT_URL_DYNAMODB for a local stand-in).`;

const COMMANDS = new Set(['status', 'pause', 'resume', 'cancel', 'approve', 'send']);

export interface DigestCliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  clock: () => Date;
  env: Record<string, string | undefined>;
}

async function readConfig(path: string): Promise<SiteConfig & { digest: DigestSettings }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the site configuration ${path}: ${(error as Error).message}`, { cause: error });
  }
  const config = parseSiteConfigText(text, path);
  if (!config.digest) throw new ConfigError(`${path} has no "digest" section: there is no digest to send`);
  return config as SiteConfig & { digest: DigestSettings };
}

async function issueOf(state: Storage, given: string | undefined): Promise<string> {
  if (given) {
    if (!/^\d{4}-W\d{2}$/.test(given))
      throw new UsageError(`expected an issue such as 2026-W48, got ${JSON.stringify(given)}`);
    return given;
  }
  const last = (await readDigestState(state)).last;
  if (!last) throw new UsageError('no issue has been prepared yet (npm start prepares the one due now)');
  return last.id;
}

function documentClient(env: DigestCliIo['env']): DynamoDBDocumentClient {
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  return DynamoDBDocumentClient.from(new DynamoDBClient({ ...(endpoint ? { endpoint } : {}) }));
}

export async function runDigestCli(argv: string[], io: DigestCliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        state: { type: 'string', default: '.state' },
        config: { type: 'string', default: 'site.config.json' },
        'ledger-table': { type: 'string' },
        to: { type: 'string' },
        issue: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    const [command, issueArgument] = positionals;
    if (values.help || !command) {
      io.stdout(USAGE);
      return values.help ? 0 : 2;
    }
    // Before the state is read: a mistyped command is a usage error, whatever the state holds.
    if (!COMMANDS.has(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    const state = await openStorage(parseLocation(values.state), lazyS3Client(io.env), 'destination');
    const issueId = await issueOf(state, values.issue ?? issueArgument);
    const now = io.clock();
    switch (command) {
      case 'status': {
        const control = await readControl(state, issueId);
        const progress = await readProgress(state, issueId);
        const table = values['ledger-table'] ?? io.env.LEDGER_TABLE;
        io.stdout(
          `issue ${issueId}: ${control.state}${control.approvedAt ? `, approved ${control.approvedAt.toISOString()}` : ''}`,
        );
        io.stdout(
          `planned ${progress.planned} recipients${progress.finishedAt ? ' (planning finished)' : ' (planning not finished)'}`,
        );
        if (table) {
          const report = await sendReport(state, new DynamoSendLedger(documentClient(io.env), table), issueId, now);
          const o = report.outcomes;
          io.stdout(
            `sent ${o.sent}, suppressed ${o.suppressed}, no matching topics ${o['no-topics']}, failed ${o.failed}, unknown ${o.unknown}${report.done ? ': done' : ''}`,
          );
          for (const hash of report.unknownRecipients) io.stdout(`unknown: ${hash}`);
        }
        return 0;
      }
      case 'pause':
      case 'resume':
      case 'cancel': {
        const control = await readControl(state, issueId);
        if (control.state === 'cancelled' && command !== 'cancel') {
          io.stderr(`issue ${issueId} was cancelled; it cannot be ${command}d`);
          return 1;
        }
        const next = command === 'pause' ? 'paused' : command === 'resume' ? 'active' : 'cancelled';
        await writeControl(state, issueId, { ...control, state: next });
        io.stdout(`issue ${issueId}: ${next}`);
        return 0;
      }
      case 'approve': {
        const control = await readControl(state, issueId);
        await writeControl(state, issueId, { ...control, approvedAt: now });
        io.stdout(`issue ${issueId}: approved; the next planner run queues it`);
        return 0;
      }
      case 'send': {
        const to = parseAddress(values.to);
        if (!to) throw new UsageError('send: --to ADDRESS is required, a plain email address');
        const config = await readConfig(values.config);
        const copy = await readIssueCopy(state, issueId);
        if (!copy) throw new UsageError(`send: issue ${issueId} has no prepared copy in ${state.displayName('')}`);
        const keyring = await localKeyring(state);
        const signer = createTokenSigner(keyring);
        const digest = config.digest;
        const links = {
          unsubscribeUrl: signedLink(digest.apiUrl, 'unsubscribe', signer, to, copy.issue.dueAt),
          preferencesUrl: signedLink(digest.apiUrl, 'preferences', signer, to, copy.issue.dueAt),
        };
        const message = assembleMessage(preparedFor(copy, config), { links })!;
        const raw = await buildMime({
          from: digest.from,
          to,
          ...(digest.replyTo ? { replyTo: digest.replyTo } : {}),
          subject: `[test] ${message.subject}`,
          date: now,
          messageKey: `${copy.issue.id}-test`,
          html: message.html,
          text: message.text,
          list: { name: `${config.title} weekly digest`, id: `digest.${digest.from.address.split('@').at(-1)}` },
          unsubscribeUrl: links.unsubscribeUrl,
        });
        const endpoint = io.env.AWS_ENDPOINT_URL_SES || io.env.AWS_ENDPOINT_URL;
        // maxAttempts 1: deliver retries at the limiter's pace; the SDK's own retries would multiply its attempts.
        const ses = new SESClient({ maxAttempts: 1, ...(endpoint ? { endpoint } : {}) });
        const result = await deliver(ses, { from: digest.from.address, to, raw }, { limiter: new RateLimiter(1) });
        if (result.kind !== 'sent') {
          io.stderr(`not sent: ${result.kind}${'reason' in result ? ` (${result.reason})` : ''}`);
          return 1;
        }
        io.stdout(
          `sent issue ${copy.issue.id} (#${copy.issue.number}) to ${to} as a test: SES message ${result.messageId}`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    const failure = knownFailure(error, USAGE);
    if (failure) {
      io.stderr(failure.text);
      return failure.status;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runDigestCli(process.argv.slice(2), {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    clock: () => new Date(),
    env: process.env,
  });
}
