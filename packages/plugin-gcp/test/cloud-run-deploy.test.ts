import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMlopsError } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest, CloudRunService } from '../src/deploy/cloud-run-service.js';
import { type FakeGoogleApi, startFakeGoogleApi } from './fake-google-api.js';
import { tempDir } from './helpers.js';
import { gcpProject } from './project.js';

const golden = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
const tokens = { getAccessToken: async () => 'test-token' };
const flags = {
  target: 'cloud-run',
  image: 'europe-west1-docker.pkg.dev/acme-ml/mlops/server:1.4.0',
  project: 'acme-ml',
  region: 'europe-west1',
  alias: 'production',
};

let api: FakeGoogleApi;
beforeAll(async () => {
  api = await startFakeGoogleApi();
});
afterAll(async () => {
  await api?.stop();
});

async function project(dir: string) {
  return gcpProject(
    dir,
    {
      tokens,
      endpoints: { run: `${api.url}/v2` },
      pollIntervalMs: 5,
      apiRetry: { baseDelayMs: 5 },
      registry: 'bucket',
    },
    { store: { path: '.mlops', remote: 'gs://acme-ml-models/mlops' }, registry: { model: 'shoes' } },
  );
}

describe('mlops deploy --target cloud-run', () => {
  it('--dry-run writes the Dockerfile and prints the documented Cloud Run v2 request (golden)', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const out = (await command('deploy', [], { ...flags, dryRun: true })) as {
      dockerfile: string;
      request: ApiRequest<CloudRunService>;
    };
    const printed = JSON.parse(JSON.stringify(out.request).replaceAll(api.url, 'https://run.googleapis.com'));
    const dockerfile = await readFile(out.dockerfile, 'utf8');
    if (process.env.UPDATE_GOLDEN) {
      await writeFile(golden('cloud-run-request.json'), `${JSON.stringify(printed, null, 2)}\n`);
      await writeFile(golden('Dockerfile'), dockerfile);
    }
    expect(printed).toEqual(JSON.parse(await readFile(golden('cloud-run-request.json'), 'utf8')));
    expect(dockerfile).toBe(await readFile(golden('Dockerfile'), 'utf8'));
    expect(api.requests).toHaveLength(0); // nothing was sent
    await cleanup();
  });

  it('sends the request with the ADC token and waits for the revision to be ready', async () => {
    const { dir, cleanup } = await tempDir();
    const { command, log } = await project(dir);
    const name = 'projects/acme-ml/locations/europe-west1/services/shoes';
    const op = 'projects/acme-ml/locations/europe-west1/operations/op-1';
    api.on('PATCH', `/v2/${name}`, [{ body: { name: op, done: false } }]);
    api.on('GET', `/v2/${op}`, [
      { status: 503, body: { error: { code: 503, message: 'try again' } } },
      { body: { name: op, done: false } },
      {
        body: {
          name: op,
          done: true,
          response: {
            name,
            uri: 'https://shoes-abc-ew.a.run.app',
            latestReadyRevision: 'shoes-00002-xyz',
            terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
          },
        },
      },
    ]);
    const before = api.requests.length;
    const result = await command('deploy', [], flags);
    expect(result).toMatchObject({
      service: name,
      revision: 'shoes-00002-xyz',
      url: 'https://shoes-abc-ew.a.run.app',
    });
    const sent = api.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual([
      `PATCH /v2/${name}?allowMissing=true`,
      `GET /v2/${op}`,
      `GET /v2/${op}`,
      `GET /v2/${op}`,
    ]);
    expect(sent.every((r) => r.authorization === 'Bearer test-token')).toBe(true);
    const expected = JSON.parse(await readFile(golden('cloud-run-request.json'), 'utf8'));
    expect(sent[0]?.body).toEqual(expected.body); // exactly what --dry-run printed
    expect(log.info.some((l) => l.includes('done'))).toBe(true);
    await cleanup();
  });

  it('fails with the operation error, and refuses unknown targets and a missing image', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const name = 'projects/acme-ml/locations/europe-west1/services/shoes';
    api.on('PATCH', `/v2/${name}`, [
      {
        body: {
          name: 'op-2',
          done: true,
          error: { code: 9, message: 'Revision shoes-00003 is not ready: container failed to start' },
        },
      },
    ]);
    await expect(command('deploy', [], flags)).rejects.toThrow(/container failed to start/);
    await expect(command('deploy', [], { ...flags, target: 'gke' })).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_USAGE'),
    );
    await expect(command('deploy', [], { ...flags, image: undefined })).rejects.toThrow(
      /needs the container image/,
    );
    api.on('PATCH', `/v2/${name}`, [
      { status: 403, body: { error: { code: 403, message: 'Permission run.services.update denied' } } },
    ]);
    const denied = await command('deploy', [], flags).catch((e: unknown) => e);
    expect(isMlopsError(denied, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    expect((denied as Error).message).toMatch(/permission denied.*run\.services\.update/);
    await cleanup();
  });

  it('does not overwrite a hand-written Dockerfile', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
    await expect(command('deploy', [], { ...flags, dryRun: true })).rejects.toThrow(/not written by mlops/);
    await cleanup();
  });
});
