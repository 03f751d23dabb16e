import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMlopsError } from '@mlops/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UPSERT_BUCKET } from '../src/graphql/operations.js';
import { WandbClient } from '../src/http/wandb-client.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { FAST_RETRY, startFake, TEST_KEY } from './helpers.js';

const upsert = (client: WandbClient) =>
  client.graphql('UpsertBucket', UPSERT_BUCKET, { name: 'r1', project: 'p', entity: 'e' });

describe('WandbClient: errors and retries', () => {
  let fake: FakeWandbServer;
  beforeEach(async () => {
    fake = await startFake();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('retries 429 and 5xx with backoff, honouring Retry-After, then succeeds', async () => {
    fake.fail({ operation: 'UpsertBucket' }, 429, { retryAfter: '0' });
    fake.fail({ operation: 'UpsertBucket' }, 503);
    fake.fail({ operation: 'UpsertBucket' }, 502);
    const client = new WandbClient({ baseUrl: fake.url, apiKey: TEST_KEY, retry: FAST_RETRY });
    await upsert(client);
    expect(fake.requests.filter((r) => r.operation === 'UpsertBucket')).toHaveLength(4);
    expect(fake.run('e', 'p', 'r1')).toBeDefined();
    expect(fake.violations).toEqual([]);
  });

  it('gives up after the last attempt with a message naming the endpoint and the fix', async () => {
    fake.fail({ operation: 'UpsertBucket' }, 500, { times: 10 });
    const client = new WandbClient({ baseUrl: fake.url, apiKey: TEST_KEY, retry: FAST_RETRY });
    const error = await upsert(client).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('failed 4 times (last: HTTP 500)');
    expect((error as Error).message).toContain(`${fake.url}/graphql`);
    expect((error as { hint: string }).hint).toContain('WANDB_MODE=offline');
    expect(fake.requests).toHaveLength(4);
  });

  it('does not retry 401, and says which key to fix without showing it', async () => {
    const client = new WandbClient({ baseUrl: fake.url, apiKey: 'wrong-key-9999', retry: FAST_RETRY });
    const error = await upsert(client).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    expect((error as Error).message).toContain('HTTP 401');
    expect((error as { hint: string }).hint).toContain('WANDB_API_KEY');
    expect(
      JSON.stringify({ m: (error as Error).message, h: (error as { hint: string }).hint }),
    ).not.toContain('wrong-key-9999');
    expect(fake.requests).toHaveLength(1);
  });

  it('reports a network failure (nothing listening) as unavailable', async () => {
    const url = fake.url;
    await fake.close();
    const client = new WandbClient({
      baseUrl: url,
      apiKey: TEST_KEY,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const error = await upsert(client).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/ECONNREFUSED|fetch failed/);
    fake = await startFake(); // for afterEach
  });

  it('turns GraphQL errors into a request error, with the key redacted from the server text', async () => {
    const client = new WandbClient({ baseUrl: fake.url, apiKey: TEST_KEY, retry: FAST_RETRY });
    // The fake answers a document the SDK would not send with a violation (HTTP 400).
    const error = await client
      .graphql(
        'UpsertBucket',
        'mutation UpsertBucket($secret: String) { upsertBucket(input: {secret: $secret}) { inserted } }',
        {
          secret: TEST_KEY,
        },
      )
      .catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_REQUEST')).toBe(true);
    expect((error as Error).message).toContain('unknown variable $secret');
    expect((error as Error).message).not.toContain(TEST_KEY);
    expect(fake.violations).toHaveLength(1); // the fake caught the unknown variable
  });

  it('redacts the key when a server echoes the credentials back in an error', async () => {
    const echo = createServer((req, res) => {
      res.writeHead(req.url === '/graphql' ? 200 : 418, { 'content-type': 'application/json' });
      const auth = req.headers.authorization ?? '';
      const key = Buffer.from(auth.replace('Basic ', ''), 'base64').toString().slice('api:'.length);
      res.end(JSON.stringify({ errors: [{ message: `bad header ${auth} for key ${key}` }] }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const client = new WandbClient({ baseUrl: url, apiKey: TEST_KEY, retry: FAST_RETRY });
    const gqlError = (await upsert(client).catch((e: unknown) => e)) as Error;
    const httpError = (await client.download(`${url}/file`).catch((e: unknown) => e)) as Error;
    echo.close();
    for (const error of [gqlError, httpError]) {
      expect(error.message).toContain('[redacted]');
      expect(error.message).not.toContain(TEST_KEY);
      expect(error.message).not.toContain(Buffer.from(`api:${TEST_KEY}`).toString('base64'));
    }
  });
});
