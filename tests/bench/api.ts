import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { createApi } from '../../functions/subscribers/api.ts';
import { confirmationSender } from '../../functions/subscribers/confirmation-sender.ts';
import { DynamoSubscriberStore, tableDefinition } from '../../functions/subscribers/dynamo-store.ts';
import { createTokenSigner, generateKeyringText, parseKeyring } from '../../functions/subscribers/tokens.ts';
import { startDynalite } from '../stand-ins/dynalite.ts';
import { startSes } from '../stand-ins/ses.ts';
import { digestConfig } from '../support/digest.ts';
import { measureBundle } from './bundles.ts';

export async function benchApi(): Promise<string[]> {
  const rows: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'newsfeeds-api-bench-'));
  try {
    const { bytes, unwanted, coldRequireMs } = await measureBundle('functions/handlers/subscriber-api.ts', dir);
    const withMjml = unwanted.filter((input) => input.includes('node_modules/mjml')).length;
    rows.push(
      `| API Lambda bundle (esbuild, minified, AWS SDK included) | ${(bytes / 1024).toFixed(0)} KiB, ${withMjml} mjml modules |`,
    );
    rows.push(`| API Lambda bundle: cold require, median of 5 fresh processes | ${coldRequireMs.toFixed(0)} ms |`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const [dynamo, ses] = await Promise.all([startDynalite(), startSes()]);
  try {
    const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials }),
    );
    const table = `bench-${randomUUID().slice(0, 8)}`;
    await documents.send(new CreateTableCommand(tableDefinition(table)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const config = digestConfig({ signup: { perClientPerHour: 10_000, totalPerHour: 1_000_000 } });
    const keyring = parseKeyring(generateKeyringText(), 'bench keys');
    const sesClient = new SESClient({ endpoint: ses.endpoint, region: 'us-east-1', credentials });
    const app = createApi({
      config,
      store: new DynamoSubscriberStore(documents, table),
      signer: createTokenSigner(keyring),
      hashKey: keyring.hashKey!,
      sendConfirmation: confirmationSender(sesClient, config),
      topics: async () => [{ slug: 'ai', label: 'AI' }],
      clock: () => new Date(),
      client: () => ({ ip: '203.0.113.1' }),
      log: () => {},
      responseFloorMs: 0,
    });
    const signUps = 400;
    const limit = pLimit(16);
    const post = (i: number) =>
      app.request('/api/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `email=bench-${i}%40example.com&topics=ai`,
      });
    await Promise.all(Array.from({ length: 20 }, (_, i) => limit(() => post(100_000 + i))));
    const started = performance.now();
    await Promise.all(Array.from({ length: signUps }, (_, i) => limit(() => post(i))));
    const seconds = (performance.now() - started) / 1000;
    rows.push(
      `| POST /subscribe, new addresses, 16 at a time (read, 2 rate-limit counters, conditional put, MIME, SES send) | ${(signUps / seconds).toFixed(0)} sign-ups/s |`,
    );
  } finally {
    await Promise.all([dynamo.stop(), ses.stop()]);
  }
  return rows;
}
