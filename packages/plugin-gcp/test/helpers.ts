/** Shared setup of the plugin's tests: temp dirs, the fake Google APIs and GCS emulator, tar reading. */
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

/** Entries of a tar (regular files, pax paths honoured): path → content. */
export function untar(tar: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  let pax: string | undefined;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = Number.parseInt(field(124, 12), 8);
    const type = field(156, 1);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    const prefix = field(345, 155);
    if (type === 'x') pax = /\d+ path=(.*)\n/.exec(body.toString('utf8'))?.[1];
    else {
      files.set(pax ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)), body.toString('utf8'));
      pax = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
