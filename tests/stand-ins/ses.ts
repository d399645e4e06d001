// SES stand-in: aws-ses-v2-local in this process on a free port. It accepts SendEmail and SendRawEmail (V1) and V2,
// keeps what was sent (GET /store; POST /clear-store), and shows it at GET /. It keeps neither the raw MIME nor custom
// headers of raw messages, and it never throttles (../shared/notes/toolchain.md).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sesLocal from 'aws-ses-v2-local';

export interface RunningSes {
  endpoint: string;
  stop(): Promise<void>;
}

/** One message as the stand-in keeps it. */
export interface StoredMail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

export async function startSes(): Promise<RunningSes> {
  // CommonJS with exports.default: unwrap whichever form the loader gives.
  const module = sesLocal as unknown as { default: unknown };
  const start = (
    typeof module.default === 'function' ? module.default : (module.default as { default: unknown }).default
  ) as (config: { host: string; port: number }) => Promise<Server>;
  const server = await start({ host: '127.0.0.1', port: 0 });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** What the stand-in at `endpoint` has received, newest last. */
export async function sentMail(endpoint: string): Promise<StoredMail[]> {
  const response = await fetch(`${endpoint}/store`);
  const { emails } = (await response.json()) as { emails: StoredMail[] };
  return emails;
}
