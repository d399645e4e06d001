// A subscriber API wired to the stand-ins (a fresh dynalite table, the SES stand-in), with a clock the test moves,
// the client's IP from a test header, and the log captured: what the API tests and the browser test start from.
import { randomUUID } from 'node:crypto';
import { SESClient } from '@aws-sdk/client-ses';
import type { Hono } from 'hono';
import { inject } from 'vitest';
import type { TopicChoice } from '../../functions/core/signup-form.ts';
import { createApi } from '../../functions/subscribers/api.ts';
import { confirmationSender } from '../../functions/subscribers/confirmation-sender.ts';
import { DynamoSubscriberStore } from '../../functions/subscribers/dynamo-store.ts';
import {
  createTokenSigner,
  generateKeyringText,
  type Keyring,
  parseKeyring,
} from '../../functions/subscribers/tokens.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { type DigestConfig, digestConfig } from './digest.ts';
import { newSubscriberTable, testDocumentClient } from './dynamo.ts';

export const TOPICS: TopicChoice[] = [
  { slug: 'ai', label: 'AI' },
  { slug: 'energy', label: 'Energy' },
  { slug: 'space', label: 'Space' },
];

export interface TestApi {
  app: Hono;
  store: DynamoSubscriberStore;
  config: DigestConfig;
  keyring: Keyring;
  clock: { now: Date };
  logs: string[];
  /** A fresh address no other test uses (the SES stand-in's store is shared by every test file). */
  address(): string;
  /** The confirmation link of the newest mail to `to`, or undefined. */
  confirmLinkFor(to: string): Promise<string | undefined>;
  mailsTo(to: string): Promise<number>;
}

export async function testApi(
  options: { digest?: Record<string, unknown>; responseFloorMs?: number } = {},
): Promise<TestApi> {
  const client = testDocumentClient();
  const table = await newSubscriberTable(client);
  const store = new DynamoSubscriberStore(client, table);
  const config = digestConfig(options.digest ?? {});
  const keyring = parseKeyring(generateKeyringText(), 'test keys');
  const clock = { now: new Date('2026-11-24T12:00:00Z') };
  const logs: string[] = [];
  const ses = new SESClient({
    endpoint: inject('sesEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const app = createApi({
    config,
    store,
    signer: createTokenSigner(keyring),
    hashKey: keyring.hashKey!,
    sendConfirmation: confirmationSender(ses, config, { clock: () => clock.now }),
    topics: async () => TOPICS,
    clock: () => clock.now,
    client: (c) => ({
      ...(c.req.header('x-test-ip') ? { ip: c.req.header('x-test-ip')! } : {}),
      ...(c.req.header('user-agent') ? { userAgent: c.req.header('user-agent')! } : {}),
    }),
    log: (level, message, fields) => logs.push(JSON.stringify({ level, message, ...fields })),
    responseFloorMs: options.responseFloorMs ?? 0,
  });
  const mails = async (to: string) =>
    (await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(to));
  return {
    app,
    store,
    config,
    keyring,
    clock,
    logs,
    address: () => `reader-${randomUUID().slice(0, 8)}@example.com`,
    confirmLinkFor: async (to) => {
      const newest = (await mails(to)).at(-1);
      return newest?.body.text?.match(/https:\/\/\S+\/api\/confirm\?token=[\w.-]+/)?.[0];
    },
    mailsTo: async (to) => (await mails(to)).length,
  };
}

/** A form post, as a browser sends it without JavaScript. */
export function formPost(fields: [string, string][], headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}
