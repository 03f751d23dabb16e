/**
 * Test helper: Google's Cloud Storage emulator (from firebase-tools, pinned as a devDependency)
 * started in-process on 127.0.0.1, behind a small HTTP proxy the tests control.
 *
 * The emulator is real (express app implementing the JSON API: simple/multipart/resumable upload,
 * download, list with prefix/delimiter, metadata, copy, delete); we start its app without the Java
 * rules runtime, which only the Firebase (not the GCS JSON) API consults. The proxy adds what the
 * emulator lacks and what the tests need:
 *
 * - `ifGenerationMatch` preconditions, which the emulator ignores: for a request carrying one, the
 *   proxy serializes requests on that object, reads its current generation from the emulator and
 *   answers 412 `conditionNotMet` (as GCS does) when it differs — see README.md in this folder.
 * - fault injection: answer the next N matching requests with an error status (503, 429, ...), or
 *   cut upload requests after some bytes, as a dropped connection would.
 * - a log of every request (method, path, status) for assertions.
 * - one route shim: the emulator serves copy/rewrite only at `/b/...`, not at the documented
 *   `/storage/v1/b/...` the client calls; the proxy strips the prefix for those two routes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** One request seen by the proxy. */
export interface SeenRequest {
  /** HTTP method. */
  method: string;
  /** Path and query. */
  url: string;
  /** Status answered (0 when the connection was cut). */
  status: number;
  /** True when the proxy injected the answer. */
  injected: boolean;
}

/** A rule answering matching requests with an error instead of forwarding them. */
interface FailRule {
  remaining: number;
  status: number;
  match: (method: string, url: string) => boolean;
}

/** A running emulator and its proxy. */
export interface GcsEmulator {
  /** Base URL of the proxy: what clients use (`STORAGE_EMULATOR_HOST` / `apiEndpoint`). */
  url: string;
  /** Base URL of the emulator itself, bypassing faults and preconditions (to inspect state). */
  directUrl: string;
  /** Every request the proxy handled, in order. */
  requests: SeenRequest[];
  /** Answers the next `count` requests that `match` with `status` (default 503). */
  failNext(count: number, match?: (method: string, url: string) => boolean, status?: number): void;
  /**
   * Forwards the next `count` matching requests but answers the client 503 instead of the real
   * response: the write happened, the client cannot know (a response lost on the way back).
   */
  loseResponses(count: number, match: (method: string, url: string) => boolean): void;
  /** Cuts every upload request after `bytes` of its body (undefined: stop cutting). */
  cutUploadsAfter(bytes: number | undefined): void;
  /** Drops every pending fault rule. */
  clearFaults(): void;
  /** Most requests the proxy had open at once since the last {@link GcsEmulator.resetInFlight}. */
  maxInFlight(): number;
  /** Starts counting {@link GcsEmulator.maxInFlight} afresh. */
  resetInFlight(): void;
  /** Stops both servers and deletes the emulator's files. */
  stop(): Promise<void>;
}

interface StorageEmulatorInstance {
  getPersistenceTmpDir(): string;
  getInfo(): { name: string; host: string; port: number };
}

/** Starts the emulator and proxy on free ports of 127.0.0.1. */
export async function startGcsEmulator(): Promise<GcsEmulator> {
  const blobs = await mkdtemp(join(tmpdir(), 'mlops-gcs-emulator-'));
  const { StorageEmulator } = require('firebase-tools/lib/emulator/storage/index.js') as {
    StorageEmulator: new (args: Record<string, unknown>) => StorageEmulatorInstance;
  };
  const { createApp } = require('firebase-tools/lib/emulator/storage/server.js') as {
    createApp(
      projectId: string,
      emulator: unknown,
    ): Promise<{ listen(port: number, host: string, cb: () => void): Server }>;
  };
  // Each emulator keeps its blobs in its own directory (the default is shared by all processes).
  class IsolatedStorageEmulator extends StorageEmulator {
    override getPersistenceTmpDir(): string {
      return blobs;
    }
  }
  const emulator = new IsolatedStorageEmulator({ projectId: 'demo-mlops', host: '127.0.0.1', port: 0 });
  const app = await createApp('demo-mlops', emulator);
  const upstream = await new Promise<Server>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
  const upstreamPort = (upstream.address() as AddressInfo).port;
  // Bucket metadata links are built from the registry's host and port (port 0 until we know it).
  const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry.js') as {
    EmulatorRegistry: { set(name: string, instance: unknown): void; clear(name: string): void };
  };
  emulator.getInfo = () => ({ name: 'storage', host: '127.0.0.1', port: upstreamPort });
  EmulatorRegistry.set('storage', emulator);

  const requests: SeenRequest[] = [];
  const failRules: FailRule[] = [];
  const loseRules: FailRule[] = [];
  let cutAfter: number | undefined;
  const locks = new Map<string, Promise<void>>();
  let inFlight = 0;
  let maxInFlight = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest, done: () => void) => {
    // The emulator mounts copy/rewrite at /b/... only; GCS (and the client) use /storage/v1/b/...
    const path = (req.url ?? '/').replace(
      /^\/storage\/v1(\/b\/[^/]+\/o\/[^/]+\/(?:rewriteTo|copyTo)\/)/,
      '$1',
    );
    const upstreamReq = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path, headers: req.headers },
      (upstreamRes) => {
        seen.status = upstreamRes.statusCode ?? 0;
        const lose = loseRules.find((r) => r.remaining > 0 && r.match(req.method ?? 'GET', req.url ?? '/'));
        if (lose) {
          lose.remaining--;
          seen.injected = true;
          upstreamRes.resume();
          upstreamRes.on('end', () => {
            res.writeHead(lose.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { code: lose.status, message: 'response lost (test proxy)' } }));
            done();
          });
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        upstreamRes.on('end', done);
        upstreamRes.on('error', done);
      },
    );
    upstreamReq.on('error', () => {
      res.destroy();
      done();
    });
    const isUpload = req.url?.startsWith('/upload/') && (req.method === 'POST' || req.method === 'PUT');
    if (cutAfter !== undefined && isUpload) {
      const limit = cutAfter;
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        if (sent + chunk.length > limit) {
          upstreamReq.write(chunk.subarray(0, Math.max(0, limit - sent)));
          sent = limit;
          // A dropped connection: neither side gets to finish the request.
          upstreamReq.destroy();
          req.socket.destroy();
          seen.status = 0;
          done();
          return;
        }
        sent += chunk.length;
        upstreamReq.write(chunk);
      });
      req.on('end', () => upstreamReq.end());
      req.resume(); // the body may have been paused while a precondition was checked
    } else {
      req.pipe(upstreamReq);
    }
  };

  const proxy = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const seen: SeenRequest = { method, url, status: 0, injected: false };
    requests.push(seen);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      inFlight--;
    });
    const rule = failRules.find((r) => r.remaining > 0 && r.match(method, url));
    if (rule) {
      rule.remaining--;
      seen.status = rule.status;
      seen.injected = true;
      req.resume();
      req.on('end', () => {
        res.writeHead(rule.status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              code: rule.status,
              message: 'injected by the test proxy',
              errors: [{ reason: 'backendError' }],
            },
          }),
        );
      });
      return;
    }
    const target = preconditionTarget(method, url);
    if (!target) {
      forward(req, res, seen, () => undefined);
      return;
    }
    // Serialize conditional requests per object so check-then-forward is atomic.
    req.pause();
    const key = `${target.bucket}/${target.object}`;
    const previous = locks.get(key) ?? Promise.resolve();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => held);
    locks.set(key, chained);
    void previous.then(async () => {
      const current = await currentGeneration(upstreamPort, target.bucket, target.object);
      const finish = () => {
        // The emulator's generations are Date.now(): wait a tick so the next write gets a new one.
        setTimeout(() => {
          release();
          if (locks.get(key) === chained) locks.delete(key);
        }, 2);
      };
      if (current !== target.ifGenerationMatch) {
        seen.status = 412;
        req.resume();
        req.on('end', () => {
          res.writeHead(412, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              error: {
                code: 412,
                message: 'At least one of the pre-conditions you specified did not hold.',
                errors: [{ reason: 'conditionNotMet' }],
              },
            }),
          );
          finish();
        });
        return;
      }
      forward(req, res, seen, finish); // piping resumes the paused body
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    directUrl: `http://127.0.0.1:${upstreamPort}`,
    requests,
    failNext(count, match = () => true, status = 503) {
      failRules.push({ remaining: count, status, match });
    },
    clearFaults() {
      failRules.length = 0;
      loseRules.length = 0;
      cutAfter = undefined;
    },
    maxInFlight: () => maxInFlight,
    resetInFlight() {
      maxInFlight = inFlight;
    },
    loseResponses(count, match) {
      loseRules.push({ remaining: count, status: 503, match });
    },
    cutUploadsAfter(bytes) {
      cutAfter = bytes;
    },
    async stop() {
      proxy.closeAllConnections();
      upstream.closeAllConnections?.();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
      EmulatorRegistry.clear('storage');
      await rm(blobs, { recursive: true, force: true });
    },
  };
}

/** The object a request with `ifGenerationMatch` is conditional on, per the JSON API's URL forms. */
function preconditionTarget(
  method: string,
  url: string,
): { bucket: string; object: string; ifGenerationMatch: string } | undefined {
  const parsed = new URL(url, 'http://proxy');
  const ifGenerationMatch = parsed.searchParams.get('ifGenerationMatch');
  if (ifGenerationMatch === null) return undefined;
  const path = parsed.pathname;
  let m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
  if (m && method === 'POST') {
    const name = parsed.searchParams.get('name');
    return name === null
      ? undefined
      : { bucket: decodeURIComponent(m[1] ?? ''), object: name, ifGenerationMatch };
  }
  m = /^\/storage\/v1\/b\/[^/]+\/o\/[^/]+\/(?:copyTo|rewriteTo)\/b\/([^/]+)\/o\/([^/]+)$/.exec(path);
  if (m)
    return {
      bucket: decodeURIComponent(m[1] ?? ''),
      object: decodeURIComponent(m[2] ?? ''),
      ifGenerationMatch,
    };
  m = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(path);
  if (m && (method === 'DELETE' || method === 'PATCH' || method === 'PUT')) {
    return {
      bucket: decodeURIComponent(m[1] ?? ''),
      object: decodeURIComponent(m[2] ?? ''),
      ifGenerationMatch,
    };
  }
  return undefined;
}

/** The object's generation as the emulator reports it; '0' when it does not exist (as in GCS). */
async function currentGeneration(port: number, bucket: string, object: string): Promise<string> {
  const response = await fetch(
    `http://127.0.0.1:${port}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(object)}`,
  );
  if (response.status === 404) return '0';
  const body = (await response.json()) as { generation?: string | number };
  return String(body.generation ?? '0');
}
