// A WebSub hub for tests: a real HTTP server on 127.0.0.1 that records each feed URL it is told about.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface TestHub {
  url: string;
  /** The `hub.url` of every publish ping received, in order. */
  pinged: string[];
}

/** Starts hubs that answer `status`; each is closed after the test that started it. */
export function useHubs(): (status?: number) => Promise<TestHub> {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  return async (status = 204) => {
    const pinged: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        if (form.get('hub.mode') === 'publish') pinged.push(form.get('hub.url') ?? '');
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, pinged };
  };
}
