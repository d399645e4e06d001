// The operator commands (npm run subscribers) against dynalite and the SES stand-in, called like the shell calls them.
import { randomUUID } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { addressHash } from '../../functions/subscribers/address.ts';
import { DynamoSubscriberStore } from '../../functions/subscribers/dynamo-store.ts';
import { signUp } from '../../functions/subscribers/lifecycle.ts';
import type { Subscriber, SubscriberStatus } from '../../functions/subscribers/model.ts';
import { createTokenSigner, generateKeyringText, parseKeyring } from '../../functions/subscribers/tokens.ts';
import { runSubscribersCli, unguardCell } from '../../functions/subscribers-cli.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { DIGEST_SETTINGS } from '../support/digest.ts';
import { newSubscriberTable, testDocumentClient } from '../support/dynamo.ts';
import { useTempDirs } from '../support/temp-dir.ts';

const tempDir = useTempDirs();

beforeEach(() => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
  vi.stubEnv('AWS_REGION', 'us-east-1');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const TOPICS = [
  { slug: 'ai', label: 'AI' },
  { slug: 'energy', label: 'Energy' },
  { slug: 'space', label: 'Space' },
];

/** A fresh table, keyring, configuration and site folder, and the CLI pointed at them. */
async function operator() {
  const client = testDocumentClient();
  const table = await newSubscriberTable(client);
  const store = new DynamoSubscriberStore(client, table);
  const dir = await tempDir();
  const keyringText = generateKeyringText();
  const keyring = parseKeyring(keyringText, 'test keys');
  await writeFile(join(dir, 'keys.json'), keyringText);
  await writeFile(
    join(dir, 'site.config.json'),
    JSON.stringify({
      title: 'Test Wire',
      description: 'Tested news.',
      baseUrl: 'https://feeds.example.org/news/',
      siteUrl: 'https://www.example.org/',
      author: { name: 'Test Wire desk' },
      idPrefix: 'tag:example.org,2026:',
      digest: DIGEST_SETTINGS,
    }),
  );
  await writeFile(join(dir, 'topics.json'), JSON.stringify(TOPICS));
  const clock = { now: new Date('2026-11-24T12:00:00Z') };
  const where = ['--table', table, '--keys', join(dir, 'keys.json'), '--config', join(dir, 'site.config.json')];
  const run = async (args: string[]) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const status = await runSubscribersCli([...where, '--site', dir, ...args], {
      stdout: (text) => stdout.push(text),
      stderr: (text) => stderr.push(text),
      clock: () => clock.now,
      env: { AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'), AWS_ENDPOINT_URL_SES: inject('sesEndpoint') },
    });
    return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  };
  const file = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  const seed = async (address: string, status: SubscriberStatus, fields: Partial<Subscriber> = {}) => {
    const at = new Date('2026-01-05T08:00:00Z');
    await store.save(
      {
        address,
        status,
        topics: [],
        consent: { at, source: 'form' },
        createdAt: at,
        updatedAt: at,
        ...(status === 'confirmed' ? { confirmedAt: at } : {}),
        softBounces: 0,
        version: 1,
        ...fields,
      },
      undefined,
    );
  };
  const hash = (address: string) => addressHash(keyring.hashKey!, address);
  return { store, keyring, dir, clock, run, file, seed, hash };
}

/** A fresh address: the SES stand-in's store is shared by every test file. */
const address = (prefix = 'op') => `${prefix}-${randomUUID().slice(0, 8)}@example.com`;

const mailsTo = async (to: string) =>
  (await sentMail(inject('sesEndpoint'))).filter((mail) => mail.destination.to.includes(to));

/** The CLI with nothing but `env`. */
async function bare(args: string[], env: Record<string, string>) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const status = await runSubscribersCli(args, {
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    clock: () => new Date(),
    env,
  });
  return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

describe('count', () => {
  it('counts subscribers by status, every status listed, with a total, and nothing that is not a subscriber', async () => {
    const op = await operator();
    const statuses: SubscriberStatus[] = ['pending', 'confirmed', 'confirmed', 'confirmed', 'bounced', 'complained'];
    for (const status of statuses) await op.seed(address(), status);
    await op.store.hit('all:1', 5, new Date('2030-01-01T00:00:00Z')); // a rate-limit record is not a subscriber

    const text = await op.run(['count']);
    expect(text.status).toBe(0);
    expect(text.stdout.split('\n')).toEqual([
      'pending       1',
      'confirmed     3',
      'unsubscribed  0',
      'bounced       1',
      'complained    1',
      'total         6',
    ]);
    const asJson = await op.run(['count', '--json']);
    expect(json(asJson.stdout)).toEqual({
      pending: 1,
      confirmed: 3,
      unsubscribed: 0,
      bounced: 1,
      complained: 1,
      total: 6,
    });
  });

  it('names the table it needs, as a usage error', async () => {
    const { status, stderr } = await bare(['count'], {});
    expect(status).toBe(2);
    expect(stderr).toContain('Name the subscriber table: --table NAME, or set SUBSCRIBER_TABLE');
  });

  it('fails, naming the error, when the table does not exist', async () => {
    const { status, stderr } = await bare(['count'], {
      SUBSCRIBER_TABLE: 'no-such-table',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    });
    expect(status).toBe(1);
    expect(stderr).toMatch(/^failed: ResourceNotFoundException/);
  });
});

describe('export', () => {
  it('writes every field as CSV, by address, with quoting and formula guards, and reads back the same', async () => {
    const op = await operator();
    const plain = address('b');
    const dash = `-${address('dash')}`;
    const plus = `+${address('plus')}`;
    await op.seed(plain, 'confirmed', { topics: ['ai', 'space'] });
    await op.seed(dash, 'pending', {
      topics: ['=HYPERLINK("https://evil.example")', 'a,b'],
      consent: { at: new Date('2026-02-01T00:00:00Z'), source: 'import:list, "2025"\nsecond line' },
    });
    await op.seed(plus, 'unsubscribed', { consent: { at: new Date('2026-03-01T00:00:00Z'), source: '@cmd' } });

    const { status, stdout, stderr } = await op.run(['export']);
    expect(status).toBe(0);
    expect(stderr).toBe('exported 3 subscribers');
    expect(stdout.split('\n')[0]).toBe('address,status,topics,created_at,confirmed_at,consent_source,consent_at');
    // Quoted where CSV needs it; a cell a spreadsheet would run as a formula starts with ' instead.
    expect(stdout).toContain(`'${dash},pending,"'=HYPERLINK(""https://evil.example"");a,b",`);
    expect(stdout).toContain(`,"import:list, ""2025""\nsecond line",2026-02-01T00:00:00.000Z`);
    expect(stdout).toContain(`'${plus},unsubscribed,,2026-01-05T08:00:00.000Z,,'@cmd,2026-03-01T00:00:00.000Z`);

    const rows = (parse(stdout, { columns: true }) as Record<string, string>[]).map((row) =>
      Object.fromEntries(Object.entries(row).map(([key, value]) => [key, unguardCell(value)])),
    );
    // `+` < `-` < `b` in code point order.
    expect(rows.map((row) => row.address)).toEqual([plus, dash, plain]);
    expect(rows[1]).toEqual({
      address: dash,
      status: 'pending',
      topics: '=HYPERLINK("https://evil.example");a,b',
      created_at: '2026-01-05T08:00:00.000Z',
      confirmed_at: '',
      consent_source: 'import:list, "2025"\nsecond line',
      consent_at: '2026-02-01T00:00:00.000Z',
    });
    expect(rows[2]).toMatchObject({
      topics: 'ai;space',
      confirmed_at: '2026-01-05T08:00:00.000Z',
      consent_source: 'form',
    });
    expect((await op.run(['export'])).stdout).toBe(stdout);
  });

  it('writes only one status to a file that only its owner can read', async () => {
    const op = await operator();
    const confirmed = address();
    await op.seed(confirmed, 'confirmed');
    await op.seed(address(), 'pending');
    const out = join(op.dir, 'confirmed.csv');
    const { status, stdout } = await op.run(['export', '--status', 'confirmed', '--out', out]);
    expect(status).toBe(0);
    expect(stdout).toBe(`exported 1 subscriber to ${out}`);
    const rows = parse(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.address, row.status])).toEqual([[confirmed, 'confirmed']]);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it('imports its own export unchanged, guarded addresses included, and leaves out those who left', async () => {
    const from = await operator();
    const addresses = [address('a'), `-${address('dash')}`, `+${address('plus')}`];
    for (const a of addresses) await from.seed(a, 'confirmed', { topics: ['energy'] });
    const left = address('left');
    await from.seed(left, 'unsubscribed');
    const out = join(from.dir, 'all.csv');
    await from.run(['export', '--out', out]);

    const to = await operator();
    const result = await to.run(['import', out, '--confirmed', '--source', 'export of the old table', '--json']);
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({
      rows: 4,
      imported: 3,
      skipped: [{ line: 5, reason: 'status-in-file', detail: 'unsubscribed', subscriber: to.hash(left) }],
    });
    for (const a of addresses) {
      expect(await to.store.get(a)).toMatchObject({ status: 'confirmed', topics: ['energy'] });
    }
    expect(await to.store.get(left)).toBeUndefined();
  });

  it('refuses an unknown status as a usage error', async () => {
    const op = await operator();
    const { status, stderr } = await op.run(['export', '--status', 'active']);
    expect(status).toBe(2);
    expect(stderr).toContain('--status: expected one of pending, confirmed, unsubscribed, bounced, complained');
  });
});

describe('import', () => {
  it('signs up each valid address as pending and mails it a confirmation, reporting bad rows by line only', async () => {
    const op = await operator();
    const [first, second, third] = [address(), address(), address()];
    const csv = await op.file(
      'spring-list.csv',
      [
        'Email,Name,Topics',
        `${first},Ada,AI; space`, // line 2
        'not-an-address,Bob,', // 3
        ',Carla,', // 4
        `${second},Dan,`, // 5
        `${first.replace('example.com', 'EXAMPLE.com')},Ada again,energy`, // 6: the same mailbox
        '', // 7: empty lines are not rows
        `${third},Eve,gardening`, // 8: no such topic
        `"${address()},Finn,`, // 9: a quote never closed
      ].join('\r\n'),
    );
    const { status, stdout, stderr } = await op.run(['import', csv]);
    expect(status).toBe(0);
    expect(stdout).toBe(
      'rows 7: imported 2, confirmations sent 2, already confirmed 0, skipped 4, duplicates 1, failed 0',
    );
    expect(stderr.split('\n')).toEqual([
      'line 3: skipped: not an email address',
      'line 4: skipped: no address',
      'line 6: duplicate of line 2, imported once',
      `line 8: skipped: the site has no topic "gardening" (subscriber ${op.hash(third)})`,
      'line 9: skipped: a quote opened here is never closed',
    ]);
    expect(`${stdout}${stderr}`).not.toMatch(/@example\.com|not-an-address/i);

    expect(await op.store.get(first)).toMatchObject({
      status: 'pending',
      topics: ['ai', 'space'],
      consent: { source: 'import:spring-list.csv', at: op.clock.now },
    });
    expect(await op.store.get(second)).toMatchObject({ status: 'pending', topics: [] });
    expect(await op.store.get(third)).toBeUndefined();

    const [mail, ...more] = await mailsTo(first);
    expect(more).toEqual([]);
    expect(mail!.body.text).toContain('AI');
    const token = /https:\/\/www\.example\.org\/api\/confirm\?token=([\w.-]+)/.exec(mail!.body.text ?? '')?.[1];
    expect(createTokenSigner(op.keyring).verify(token ?? '', 'confirm', op.clock.now)).toMatchObject({
      ok: true,
      address: first,
    });
    expect(await mailsTo(second)).toHaveLength(1);
  });

  it('sends nothing again within the cooldown, and leaves confirmed subscribers alone', async () => {
    const op = await operator();
    const fresh = address();
    const confirmed = address();
    await op.seed(confirmed, 'confirmed', { topics: ['ai'] });
    const csv = await op.file('list.csv', `address,topics\n${fresh},\n${confirmed},space\n`);

    expect(json((await op.run(['import', csv, '--json'])).stdout)).toMatchObject({
      imported: 1,
      confirmationsSent: 1,
      alreadyConfirmed: 1,
    });
    op.clock.now = new Date(op.clock.now.getTime() + 5 * 60_000);
    const again = json((await op.run(['import', csv, '--json'])).stdout);
    expect(again).toMatchObject({ imported: 0, confirmationsSent: 0, alreadyConfirmed: 1 });
    expect(again.skipped).toEqual([{ line: 2, reason: 'cooldown', subscriber: op.hash(fresh) }]);
    expect(await mailsTo(fresh)).toHaveLength(1);
    expect(await mailsTo(confirmed)).toHaveLength(0);
    expect(await op.store.get(confirmed)).toMatchObject({ status: 'confirmed', topics: ['ai'], version: 1 });
  });

  it('with --confirmed --source, saves confirmed subscribers with that consent and mails nobody', async () => {
    const op = await operator();
    const [one, two] = [address(), address()];
    const pending = address();
    await op.seed(pending, 'pending', { topics: ['ai'] });
    const csv = await op.file('old.csv', `email,topics\n${one},Energy\n${two},\n${pending},space\n`);
    const { status, stdout } = await op.run(['import', csv, '--confirmed', '--source', 'newsletter form 2025']);
    expect(status).toBe(0);
    expect(stdout).toBe(
      'rows 3: imported 3, confirmations sent 0, already confirmed 0, skipped 0, duplicates 0, failed 0',
    );
    const consent = { source: 'import:newsletter form 2025', at: op.clock.now };
    expect(await op.store.get(one)).toMatchObject({ status: 'confirmed', topics: ['energy'], consent });
    expect(await op.store.get(two)).toMatchObject({ status: 'confirmed', confirmedAt: op.clock.now, consent });
    expect(await op.store.get(pending)).toMatchObject({ status: 'confirmed', topics: ['space'], consent, version: 2 });
    for (const a of [one, two, pending]) expect(await mailsTo(a)).toHaveLength(0);
  });

  it('refuses --confirmed without --source as a usage error, before reading anything', async () => {
    const op = await operator();
    const { status, stderr } = await op.run(['import', join(op.dir, 'missing.csv'), '--confirmed']);
    expect(status).toBe(2);
    expect(stderr).toContain('--confirmed needs --source NAME');
  });

  it('never brings back a bounced, complained, unsubscribed or erased address', async () => {
    const op = await operator();
    const [bounced, complained, erasedComplaint, erasedPlain, unsubscribed] = [
      address(),
      address(),
      address(),
      address(),
      address(),
    ];
    await op.seed(bounced, 'bounced');
    await op.seed(complained, 'complained');
    await op.seed(erasedComplaint, 'complained');
    await op.store.erase(erasedComplaint, op.hash(erasedComplaint));
    await op.seed(erasedPlain, 'confirmed');
    await op.store.erase(erasedPlain, op.hash(erasedPlain));
    await op.seed(unsubscribed, 'unsubscribed');
    const csv = await op.file(
      'list.csv',
      `address\n${bounced}\n${complained}\n${erasedComplaint}\n${erasedPlain}\n${unsubscribed}\n`,
    );

    const confirmed = json((await op.run(['import', csv, '--confirmed', '--source', 'fair', '--json'])).stdout);
    expect(confirmed).toMatchObject({ imported: 0 });
    expect((confirmed.skipped as { reason: string }[]).map((s) => s.reason)).toEqual([
      'suppressed',
      'suppressed',
      'suppressed',
      'erased',
      'unsubscribed',
    ]);
    expect((await op.store.get(bounced))?.status).toBe('bounced');
    expect((await op.store.get(complained))?.status).toBe('complained');
    expect(await op.store.get(erasedComplaint)).toBeUndefined();
    expect(await op.store.get(erasedPlain)).toBeUndefined();
    expect((await op.store.get(unsubscribed))?.status).toBe('unsubscribed');

    // Without --confirmed, the suppressed ones get no mail either.
    const suppressedOnly = await op.file('again.csv', `address\n${bounced}\n${complained}\n${erasedComplaint}\n`);
    const pending = json((await op.run(['import', suppressedOnly, '--json'])).stdout);
    expect(pending).toMatchObject({ imported: 0, confirmationsSent: 0 });
    for (const a of [bounced, complained, erasedComplaint]) expect(await mailsTo(a)).toHaveLength(0);
  });

  it('fails, naming the file, when there is no address column', async () => {
    const op = await operator();
    const csv = await op.file('no-header.csv', `${address()},AI\n`);
    const { status, stderr } = await op.run(['import', csv]);
    expect(status).toBe(1);
    expect(stderr).toBe(
      `${csv}: line 1 must be a header naming an "address" (or "email") column, with an optional "topics" column`,
    );
  });

  it('fails before importing anything when rows name topics and the site has no topic list', async () => {
    const op = await operator();
    const someone = address();
    const csv = await op.file('list.csv', `address,topics\n${someone},ai\n`);
    const { status, stderr } = await op.run(['import', csv, '--site', join(op.dir, 'nowhere')]);
    expect(status).toBe(1);
    expect(stderr).toContain("the site's topic list");
    expect(await op.store.get(someone)).toBeUndefined();
  });
});

describe('erase', () => {
  it('erases a complained subscriber and its tombstone keeps it suppressed for a later sign-up', async () => {
    const op = await operator();
    const someone = address();
    await op.seed(someone, 'complained');
    const { status, stdout } = await op.run(['erase', someone]);
    expect(status).toBe(0);
    expect(stdout).toBe(
      `erased subscriber ${op.hash(someone)} (was complained); its tombstone keeps the address suppressed (complained): it is never mailed again`,
    );
    expect(await op.store.get(someone)).toBeUndefined();

    const tombstone = await op.store.tombstone(op.hash(someone));
    expect(tombstone).toBe('complained');
    const later = signUp(undefined, tombstone, {
      address: someone,
      topics: [],
      consent: { at: op.clock.now, source: 'form' },
      cooldownMs: 0,
    });
    expect(later.outcome).toBe('suppressed');
    const csv = await op.file('later.csv', `address\n${someone}\n`);
    await op.run(['import', csv]);
    expect(await mailsTo(someone)).toHaveLength(0);
  });

  it('says not found, with the tombstone if there is one, and exits 0', async () => {
    const op = await operator();
    const someone = address();
    await op.seed(someone, 'confirmed');
    await op.run(['erase', someone]);
    const again = await op.run(['erase', someone]);
    expect(again).toMatchObject({
      status: 0,
      stdout: `not found: no subscriber ${op.hash(someone)} (erased before; its tombstone says unsubscribed)`,
    });
    const stranger = address();
    expect((await op.run(['erase', stranger])).stdout).toBe(`not found: no subscriber ${op.hash(stranger)}`);
  });

  it('refuses what is not an address as a usage error', async () => {
    const op = await operator();
    expect((await op.run(['erase', 'someone at example.com'])).status).toBe(2);
  });
});

describe('usage', () => {
  it('prints the help and exits 0', async () => {
    const op = await operator();
    const { status, stdout } = await op.run(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('Usage: npm run subscribers -- <command> [options]');
  });

  it('exits 2 on an unknown command, a missing argument or an option of another command', async () => {
    const op = await operator();
    expect((await op.run(['list'])).stderr).toContain('Unknown command "list"');
    expect((await op.run(['import'])).stderr).toContain('import takes FILE, got none');
    expect((await op.run(['count', '--confirmed'])).stderr).toContain('--confirmed does not go with count');
    expect((await op.run([])).status).toBe(2);
  });
});
