/**
 * Test helper: a local HTTP server standing in for a Google REST API (Cloud Run Admin v2, Vertex AI
 * v1). Each route answers from a script of responses, in order (the last one repeats), and every
 * request is recorded with its headers and JSON body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A scripted answer. */
export interface FakeResponse {
  /** HTTP status. Default 200. */
  status?: number;
  /** JSON body. */
  body?: unknown;
  /** Runs before answering (e.g. to simulate what the remote job does meanwhile). */
  before?: () => Promise<void>;
}

/** A request the fake received. */
export interface FakeRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

/** A running fake API. */
export interface FakeGoogleApi {
  /** Base URL, e.g. `http://127.0.0.1:1234`. */
  url: string;
  /** Requests received, in order. */
  requests: FakeRequest[];
  /** Scripts the answers to `METHOD path` (path without query). */
  on(method: string, path: string, responses: FakeResponse[]): void;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeGoogleApi(): Promise<FakeGoogleApi> {
  const routes = new Map<string, FakeResponse[]>();
  const requests: FakeRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      requests.push({
        method,
        url,
        authorization: req.headers.authorization,
        body: text ? JSON.parse(text) : undefined,
      });
      const script = routes.get(`${method} ${url.split('?')[0]}`);
      const next = script && (script.length > 1 ? script.shift() : script[0]);
      if (!next) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 404, message: `fake has no route ${method} ${url}` } }));
        return;
      }
      await next.before?.();
      res.writeHead(next.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(next.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    on(method, path, responses) {
      routes.set(`${method} ${path}`, [...responses]);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
