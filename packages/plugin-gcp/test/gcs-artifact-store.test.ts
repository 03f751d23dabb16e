import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMlopsError, LocalArtifactStore, sha256 } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsArtifactStore } from '../src/gcs/gcs-artifact-store.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';
import { emulatorClient, listDirect, readDirect, tempDir } from './helpers.js';

let emulator: GcsEmulator;
beforeAll(async () => {
  emulator = await startGcsEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

async function stores(prefix: string, maxRetries = 3, concurrency?: number) {
  const a = await tempDir();
  const b = await tempDir();
  const storage = emulatorClient(emulator.url, maxRetries);
  const url = `gs://test-bucket/${prefix}`;
  const writer = new GcsArtifactStore({
    url,
    storage,
    cache: new LocalArtifactStore(join(a.dir, '.mlops')),
    resumableThreshold: 256 * 1024,
    ...(concurrency ? { concurrency } : {}),
  });
  const reader = new GcsArtifactStore({
    url,
    storage,
    cache: new LocalArtifactStore(join(b.dir, '.mlops')),
    resumableThreshold: 256 * 1024,
  });
  return { writer, reader, dirA: a.dir, cleanup: async () => Promise.all([a.cleanup(), b.cleanup()]) };
}

describe('GcsArtifactStore against the GCS emulator', () => {
  it('stores objects in the local layout and reads them back on another machine', async () => {
    const { writer, reader, cleanup } = await stores('layout');
    const ref = await writer.putBytes(Buffer.from('hello bucket'), { name: 'greeting.txt' });
    const direct = await readDirect(
      emulator.directUrl,
      'test-bucket',
      `layout/objects/${ref.hash.slice(0, 2)}/${ref.hash.slice(2)}`,
    );
    expect(direct?.toString()).toBe('hello bucket');
    expect(await reader.has(ref.hash)).toBe(true);
    expect((await reader.getBytes(ref)).toString()).toBe('hello bucket');
    expect(await reader.cache.has(ref.hash)).toBe(true); // fetched into the cache
    const listed: string[] = [];
    for await (const hash of reader.list()) listed.push(hash);
    expect(listed).toEqual([ref.hash]);
    await cleanup();
  });

  it('uploads large files resumably and verifies them; trees arrive complete', async () => {
    const { writer, reader, dirA, cleanup } = await stores('trees');
    const src = join(dirA, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    const big = randomBytes(700 * 1024); // above the 256 KiB resumable threshold of these tests
    await writeFile(join(src, 'big.bin'), big);
    await writeFile(join(src, 'sub', 'small.txt'), 'small');
    const ref = await writer.putDir(src);
    const out = join(dirA, 'out');
    await reader.checkout(ref, out);
    expect(sha256(await readFile(join(out, 'big.bin')))).toBe(sha256(big));
    expect(await readFile(join(out, 'sub', 'small.txt'), 'utf8')).toBe('small');
    // Resumable uploads went to tmp/ and were copied; nothing is left there.
    expect(await listDirect(emulator.directUrl, 'test-bucket', 'trees/tmp/')).toEqual([]);
    expect(emulator.requests.some((r) => r.url.includes('uploadType=resumable'))).toBe(true);
    await cleanup();
  });

  it('retries uploads and downloads answered 503 and 429', async () => {
    const { writer, reader, cleanup } = await stores('retry');
    const before = emulator.requests.length;
    emulator.failNext(2, (method, url) => method === 'POST' && url.startsWith('/upload/'), 503);
    const ref = await writer.putBytes(Buffer.from('retried'));
    const uploads = emulator.requests
      .slice(before)
      .filter((r) => r.method === 'POST' && r.url.startsWith('/upload/'));
    expect(uploads.map((r) => r.status)).toEqual([503, 503, 200]);
    emulator.failNext(1, (method, url) => method === 'GET' && url.includes('alt=media'), 429);
    expect((await reader.getBytes(ref)).toString()).toBe('retried');
    await cleanup();
  });

  it('gives up after the retry budget with an error naming the object', async () => {
    const { writer, cleanup } = await stores('giveup', 1);
    const before = emulator.requests.length;
    emulator.failNext(5, (method, url) => method === 'POST' && url.startsWith('/upload/'), 503);
    const error = await writer.putBytes(Buffer.from('never')).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/gs:\/\/test-bucket\/giveup\/objects\/.*HTTP 503/);
    // One attempt and one retry (maxRetries 1), both refused.
    const attempts = emulator.requests
      .slice(before)
      .filter((r) => r.method === 'POST' && r.url.startsWith('/upload/'));
    expect(attempts.map((r) => r.status)).toEqual([503, 503]);
    emulator.clearFaults();
    await cleanup();
  });

  it('an interrupted upload leaves no object under its final name', async () => {
    const { writer, dirA, cleanup } = await stores('interrupted', 1);
    const file = join(dirA, 'big.bin');
    const bytes = randomBytes(600 * 1024);
    await writeFile(file, bytes);
    const hash = sha256(bytes);
    const finalName = `interrupted/objects/${hash.slice(0, 2)}/${hash.slice(2)}`;
    const before = emulator.requests.length;
    emulator.cutUploadsAfter(64 * 1024);
    await expect(writer.putFile(file)).rejects.toThrow(
      /upload to gs:\/\/test-bucket\/interrupted\/objects\//,
    );
    emulator.cutUploadsAfter(undefined);
    // The body of the resumable upload was cut (status 0), after which the retry budget ran out.
    expect(emulator.requests.slice(before).some((r) => r.method === 'PUT' && r.status === 0)).toBe(true);
    expect(await readDirect(emulator.directUrl, 'test-bucket', finalName)).toBeUndefined();
    // The next attempt completes, and the object is whole.
    await writer.putFile(file);
    expect(sha256((await readDirect(emulator.directUrl, 'test-bucket', finalName)) ?? Buffer.alloc(0))).toBe(
      hash,
    );
    await cleanup();
  });

  it('keeps at most `concurrency` requests in flight, lookups and uploads alike', async () => {
    const { writer, cleanup } = await stores('bounded', 3, 2);
    // 4 shards of 5 hashes each: below the listing threshold, so each hash is looked up.
    const hashes = ['0a', '1b', '2c', '3d'].flatMap((shard) =>
      [0, 1, 2, 3, 4].map((i) => `${shard}${String(i).repeat(62)}`),
    );
    emulator.resetInFlight();
    expect(await writer.missing(hashes)).toEqual(hashes);
    expect(emulator.maxInFlight()).toBe(2);
    emulator.resetInFlight();
    const refs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => writer.cache.putBytes(Buffer.from(`object ${i}`))),
    );
    const stats = await writer.upload(refs.map((r) => r.hash));
    expect(stats).toMatchObject({ objects: 12, transferred: 12 });
    expect(emulator.maxInFlight()).toBeLessThanOrEqual(2);
    await cleanup();
  });
});
