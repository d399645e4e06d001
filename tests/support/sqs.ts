// Small HTTP stand-ins for what the sender handler asks of SQS and SES when a batch has to wait (no SQS stand-in
// installs here, and aws-ses-v2-local never refuses): SQS's SendMessage (the AWS JSON 1.0 protocol the SDK speaks),
// kept in a list, and an SES whose daily quota is spent. Started per test on a free port, closed after.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMessage {
  QueueUrl: string;
  MessageBody: string;
  DelaySeconds?: number;
}

export interface RunningQueue {
  endpoint: string;
  /** What SendMessage received, in order. */
  sent: SentMessage[];
  /** From now on SendMessage is refused (AccessDenied, not retried). */
  refuse(): void;
  stop(): Promise<void>;
}

const bodyOf = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

async function listen(server: Server): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** SQS answering SendMessage, with the body's MD5 the SDK checks. */
export async function startQueue(): Promise<RunningQueue> {
  const sent: SentMessage[] = [];
  let refusing = false;
  const server = createServer(async (request, response) => {
    const target = request.headers['x-amz-target'];
    const input = JSON.parse((await bodyOf(request)) || '{}') as SentMessage;
    response.setHeader('content-type', 'application/x-amz-json-1.0');
    if (target !== 'AmazonSQS.SendMessage' || refusing) {
      response.statusCode = 400;
      response.end(
        JSON.stringify({
          __type: 'com.amazon.coral.service#AccessDeniedException',
          message: 'Access to the queue is denied',
        }),
      );
      return;
    }
    sent.push(input);
    response.end(
      JSON.stringify({
        MessageId: `m-${sent.length}`,
        MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex'),
      }),
    );
  });
  const { endpoint, stop } = await listen(server);
  const refuse = () => {
    refusing = true;
  };
  return { endpoint, sent, refuse, stop };
}

/** SES (query protocol) refusing every call as it does once the day's quota is spent; counts the calls. */
export async function startSesWithoutQuota(): Promise<{
  endpoint: string;
  calls: () => number;
  stop(): Promise<void>;
}> {
  let calls = 0;
  const server = createServer(async (request, response) => {
    await bodyOf(request);
    calls += 1;
    response.statusCode = 400;
    response.setHeader('content-type', 'text/xml');
    response.end(
      '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>' +
        '<Code>Throttling</Code><Message>Daily message quota exceeded.</Message></Error>' +
        `<RequestId>quota-${calls}</RequestId></ErrorResponse>`,
    );
  });
  const { endpoint, stop } = await listen(server);
  return { endpoint, calls: () => calls, stop };
}
