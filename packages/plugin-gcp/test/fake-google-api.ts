/**
 * Test helper: one local HTTP server standing in for the Google REST APIs the plugin calls, each
 * under its own path prefix (`/run/v2/...`, `/aiplatform/v1/...`, `/cloudbuild/v1/...`,
 * `/artifactregistry/v1/...`, `/monitoring/v3/...`, `/secretmanager/v1/...`; see `endpoints`).
 * Every request is matched against the API's published discovery document (schemas/) and its
 * query and body validated (see discovery.ts): a request that does not conform is answered 400
 * INVALID_ARGUMENT, as Google would, and recorded in `violations`. Scripted answers are validated
 * against the method's response schema too. Each route answers from a script of responses, in
 * order (the last one repeats); a response may be a function of the request, for fakes with state.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DiscoveryApi as Api, DiscoveryApi, loadDiscovery, type MatchedMethod } from './discovery.js';

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
  /** The discovery method it matched, e.g. `run.projects.locations.services.patch`. */
  methodId?: string;
}

/** A step of a script: an answer, or a function of the request that returns one. */
export type FakeStep = FakeResponse | ((request: FakeRequest) => FakeResponse | Promise<FakeResponse>);

/** Base URLs to give the plugin (`gcp({ endpoints })`). */
export interface FakeEndpoints {
  run: string;
  vertex: string;
  cloudBuild: string;
  artifactRegistry: string;
  monitoring: string;
  secretManager: string;
}

/** A running fake API. */
export interface FakeGoogleApi {
  /** Base URL, e.g. `http://127.0.0.1:1234`. */
  url: string;
  /** The API base URLs under it. */
  endpoints: FakeEndpoints;
  /** Requests received, in order. */
  requests: FakeRequest[];
  /** Requests (and scripted responses) that do not conform to the published schemas. */
  violations: string[];
  /** Scripts the answers to `METHOD path` (full path without query, e.g. `/run/v2/projects/...`). */
  on(method: string, path: string, responses: FakeStep[]): void;
  /** Forgets every script (requests and violations stay). */
  reset(): void;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** API prefix → discovery document. */
const APIS: Record<string, { file: string; version: string }> = {
  run: { file: 'run.v2.json', version: 'v2' },
  aiplatform: { file: 'aiplatform.v1.json', version: 'v1' },
  cloudbuild: { file: 'cloudbuild.v1.json', version: 'v1' },
  artifactregistry: { file: 'artifactregistry.v1.json', version: 'v1' },
  monitoring: { file: 'monitoring.v3.json', version: 'v3' },
  secretmanager: { file: 'secretmanager.v1.json', version: 'v1' },
};

let validators: Record<string, Api> | undefined;

/** The validators, loaded once. */
export function discoveryApis(): Record<string, Api> {
  validators ??= Object.fromEntries(
    Object.entries(APIS).map(([prefix, { file }]) => [prefix, new DiscoveryApi(loadDiscovery(file))]),
  );
  return validators;
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeGoogleApi(): Promise<FakeGoogleApi> {
  const apis = discoveryApis();
  const routes = new Map<string, FakeStep[]>();
  const requests: FakeRequest[] = [];
  const violations: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const parsed = new URL(url, 'http://fake');
      const request: FakeRequest = {
        method,
        url,
        authorization: req.headers.authorization,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(request);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      // Validate against the published schema of the API the prefix names.
      const [, prefix = '', ...rest] = parsed.pathname.split('/');
      const api = apis[prefix];
      let matched: MatchedMethod | undefined;
      if (!api) {
        violations.push(`${method} ${url}: no API under /${prefix}`);
      } else {
        matched = api.match(method, rest.join('/'));
        if (!matched) {
          violations.push(`${method} ${url}: no method of ${prefix} matches`);
          send(404, {
            error: {
              code: 404,
              message: `no method of ${prefix} matches ${method} ${url}`,
              status: 'NOT_FOUND',
            },
          });
          return;
        }
        request.methodId = matched.method.id;
        const problems = api.validateRequest(matched, parsed.searchParams, request.body);
        if (problems.length) {
          violations.push(...problems.map((p) => `${method} ${url}: ${p}`));
          send(400, { error: { code: 400, message: problems.join('; '), status: 'INVALID_ARGUMENT' } });
          return;
        }
      }
      const script = routes.get(`${method} ${parsed.pathname}`);
      const step = script && (script.length > 1 ? script.shift() : script[0]);
      if (!step) {
        send(404, {
          error: { code: 404, message: `fake has no route ${method} ${url}`, status: 'NOT_FOUND' },
        });
        return;
      }
      const next = typeof step === 'function' ? await step(request) : step;
      await next.before?.();
      const status = next.status ?? 200;
      if (api && matched && status < 300) {
        violations.push(
          ...api
            .validateResponse(matched, next.body ?? {})
            .map((p) => `fake's answer to ${method} ${url}: ${p}`),
        );
      }
      send(status, next.body ?? {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    endpoints: {
      run: `${url}/run/v2`,
      vertex: `${url}/aiplatform/v1`,
      cloudBuild: `${url}/cloudbuild/v1`,
      artifactRegistry: `${url}/artifactregistry/v1`,
      monitoring: `${url}/monitoring/v3`,
      secretManager: `${url}/secretmanager/v1`,
    },
    requests,
    violations,
    on(method, path, responses) {
      routes.set(`${method} ${path}`, [...responses]);
    },
    reset() {
      routes.clear();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
