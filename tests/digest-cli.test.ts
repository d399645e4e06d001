// `npm run digest` and `npm run send`: the operator's commands on a state folder prepared by `npm start`, against the
// SES and DynamoDB stand-ins.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { runCli } from '../functions/cli.ts';
import { runDigestCli } from '../functions/digest-cli.ts';
import { readControl, writeProgress } from '../functions/sending/control.ts';
import { DynamoSendLedger } from '../functions/sending/dynamo-ledger.ts';
import { FsStorage } from '../functions/storage/fs.ts';
import { sentMail } from './stand-ins/ses.ts';
import { testDocumentClient } from './support/dynamo.ts';
import { newLedgerTable } from './support/ledger.ts';
import { useTempDirs } from './support/temp-dir.ts';

const NOW = '2026-11-24T12:00:00Z';
const ISSUE = '2026-W48';
const tempDir = useTempDirs();

/** A state folder as `npm start` leaves it on the sample content: issue 2026-W48 (#1) prepared. */
async function preparedState(): Promise<string> {
  const dir = await tempDir();
  const state = join(dir, 'state');
  const lines: string[] = [];
  const status = await runCli(['--now', NOW, '--state', state, '--out', join(dir, 'out')], {
    stdout: (line) => lines.push(line),
    stderr: (line) => lines.push(line),
    clock: () => new Date(NOW),
    env: {},
  });
  expect(status, lines.join('\n')).toBe(0);
  return state;
}

async function digest(args: string[], env: Record<string, string> = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const status = await runDigestCli(args, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    clock: () => new Date(NOW),
    env,
  });
  return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('npm run send -- --to ADDRESS', () => {
  beforeEach(() => {
    // The SDK takes credentials and region from the process's environment, not from io.env.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
    vi.stubEnv('AWS_REGION', 'us-east-1');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('sends the latest prepared issue to that one address, marked as a test', async () => {
    const state = await preparedState();
    const to = `test-send-${randomUUID().slice(0, 8)}@example.com`;
    const result = await digest(['send', '--to', to, '--state', state], {
      AWS_ENDPOINT_URL_SES: inject('sesEndpoint'),
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`sent issue ${ISSUE} (#1) to ${to} as a test`);
    const mails = (await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(to));
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toMatch(/^\[test\] Lab Notes Daily #1: /);
  });

  it('gives up with exit status 1 when SES keeps failing, each attempt one request (the SDK retries nothing)', async () => {
    const state = await preparedState();
    let requests = 0;
    const failing = createServer((_req, res) => {
      requests += 1;
      res.writeHead(503, { 'content-type': 'text/xml' });
      res.end(
        '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>down</Message></Error></ErrorResponse>',
      );
    });
    await new Promise<void>((done) => failing.listen(0, '127.0.0.1', done));
    try {
      const { port } = failing.address() as AddressInfo;
      const result = await digest(['send', '--to', 'someone@example.com', '--state', state], {
        AWS_ENDPOINT_URL_SES: `http://127.0.0.1:${port}`,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe('not sent: gave-up (ServiceUnavailable)');
      // deliver's own attempts (6), paced by its limiter: an SDK retrying by itself would make them 18.
      expect(requests).toBe(6);
    } finally {
      failing.closeAllConnections();
      await new Promise((done) => failing.close(done));
    }
  });

  it('refuses an --to that is not a plain address, with exit status 2', async () => {
    const state = await preparedState();
    const result = await digest(['send', '--to', 'not an address', '--state', state], {
      AWS_ENDPOINT_URL_SES: inject('sesEndpoint'),
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^send: --to ADDRESS is required/);
  });

  it('says there is nothing to send when no issue has been prepared, with exit status 2', async () => {
    const result = await digest(['send', '--to', 'someone@example.com', '--state', await tempDir()]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^no issue has been prepared yet/);
  });
});

describe('npm run digest -- pause|resume|cancel|approve', () => {
  it('pauses and resumes the latest issue in its control.json', async () => {
    const state = await preparedState();
    const storage = new FsStorage(state);
    const paused = await digest(['pause', '--state', state]);
    expect(paused).toMatchObject({ status: 0, stdout: `issue ${ISSUE}: paused` });
    expect((await readControl(storage, ISSUE)).state).toBe('paused');
    const resumed = await digest(['resume', ISSUE, '--state', state]);
    expect(resumed).toMatchObject({ status: 0, stdout: `issue ${ISSUE}: active` });
    expect((await readControl(storage, ISSUE)).state).toBe('active');
  });

  it('cancels for good: a resume afterwards fails with exit status 1 and changes nothing', async () => {
    const state = await preparedState();
    expect((await digest(['cancel', '--state', state])).status).toBe(0);
    const resumed = await digest(['resume', '--state', state]);
    expect(resumed.status).toBe(1);
    expect(resumed.stderr).toBe(`issue ${ISSUE} was cancelled; it cannot be resumed`);
    expect((await readControl(new FsStorage(state), ISSUE)).state).toBe('cancelled');
  });

  it('approves an issue at the time of the command, keeping its state', async () => {
    const state = await preparedState();
    await digest(['pause', '--state', state]);
    const approved = await digest(['approve', '--issue', ISSUE, '--state', state]);
    expect(approved.status).toBe(0);
    expect(await readControl(new FsStorage(state), ISSUE)).toEqual({ state: 'paused', approvedAt: new Date(NOW) });
  });

  it('refuses an issue that is not a week, with exit status 2, and writes nothing', async () => {
    const state = await preparedState();
    const result = await digest(['pause', 'last-week', '--state', state]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^expected an issue such as 2026-W48, got "last-week"/);
    expect((await readControl(new FsStorage(state), ISSUE)).state).toBe('active');
  });
});

describe('npm run digest -- status', () => {
  it("prints the issue's state and how many recipients were planned", async () => {
    const state = await preparedState();
    await digest(['pause', '--state', state]);
    const result = await digest(['status', '--state', state]);
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `issue ${ISSUE}: paused`,
      'planned 0 recipients (planning not finished)',
    ]);
  });

  it('with --ledger-table, prints what became of the recipients', async () => {
    const state = await preparedState();
    await writeProgress(new FsStorage(state), ISSUE, {
      done: [0],
      cursors: {},
      planned: 3,
      finishedAt: new Date(NOW),
    });
    const documents = testDocumentClient();
    const table = await newLedgerTable(documents);
    const ledger = new DynamoSendLedger(documents, table);
    const at = new Date(NOW);
    await ledger.claim(ISSUE, 'hash-a', at);
    await ledger.markSent(ISSUE, 'hash-a', 'message-a', at);
    await ledger.markSkipped(ISSUE, 'hash-b', 'no-topics', at);
    await ledger.claim(ISSUE, 'hash-c', at);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    try {
      const result = await digest(['status', '--state', state, '--ledger-table', table], {
        AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.split('\n')).toEqual([
        `issue ${ISSUE}: active`,
        'planned 3 recipients (planning finished)',
        'sent 1, suppressed 0, no matching topics 1, failed 0, unknown 1: done',
        'unknown: hash-c',
      ]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('npm run digest', () => {
  it('prints the usage with exit status 2 when no command is given, and 0 for --help', async () => {
    expect(await digest([])).toMatchObject({ status: 2, stdout: expect.stringMatching(/^Usage:/) });
    expect(await digest(['--help'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Usage:/) });
  });

  it('refuses an unknown command with exit status 2, before it looks for an issue', async () => {
    const result = await digest(['resend', '--state', await tempDir()]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^unknown command "resend"/);
  });
});
