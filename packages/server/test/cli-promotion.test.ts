/**
 * A promotion made by the CLI in another process (`mlops registry promote`, on the same local
 * registry directory) reaches a running server through `LocalModelRegistry.watch()`: the alias
 * swaps to the new version with no restart while requests keep flowing, and none of them fails.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { LocalModelRegistry } from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer } from '../src/index.js';
import { FakeRuntime, fakeDecode, imageUpload } from './helpers.js';

const MODEL = 'classifier';
/** The `mlops` binary as installed: @mlops/core's `bin`, found through its package, not a relative path. */
const CLI = (() => {
  const manifest = createRequire(import.meta.url).resolve('@mlops/core/package.json');
  const { bin } = createRequire(import.meta.url)('@mlops/core/package.json') as { bin: { mlops: string } };
  return join(dirname(manifest), bin.mlops);
})();
const ARTIFACT = { hash: 'a'.repeat(64), kind: 'file' as const, size: 1 };

let dir: string;
let app: FastifyInstance;
let runtime: FakeRuntime;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlops-srv-cli-'));
  const root = join(dir, '.mlops');
  const registry = new LocalModelRegistry(root, { watch: { pollMs: 100 } });
  await registry.register({ model: MODEL, artifacts: { model: ARTIFACT }, aliases: ['production'] });
  await registry.register({ model: MODEL, artifacts: { model: ARTIFACT } });
  runtime = new FakeRuntime();
  app = createServer({ registry, runtime, model: MODEL, decode: fakeDecode });
  await app.ready();
  await app.mlops.settled();
});

afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Label prefix (`v1`, `v2`) of the model that answered a legacy predict. */
async function servedBy(): Promise<{ status: number; version: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload() });
  const label = res.statusCode === 200 ? Object.keys(res.json().probabilities)[0] : '';
  return { status: res.statusCode, version: String(label).split('-')[0] ?? '' };
}

it('swaps to a version the CLI promoted, with zero failed requests meanwhile', async () => {
  expect((await servedBy()).version).toBe('v1');
  const statuses: number[] = [];
  const seen = new Set<string>();
  let stop = false;
  // Four clients sending requests back to back until the new version has answered for a while.
  const clients = Array.from({ length: 4 }, async () => {
    while (!stop) {
      const { status, version } = await servedBy();
      statuses.push(status);
      seen.add(version);
    }
  });
  const cli = await promisify(execFile)(
    process.execPath,
    [CLI, 'registry', 'promote', MODEL, '2', 'production', '--force'],
    { cwd: dir, timeout: 30_000 },
  );
  expect(cli.stdout).toMatch(/v1 → v2/);
  const deadline = Date.now() + 15_000;
  while (app.mlops.pool.servedVersion('production') !== 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  // Keep the clients going a little after the swap, so requests straddle it.
  await new Promise((r) => setTimeout(r, 200));
  stop = true;
  await Promise.all(clients);
  await app.mlops.settled();

  expect(app.mlops.pool.servedVersion('production')).toBe(2);
  expect(statuses.length).toBeGreaterThan(10);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect([...seen].sort()).toEqual(['v1', 'v2']);
  expect((await servedBy()).version).toBe('v2');
  // The old version is released once nothing serves it.
  expect(runtime.disposed).toEqual([1]);
}, 60_000);
