// DynamoDB stand-in: dynalite, in memory, in this process, on a free port. It has conditional writes, GSIs and
// paginated queries; it has no transactions, no TTL and no PartiQL (../shared/notes/toolchain.md).
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface RunningDynalite {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<RunningDynalite> {
  // createTableMs: 0, or a new table stays CREATING for half a second.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
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
