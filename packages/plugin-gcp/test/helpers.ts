/** Shared setup of the plugin's tests: a temp dir, a local store, a client pointed at the emulator. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createStorageClient } from '../src/gcs/storage-client.js';
import { type FakeGoogleApi, startFakeGoogleApi } from './fake-google-api.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';

/** A fresh temp directory and its cleanup. */
export async function tempDir(prefix = 'mlops-gcp-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A client for the emulator at `url`: retries kept short so fault tests stay fast. */
export function emulatorClient(url: string, maxRetries = 3): Storage {
  return createStorageClient({
    apiEndpoint: url,
    retry: { maxRetries, multiplier: 1.1, maxDelaySeconds: 2 },
  });
}

/** Reads an object straight from the emulator (no proxy): undefined when absent. */
export async function readDirect(
  directUrl: string,
  bucket: string,
  name: string,
): Promise<Buffer | undefined> {
  const response = await fetch(
    `${directUrl}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}?alt=media`,
  );
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`emulator answered ${response.status} for ${name}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Names of the objects under `prefix`, straight from the emulator. */
export async function listDirect(directUrl: string, bucket: string, prefix: string): Promise<string[]> {
  const response = await fetch(
    `${directUrl}/storage/v1/b/${encodeURIComponent(bucket)}/o?prefix=${encodeURIComponent(prefix)}`,
  );
  const body = (await response.json()) as { items?: { name: string }[] };
  return (body.items ?? []).map((i) => i.name).sort();
}

/** The fake Google APIs and the GCS emulator a test file shares (read them inside tests and hooks only). */
export interface FakeGoogleCloud {
  readonly api: FakeGoogleApi;
  readonly emulator: GcsEmulator;
}

/**
 * Starts the fake Google APIs and the GCS emulator once for the calling test file and stops them
 * after it; after each test it checks that every request sent conforms to the published schemas
 * (Cloud Build v1, Vertex AI v1, ...) and forgets the scripts and requests.
 */
export function useFakeGoogleCloud(): FakeGoogleCloud {
  let api: FakeGoogleApi | undefined;
  let emulator: GcsEmulator | undefined;
  beforeAll(async () => {
    [api, emulator] = await Promise.all([startFakeGoogleApi(), startGcsEmulator()]);
  });
  afterAll(async () => {
    await Promise.all([api?.stop(), emulator?.stop()]);
  });
  afterEach(() => {
    expect(api?.violations).toEqual([]);
    api?.reset();
  });
  const started = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`${name} is read before beforeAll started it`);
    return value;
  };
  return {
    get api() {
      return started(api, 'the fake Google API');
    },
    get emulator() {
      return started(emulator, 'the GCS emulator');
    },
  };
}
