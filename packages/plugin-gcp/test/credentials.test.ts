import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isMlopsError, LocalArtifactStore } from '@mlops/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GcsArtifactStore } from '../src/gcs/gcs-artifact-store.js';
import { createStorageClient } from '../src/gcs/storage-client.js';
import { GoogleApiClient } from '../src/google-api/google-api-client.js';
import { tempDir } from './helpers.js';

// These tests talk to no server: each credential fails before any request would be sent.
const saved = { ...process.env };
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  delete process.env.STORAGE_EMULATOR_HOST;
});
afterEach(async () => {
  process.env = { ...saved };
  await cleanup();
});

function store(): GcsArtifactStore {
  return new GcsArtifactStore({
    url: 'gs://some-bucket/p',
    storage: createStorageClient({ retry: { maxRetries: 0 } }),
    cache: new LocalArtifactStore(join(dir, '.mlops')),
  });
}

describe('credential errors', () => {
  it('a GOOGLE_APPLICATION_CREDENTIALS file that does not exist gives one message naming what to set', async () => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'missing-key.json');
    const error = await store()
      .has('a'.repeat(64))
      .catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain(`GOOGLE_APPLICATION_CREDENTIALS=${join(dir, 'missing-key.json')}`);
    expect(message).toContain('missing or invalid');
    expect(hint).toMatch(/GOOGLE_APPLICATION_CREDENTIALS.*gcloud auth application-default login/);
  });

  it('a key file that is not a service-account key gives the same message', async () => {
    const key = join(dir, 'key.json');
    await writeFile(key, JSON.stringify({ type: 'service_account', project_id: 'x' }));
    process.env.GOOGLE_APPLICATION_CREDENTIALS = key;
    const error = await store()
      .has('b'.repeat(64))
      .catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    expect((error as Error).message).toMatch(
      /credentials from GOOGLE_APPLICATION_CREDENTIALS=.* are missing or invalid/,
    );
  });

  it('the REST client reports a failing or empty token source the same way', async () => {
    const failing = new GoogleApiClient({
      tokens: { getAccessToken: () => Promise.reject(new Error('Could not load the default credentials.')) },
    });
    await expect(failing.request('GET', 'http://127.0.0.1:9/x', undefined, 'deploy')).rejects.toThrow(
      /credentials .* missing or invalid, so deploy failed/,
    );
    const empty = new GoogleApiClient({ tokens: { getAccessToken: async () => null } });
    await expect(empty.request('GET', 'http://127.0.0.1:9/x', undefined, 'deploy')).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_REMOTE_AUTH'),
    );
  });

  it('no credential at all: the anonymous request GCS answers 401 gives the same message', async () => {
    // Without ADC the client sends the request unauthenticated (public buckets need none); GCS
    // answers 401 "Anonymous caller ...". A local server gives that answer, as GCS words it.
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    const server = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            code: 401,
            message:
              'Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object.',
            errors: [{ reason: 'required', domain: 'global', message: 'Anonymous caller ...' }],
          },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const anonymous = new GcsArtifactStore({
      url: 'gs://some-bucket/p',
      storage: createStorageClient({ apiEndpoint: url, retry: { maxRetries: 0 } }),
      cache: new LocalArtifactStore(join(dir, '.mlops')),
    });
    const error = await anonymous.has('c'.repeat(64)).catch((e: unknown) => e);
    server.close();
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    expect((error as Error).message).toMatch(
      /Application Default Credentials \(GOOGLE_APPLICATION_CREDENTIALS is not set\) are missing or invalid, so look up gs:\/\/some-bucket\/p\/objects\/cc\/.* failed: Anonymous caller/,
    );
    expect((error as { hint: string }).hint).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
  });
});
