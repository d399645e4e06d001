// A static file server for a local preview of the built site (npm run preview; npm run dev, next to the API): node:http
// only, GET and HEAD, nothing cached, and no request path can name a file outside the served folder (dot segments,
// backslashes and NUL are refused).
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { CONTENT_TYPES, FILE_NAMES } from './core/site.ts';

export interface RunningServer {
  /** Where the folder is served, ending in `/`, e.g. http://localhost:8080/ */
  url: string;
  close(): Promise<void>;
}

const BY_NAME: Record<string, string> = {
  [FILE_NAMES.rss]: CONTENT_TYPES.rss,
  [FILE_NAMES.atom]: CONTENT_TYPES.atom,
  [FILE_NAMES.json]: CONTENT_TYPES.json,
};

const BY_EXTENSION: Record<string, string> = {
  '.html': CONTENT_TYPES.html,
  // With nosniff, a browser applies a stylesheet only when it is served as text/css.
  '.css': CONTENT_TYPES.css,
  '.xml': 'application/xml; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.opml': CONTENT_TYPES.opml,
  '.txt': 'text/plain; charset=utf-8',
  '.eml': 'message/rfc822',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
};

function contentType(file: string): string {
  const name = file.slice(file.lastIndexOf(sep) + 1);
  return BY_NAME[name] ?? BY_EXTENSION[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** The path's segments, percent-decoded; undefined when the path could name something outside the folder. */
function safeSegments(url: string): string[] | undefined {
  const path = url.split(/[?#]/, 1)[0]!;
  if (!path.startsWith('/')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  return segments.some((s) => s === '.' || s === '..') ? undefined : segments;
}

const within = (root: string, path: string) => path === root || path.startsWith(root + sep);

function send(res: ServerResponse, head: boolean, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(head ? undefined : body);
}

async function respond(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const head = req.method === 'HEAD';
  const text = 'text/plain; charset=utf-8';
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, false, 405, text, 'Method not allowed: only GET and HEAD\n');
    return;
  }
  const segments = safeSegments(req.url ?? '');
  if (!segments) {
    send(res, head, 400, text, 'Bad request: not a path inside the site\n');
    return;
  }
  const notFound = () => send(res, head, 404, text, 'Not found\n');
  let file = join(root, ...segments);
  try {
    if ((await stat(file)).isDirectory()) {
      // A folder URL without its slash would resolve the folder's relative links one level up.
      if (!(req.url ?? '').split(/[?#]/, 1)[0]!.endsWith('/')) {
        const location = `/${segments.map(encodeURIComponent).join('/')}/`;
        res.setHeader('Location', location);
        send(res, head, 301, text, `Moved to ${location}\n`);
        return;
      }
      file = join(file, 'index.html');
    }
    // A link inside the folder must not lead out of it either.
    if (!within(await realpath(root), await realpath(file))) return notFound();
    const body = await readFile(file);
    send(res, head, 200, contentType(file), body);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return notFound();
    throw error;
  }
}

/** Answers GET and HEAD with the files under `root`; the request listener of serveFolder, and of the dev server. */
export function folderListener(root: string): RequestListener {
  const folder = resolve(root);
  return (req, res) => {
    respond(folder, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, false, 500, 'text/plain; charset=utf-8', `${(error as Error).message}\n`);
      else res.destroy();
    });
  };
}

/** Serves `root` on host:port (port 0: any free port) until `close()`; rejects when the port cannot be had. */
export function serveFolder(root: string, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  return listen(folderListener(root), port, host);
}

/** Runs `listener` on host:port (port 0: any free port) until `close()`; rejects when the port cannot be had. */
export async function listen(listener: RequestListener, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const server = createServer(listener);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  const name = host === '127.0.0.1' || host === '::1' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${name}:${bound}/`,
    close: () =>
      new Promise<void>((ok, fail) => {
        server.close((error) => (error ? fail(error) : ok()));
        // A browser keeps idle connections open, which would hold close() until they time out.
        server.closeAllConnections();
      }),
  };
}
