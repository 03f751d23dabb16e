/** The W&B model registry against the fake server: artifacts, aliases, gate, download cache. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMlopsError, LocalArtifactStore } from '@mlops/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UPSERT_BUCKET } from '../src/graphql/operations.js';
import { WandbClient } from '../src/http/wandb-client.js';
import { WandbModelRegistry } from '../src/registry/wandb-model-registry.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { FAST_RETRY, startFake, TEST_KEY, tempDir } from './helpers.js';

let fake: FakeWandbServer;
let client: WandbClient;
beforeEach(async () => {
  fake = await startFake();
  client = new WandbClient({ baseUrl: fake.url, apiKey: TEST_KEY, retry: FAST_RETRY });
});
afterEach(async () => {
  await fake.close();
});

async function machine(
  watchIntervalMs?: number,
): Promise<{ store: LocalArtifactStore; registry: WandbModelRegistry; root: string }> {
  const root = await tempDir();
  const store = new LocalArtifactStore(join(root, '.mlops'));
  const registry = new WandbModelRegistry({
    client,
    entity: 'team',
    project: 'fashion',
    store,
    stateDir: join(root, '.mlops', 'wandb'),
    actor: 'tester',
    ...(watchIntervalMs ? { watchIntervalMs } : {}),
  });
  return { store, registry, root };
}

async function modelFiles(root: string, seed: number): Promise<string> {
  const dir = join(root, `model-${seed}`);
  await mkdir(join(dir, 'shards'), { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify({ seed }));
  await writeFile(join(dir, 'shards', 'weights.bin'), Buffer.alloc(2048, seed));
  return dir;
}

describe('WandbModelRegistry', () => {
  it('logs versions as model artifacts with metadata and lineage, and moves aliases', async () => {
    const { store, registry, root } = await machine();
    await client.graphql('UpsertBucket', UPSERT_BUCKET, {
      name: 'run-7',
      project: 'fashion',
      entity: 'team',
    });
    const tfjs = await store.putDir(await modelFiles(root, 1), { name: 'model' });
    const labels = await store.putBytes(new TextEncoder().encode('["a","b"]'), { name: 'labels.json' });
    const v1 = await registry.register({
      model: 'fashion',
      artifacts: { tfjs, labels },
      metrics: { top1: 0.8, loss: Number.NaN },
      lineage: { runId: 'run-7', dataVersion: 'd'.repeat(64) },
      metadata: { labels: ['a', 'b'] },
      aliases: ['best', 'epoch-3'],
    });
    expect(v1).toMatchObject({
      model: 'fashion',
      version: 1,
      metrics: { top1: 0.8 },
      aliases: ['best', 'epoch-3', 'latest'],
    });
    const [artifact] = fake.versions('team', 'fashion', 'fashion');
    expect(artifact).toMatchObject({ type: 'model', runName: 'run-7', versionIndex: 0 });
    expect([...artifact!.files.keys()].sort()).toEqual([
      'labels/labels.json',
      'tfjs/model.json',
      'tfjs/shards/weights.bin',
    ]);
    expect(JSON.parse(artifact!.metadata ?? '{}')).toMatchObject({
      top1: 0.8,
      mlops: { lineage: { runId: 'run-7' } },
    });

    const v2 = await registry.register({
      model: 'fashion',
      artifacts: { tfjs: await store.putDir(await modelFiles(root, 2)) },
      metrics: { top1: 0.9 },
      aliases: ['best'],
    });
    expect(v2.version).toBe(2);
    await registry.promote('fashion', 1, 'production');
    const move = await registry.promote('fashion', 2, 'production', {
      gate: { metric: 'top1' },
      reason: 'better',
    });
    expect(move).toMatchObject({ alias: 'production', from: 1, to: 2, reason: 'better', actor: 'tester' });
    await expect(
      registry.promote('fashion', 1, 'production', { gate: { metric: 'top1' } }),
    ).rejects.toSatisfy((e) => isMlopsError(e, 'MLOPS_ERR_REGISTRY_GATE'));
    const versions = await registry.listVersions('fashion');
    expect(versions.map((v) => [v.version, v.aliases])).toEqual([
      [1, ['epoch-3']],
      [2, ['best', 'latest', 'production']],
    ]);
    expect(await registry.listModels()).toEqual([
      expect.objectContaining({
        name: 'fashion',
        versions: 2,
        latest: 2,
        aliases: { best: 2, 'epoch-3': 1, latest: 2, production: 2 },
      }),
    ]);
    expect((await registry.history('fashion')).map((m) => `${m.alias}:${m.from}->${m.to}`)).toEqual([
      'best:null->1',
      'epoch-3:null->1',
      'best:1->2',
      'production:null->1',
      'production:1->2',
    ]);
    await registry.removeAlias('fashion', 'epoch-3');
    await expect(registry.resolve('fashion', { alias: 'epoch-3' })).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND'),
    );
    expect(fake.violations).toEqual([]);
  });

  it('resolves name@alias on another machine: downloads into its store once, then serves from the cache', async () => {
    const first = await machine();
    const tfjs = await first.store.putDir(await modelFiles(first.root, 3), { name: 'model' });
    await first.registry.register({ model: 'fashion', artifacts: { tfjs }, aliases: ['production'] });

    const second = await machine();
    expect(await second.store.has(tfjs.hash)).toBe(false);
    const resolved = await second.registry.resolve('fashion', { alias: 'production' });
    expect(resolved.artifacts.tfjs).toMatchObject({ hash: tfjs.hash, kind: 'dir' });
    const path = await second.store.localPath(resolved.artifacts.tfjs!);
    expect(await readFile(join(path, 'shards', 'weights.bin'))).toEqual(Buffer.alloc(2048, 3));
    const downloads = () => fake.requests.filter((r) => r.path.startsWith('/artifactsV2/')).length;
    expect(downloads()).toBe(2);
    await second.registry.resolve('fashion', { alias: 'production' });
    await second.registry.resolve('fashion', { version: 1 });
    expect(downloads()).toBe(2);
    // Content already on the server is not uploaded again (null upload URL).
    const uploadsBefore = fake.requests.filter((r) => r.path.startsWith('/upload/')).length;
    await second.registry.register({ model: 'copy', artifacts: { tfjs: resolved.artifacts.tfjs! } });
    const uploaded = fake.requests.filter((r) => r.path.startsWith('/upload/')).length - uploadsBefore;
    expect(uploaded).toBe(1); // the manifest only
    expect(fake.violations).toEqual([]);
  });

  it('says what exists when a model, alias or version is missing', async () => {
    const { registry, store, root } = await machine();
    await expect(registry.resolve('nope', 'latest')).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND'),
    );
    await registry.register({
      model: 'fashion',
      artifacts: { tfjs: await store.putDir(await modelFiles(root, 4)) },
      aliases: ['best'],
    });
    const error = await registry.resolve('fashion', { alias: 'prod' }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('aliases: best, latest');
    await expect(registry.resolve('fashion', { version: 5 })).rejects.toThrow(/versions 1..1/);
  });

  it('watch reports alias moves made elsewhere (the W&B UI), by polling', async () => {
    const { registry, store, root } = await machine(20);
    for (const seed of [5, 6]) {
      await registry.register({
        model: 'fashion',
        artifacts: { tfjs: await store.putDir(await modelFiles(root, seed)) },
      });
    }
    fake.setAlias('team', 'fashion', 'fashion', 'production', 0);
    const moves: string[] = [];
    const stop = registry.watch('fashion', (move) => moves.push(`${move.alias}:${move.from}->${move.to}`));
    await new Promise((r) => setTimeout(r, 100)); // the first poll learns the current aliases
    fake.setAlias('team', 'fashion', 'fashion', 'production', 1);
    for (let i = 0; i < 100 && moves.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(moves).toEqual(['production:1->2']);
  });
});
