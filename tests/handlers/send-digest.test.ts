import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { ENV } from '../../functions/env.ts';
import { createSendHandler } from '../../functions/handlers/send-digest.ts';
import { issueArticlesKey } from '../../functions/pipeline/digest-state.ts';
import { DynamoSubscriberStore } from '../../functions/subscribers/dynamo-store.ts';
import { generateKeyringText } from '../../functions/subscribers/tokens.ts';
import { newBucket, testS3Client } from '../stand-ins/s3.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { makeArticle } from '../support/article.ts';
import { DIGEST_SETTINGS } from '../support/digest.ts';
import { newSubscriberTable, testDocumentClient } from '../support/dynamo.ts';
import { HANDLER_SITE, useLambdaEnvironment } from '../support/lambda.ts';
import { newLedgerTable } from '../support/ledger.ts';

const { logged, captureLogs } = useLambdaEnvironment();

describe('the sender handler', () => {
  it('sends the batches of an SQS event and reports only the failed one back to the queue', async () => {
    const s3 = testS3Client();
    const state = await newBucket(s3, 'digest-state');
    const copy = {
      format: 1,
      issue: { id: '2026-W48', number: 3, dueAt: '2026-11-23T06:00:00.000Z', since: '2026-11-16T06:00:00.000Z' },
      articles: [makeArticle('a', { title: 'Lambda sent story' })],
    };
    await s3.send(
      new PutObjectCommand({ Bucket: state, Key: issueArticlesKey('2026-W48'), Body: JSON.stringify(copy) }),
    );
    const documents = testDocumentClient();
    const [subscribers, ledger] = await Promise.all([newSubscriberTable(documents), newLedgerTable(documents)]);
    const store = new DynamoSubscriberStore(documents, subscribers);
    const run = Date.now();
    const addresses = [`a-${run}@example.com`, `b-${run}@example.com`];
    const at = new Date('2026-11-20T00:00:00Z');
    for (const address of addresses) {
      await store.save(
        {
          address,
          status: 'confirmed',
          topics: [],
          consent: { at, source: 'form' },
          createdAt: at,
          updatedAt: at,
          softBounces: 0,
          version: 1,
        },
        undefined,
      );
    }
    const handler = createSendHandler({
      AWS_ENDPOINT_URL_S3: inject('s3Endpoint'),
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_SES: inject('sesEndpoint'),
      [ENV.subscriberTable]: subscribers,
      [ENV.ledgerTable]: ledger,
      [ENV.digestStateBucket]: state,
      [ENV.siteConfig]: JSON.stringify({
        ...HANDLER_SITE,
        siteUrl: 'https://www.example.org/',
        digest: DIGEST_SETTINGS,
      }),
      [ENV.signingKeys]: generateKeyringText(),
    });
    captureLogs();
    const result = await handler({
      Records: [
        { messageId: 'm1', body: JSON.stringify({ issueId: '2026-W48', recipients: addresses }) },
        { messageId: 'm2', body: '{"issueId":"not a week","recipients":[]}' },
      ],
    });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    for (const address of addresses) {
      const mails = (await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(address));
      expect(mails).toHaveLength(1);
      expect(mails[0]?.body.text).toContain('Lambda sent story');
    }
    const sentLine = logged.map((l) => JSON.parse(l)).find((l) => l.message === 'digest batch sent');
    expect(sentLine).toMatchObject({ issue: '2026-W48', sent: 2 });
    expect(logged.join('\n')).not.toContain(`${run}@example.com`);
    // Redelivered: nobody gets a second copy.
    await handler({
      Records: [{ messageId: 'm3', body: JSON.stringify({ issueId: '2026-W48', recipients: addresses }) }],
    });
    for (const address of addresses) {
      expect((await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(address))).toHaveLength(1);
    }
  });
});
