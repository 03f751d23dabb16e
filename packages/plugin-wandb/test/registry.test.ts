/** The W&B model registry against the fake server: artifacts, aliases, gate, download cache. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMlopsError, LocalArtifactStore } from '@mlops/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UPSERT_BUCKET } from '../src/graphql/operations.js';
import { WandbClient } from '../src/http/wandb-client.js';
import { type RegistryLinkOptions, WandbModelRegistry } from '../src/registry/wandb-model-registry.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { capturingLogger, FAST_RETRY, startFake, TEST_KEY, tempDir } from './helpers.js';

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
  extra: { link?: RegistryLinkOptions | false; lines?: string[]; entity?: string } = {},
): Promise<{ store: LocalArtifactStore; registry: WandbModelRegistry; root: string }> {
  const root = await tempDir();
  const store = new LocalArtifactStore(join(root, '.mlops'));
  const registry = new WandbModelRegistry({
    client,
    entity: extra.entity ?? 'team',
    project: 'fashion',
    store,
    stateDir: join(root, '.mlops', 'wandb'),
    actor: 'tester',
    ...(watchIntervalMs ? { watchIntervalMs } : {}),
    ...(extra.link !== undefined ? { link: extra.link } : {}),
    ...(extra.lines ? { logger: capturingLogger(extra.lines) } : {}),
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

  it('finds files by their path in the artifact (displayName, as in the manifest), not the stored name', async () => {
    const first = await machine();
    const tfjs = await first.store.putDir(await modelFiles(first.root, 7), { name: 'model' });
    await first.registry.register({ model: 'fashion', artifacts: { tfjs }, aliases: ['production'] });
    // On W&B a file's `name` is not its path: the fake answers as the real service does.
    const listed = await client.graphql<{
      artifact: { files: { edges: { node: { name: string; displayName: string } }[] } };
    }>(
      'ArtifactFiles',
      'query ArtifactFiles($id: ID!) { artifact(id: $id) { files { edges { node { name displayName } } } } }',
      { id: fake.versions('team', 'fashion', 'fashion')[0]!.id },
    );
    const nodes = listed.artifact.files.edges.map((e) => e.node);
    expect(nodes.map((n) => n.displayName).sort()).toEqual(['tfjs/model.json', 'tfjs/shards/weights.bin']);
    expect(nodes.every((n) => n.name !== n.displayName)).toBe(true);

    const second = await machine();
    const resolved = await second.registry.resolve('fashion', { alias: 'production' });
    expect(resolved.artifacts.tfjs?.hash).toBe(tfjs.hash);
    const path = await second.store.localPath(resolved.artifacts.tfjs!);
    expect(await readFile(join(path, 'model.json'), 'utf8')).toBe('{"seed":7}');
    expect(fake.requests.some((r) => r.path.startsWith('/manifests/'))).toBe(true);
    expect(fake.violations).toEqual([]);
  });

  it('links versions into the W&B Registry and mirrors alias moves there, keeping its aliases apart', async () => {
    const { registry, store, root } = await machine();
    const v1 = await registry.register({
      model: 'fashion',
      artifacts: { tfjs: await store.putDir(await modelFiles(root, 8)) },
      metrics: { top1: 0.7 },
      aliases: ['best'],
    });
    const v2 = await registry.register({
      model: 'fashion',
      artifacts: { tfjs: await store.putDir(await modelFiles(root, 9)) },
      metrics: { top1: 0.8 },
    });
    const [a1, a2] = fake.versions('team', 'fashion', 'fashion');
    // `wandb-registry-model/fashion` of the entity's organization, as run.link_artifact does.
    expect(fake.links.get('team-org/wandb-registry-model/fashion')).toEqual([a1!.id, a2!.id]);
    const linked = () => fake.aliases.get('team-org/wandb-registry-model/fashion');
    expect(linked()?.get('best')).toBe(a1!.id);
    expect(linked()?.get('latest')).toBe(a2!.id);

    await registry.promote('fashion', v2.version, 'production', { gate: { metric: 'top1' } });
    expect(linked()?.get('production')).toBe(a2!.id);
    expect(fake.aliases.get('team/fashion/fashion')?.get('production')).toBe(a2!.id);

    // An alias set in the registry only (a person in the Registry UI) is not an alias of the
    // project's collection, although the collections share the name `fashion`.
    linked()?.set('staging', a1!.id);
    const versions = await registry.listVersions('fashion');
    expect(versions.find((v) => v.version === v1.version)?.aliases).toEqual(['best']);
    await expect(registry.resolve('fashion', { alias: 'staging' })).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND'),
    );
    await registry.removeAlias('fashion', 'production');
    expect(linked()?.has('production')).toBe(false);
    expect(fake.violations).toEqual([]);
  });

  it('links to the legacy Model Registry on request, not at all with link: false, and warns when the organization is unclear', async () => {
    const legacy = await machine(undefined, { link: { legacy: true } });
    await legacy.registry.register({
      model: 'fashion',
      artifacts: { tfjs: await legacy.store.putDir(await modelFiles(legacy.root, 10)) },
      aliases: ['production'],
    });
    expect(fake.links.get('team/model-registry/fashion')).toHaveLength(1);
    expect(fake.aliases.get('team/model-registry/fashion')?.get('production')).toBeDefined();

    const off = await machine(undefined, { link: false });
    await off.registry.register({
      model: 'plain',
      artifacts: { tfjs: await off.store.putDir(await modelFiles(off.root, 11)) },
    });
    expect([...fake.links.keys()].some((key) => key.endsWith('/plain'))).toBe(false);

    // A personal entity in two organizations: the SDK refuses to guess, so does this plugin.
    fake.organizations.set('me', {
      kind: 'personal',
      orgs: [
        { name: 'Acme', orgEntity: { name: 'acme' } },
        { name: 'Beta', orgEntity: { name: 'beta' } },
      ],
    });
    const lines: string[] = [];
    const personal = await machine(undefined, { entity: 'me', lines });
    const version = await personal.registry.register({
      model: 'mine',
      artifacts: { tfjs: await personal.store.putDir(await modelFiles(personal.root, 12)) },
    });
    expect(version.version).toBe(1);
    expect(lines.join('\n')).toMatch(
      /belongs to several organizations \(Acme, Beta\).*link: \{ organization \}/,
    );
    const chosen = await machine(undefined, { entity: 'me', link: { organization: 'Beta' } });
    await chosen.registry.register({
      model: 'mine',
      artifacts: { tfjs: await chosen.store.putDir(await modelFiles(chosen.root, 13)) },
    });
    expect(fake.links.get('beta/wandb-registry-model/mine')).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });

  it('re-checks the gate when another writer moves the alias while it compares, and does not overwrite a better holder', async () => {
    const { registry, store, root } = await machine();
    for (const [seed, top1] of [
      [14, 0.7],
      [15, 0.8],
      [16, 0.95],
    ] as const) {
      await registry.register({
        model: 'fashion',
        artifacts: { tfjs: await store.putDir(await modelFiles(root, seed)) },
        metrics: { top1 },
      });
    }
    await registry.promote('fashion', 1, 'production');
    // Another machine promotes v3 (better) right after this one read v1 as the holder (by name,
    // or by listing the versions).
    fake.after({ variables: (v) => v.name === 'fashion:production' || v.collectionName === 'fashion' }, () =>
      fake.setAlias('team', 'fashion', 'fashion', 'production', 2),
    );
    await expect(
      registry.promote('fashion', 2, 'production', { gate: { metric: 'top1' } }),
    ).rejects.toSatisfy(
      (e) => isMlopsError(e, 'MLOPS_ERR_REGISTRY_GATE') && /of v3/.test((e as Error).message),
    );
    const [, , v3] = fake.versions('team', 'fashion', 'fashion');
    expect(fake.aliases.get('team/fashion/fashion')?.get('production')).toBe(v3!.id);

    // An alias that keeps moving (v1, v2, v1, …) makes it give up, as a conflict.
    fake.setAlias('team', 'fashion', 'fashion', 'production', 0);
    let reads = 0;
    fake.after(
      { operation: 'ArtifactByName', variables: (v) => v.name === 'fashion:production' },
      () => fake.setAlias('team', 'fashion', 'fashion', 'production', reads++ % 2 === 0 ? 1 : 0),
      { times: 10 },
    );
    await expect(
      registry.promote('fashion', 3, 'production', { gate: { metric: 'top1' } }),
    ).rejects.toSatisfy((e) => isMlopsError(e, 'MLOPS_ERR_REGISTRY_LOCKED'));
    expect(fake.violations).toEqual([]);
  });
});
