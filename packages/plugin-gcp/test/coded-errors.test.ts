import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlopsError } from '@mlops/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createBuildContext } from '../src/build/build-context.js';
import type { GoogleApiClient } from '../src/google-api/google-api-client.js';
import { waitForOperation } from '../src/google-api/long-running-operation.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

// The operation is already done (or already late), so the client is never asked.
const unusedClient = {} as GoogleApiClient;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('plugin-gcp codes its own failures', () => {
  it('a failed long-running operation is MLOPS_GCP_ERR_OPERATION, not a stage failure', async () => {
    const error = await rejection(
      waitForOperation(
        unusedClient,
        'https://run.googleapis.com/v2',
        { name: 'operations/7', done: true, error: { code: 8, message: 'quota exceeded' } },
        'deploy fashion',
      ),
    );
    expect(isMlopsError(error, 'MLOPS_GCP_ERR_OPERATION')).toBe(true);
    expect((error as Error).message).toMatch(/deploy fashion failed: quota exceeded/);
  });

  it('an operation still running at the deadline is MLOPS_GCP_ERR_OPERATION with what to do', async () => {
    const error = await rejection(
      waitForOperation(unusedClient, 'https://run.googleapis.com/v2', { name: 'operations/8' }, 'deploy', {
        timeoutMs: -1,
      }),
    );
    expect(isMlopsError(error, 'MLOPS_GCP_ERR_OPERATION')).toBe(true);
    expect((error as { hint?: string }).hint).toMatch(/console/);
  });

  it('a project without a lockfile cannot become an image: MLOPS_GCP_ERR_BUILD_CONTEXT', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-gcp-codes-'));
    dirs.push(root);
    await writeFile(join(root, 'package.json'), '{"name":"p"}');
    const error = await rejection(createBuildContext({ root, dockerfile: 'FROM node:20\n' }));
    expect(isMlopsError(error, 'MLOPS_GCP_ERR_BUILD_CONTEXT')).toBe(true);
    expect((error as { hint?: string }).hint).toMatch(/npm install/);
  });

  it('a build context holding a credential is MLOPS_GCP_ERR_BUILD_CONTEXT naming the file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-gcp-codes-'));
    dirs.push(root);
    await writeFile(join(root, 'package.json'), '{"name":"p"}');
    await writeFile(join(root, 'package-lock.json'), '{"name":"p","lockfileVersion":3}');
    await writeFile(join(root, 'notes.txt'), 'token=s3cr3t-value-123');
    const error = await rejection(
      createBuildContext({ root, dockerfile: 'FROM node:20\n', secretValues: ['s3cr3t-value-123'] }),
    );
    expect(isMlopsError(error, 'MLOPS_GCP_ERR_BUILD_CONTEXT')).toBe(true);
    expect((error as { file?: string }).file).toMatch(/notes\.txt$/);
  });
});
