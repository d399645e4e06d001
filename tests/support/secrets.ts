// A Secrets Manager stand-in for tests: GetSecretValue only (the one call the handlers make), over the SDK's JSON
// protocol on a free port, answering the secrets it was given by ARN or name. No package of ours provides one.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningSecrets {
  endpoint: string;
  /** How many GetSecretValue calls were answered, per secret id. */
  reads: Map<string, number>;
  stop(): Promise<void>;
}

export async function startSecrets(secrets: Record<string, string>): Promise<RunningSecrets> {
  const reads = new Map<string, number>();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      const answer = (status: number, json: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(json));
      };
      if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return answer(400, { __type: 'InvalidRequestException', message: 'only GetSecretValue is served here' });
      }
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      const value = secrets[SecretId];
      if (value === undefined) {
        return answer(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the secret" });
      }
      reads.set(SecretId, (reads.get(SecretId) ?? 0) + 1);
      answer(200, { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'v1', CreatedDate: 0 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    reads,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
