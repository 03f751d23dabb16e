import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A repo the stand-in Hub serves: file name → bytes. */
export type FakeRepo = Record<string, Uint8Array>;

/** A local stand-in for the Hugging Face Hub's file API (the endpoints `@huggingface/hub` uses). */
export interface FakeHub {
  /** `http://127.0.0.1:<port>`, for `HF_ENDPOINT`. */
  readonly url: string;
  /** Requests seen, as `METHOD path` (with `range` for ranged GETs). */
  readonly requests: { method: string; path: string; range?: string; authorization?: string }[];
  /** Full-content downloads per file path. */
  downloads(path: string): number;
  close(): Promise<void>;
}

/** Options of {@link startFakeHub}. */
export interface FakeHubOptions {
  /** Require `Authorization: Bearer <token>` (401 otherwise). */
  readonly token?: string;
}

const COMMIT = 'c0ffee'.padEnd(40, '0');

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/**
 * Serves `repos` (`org/name` → files) on a loopback port: `POST /api/models/<repo>/paths-info/<rev>`
 * (etag = sha256, LFS-style, and the last commit) and `GET /<repo>/resolve/<rev>/<path>` with
 * Range support, as the real Hub answers them.
 */
export async function startFakeHub(
  repos: Record<string, FakeRepo>,
  options: FakeHubOptions = {},
): Promise<FakeHub> {
  const requests: FakeHub['requests'] = [];
  const downloads = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    requests.push({
      method: req.method ?? 'GET',
      path,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Invalid credentials' }));
      return;
    }
    const info = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/([^/]+)$/.exec(path);
    if (info && req.method === 'POST') {
      const repo = repos[info[1] as string];
      const { paths } = JSON.parse(await readBody(req)) as { paths: string[] };
      if (!repo) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-error-code': 'RepoNotFound' });
        res.end(JSON.stringify({ error: 'Repository not found' }));
        return;
      }
      const found = paths
        .filter((p) => repo[p])
        .map((p) => {
          const bytes = repo[p] as Uint8Array;
          const oid = createHash('sha256').update(bytes).digest('hex');
          return {
            type: 'file',
            path: p,
            size: bytes.length,
            oid: createHash('sha1').update(bytes).digest('hex'),
            lfs: { oid, size: bytes.length, pointerSize: 134 },
            lastCommit: { id: COMMIT, title: 'Upload', date: '2026-01-01T00:00:00.000Z' },
          };
        });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(found));
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const bytes = resolve ? repos[resolve[1] as string]?.[resolve[3] as string] : undefined;
    if (!resolve || !bytes) {
      res.writeHead(404, { 'content-type': 'application/json', 'x-error-code': 'EntryNotFound' });
      res.end(JSON.stringify({ error: 'Entry not found' }));
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), bytes.length - 1);
      res.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${bytes.length}`,
        'content-length': String(end - start + 1),
        etag: `"${createHash('sha256').update(bytes).digest('hex')}"`,
        'x-repo-commit': COMMIT,
      });
      res.end(Buffer.from(bytes.subarray(start, end + 1)));
      return;
    }
    downloads.set(resolve[3] as string, (downloads.get(resolve[3] as string) ?? 0) + 1);
    res.writeHead(200, { 'content-length': String(bytes.length), 'x-repo-commit': COMMIT });
    res.end(Buffer.from(bytes));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    downloads: (path) => downloads.get(path) ?? 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
