import { describe, expect, inject, it } from 'vitest';
import { ENV } from '../../functions/env.ts';
import { createSendHandler } from '../../functions/handlers/send-digest.ts';
import { generateKeyringText } from '../../functions/subscribers/tokens.ts';
import { sentMail } from '../stand-ins/ses.ts';
import { DIGEST_SETTINGS } from '../support/digest.ts';
import { HANDLER_SITE, useLambdaEnvironment } from '../support/lambda.ts';
import { preparedIssueToSend } from '../support/sending-fixture.ts';

const { logged, captureLogs } = useLambdaEnvironment();

describe('the sender handler', () => {
  it('sends the batches of an SQS event and reports only the failed one back to the queue', async () => {
    const { state, subscribers, ledger, addresses } = await preparedIssueToSend({
      number: 3,
      title: 'Lambda sent story',
      label: 'sender',
    });
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
    for (const address of addresses) expect(logged.join('\n')).not.toContain(address);
    // Redelivered: nobody gets a second copy.
    await handler({
      Records: [{ messageId: 'm3', body: JSON.stringify({ issueId: '2026-W48', recipients: addresses }) }],
    });
    for (const address of addresses) {
      expect((await sentMail(inject('sesEndpoint'))).filter((m) => m.destination.to.includes(address))).toHaveLength(1);
    }
  });
});
