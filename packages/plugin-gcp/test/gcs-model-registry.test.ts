import { type ArtifactRef, isMlopsError } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsModelRegistry } from '../src/registry/gcs-model-registry.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';
import { emulatorClient, readDirect } from './helpers.js';

let emulator: GcsEmulator;
beforeAll(async () => {
  emulator = await startGcsEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

const artifact: ArtifactRef = { hash: 'a'.repeat(64), kind: 'file', size: 3 };

function registry(prefix: string, actor = 'tester') {
  return new GcsModelRegistry({
    url: `gs://reg-bucket/${prefix}`,
    storage: emulatorClient(emulator.url),
    actor,
    watchIntervalMs: 50,
  });
}

describe('GcsModelRegistry against the GCS emulator', () => {
  it('registers versions, moves aliases with the gate and keeps the history in the bucket', async () => {
    const reg = registry('basic');
    const v1 = await reg.register({
      model: 'clf',
      artifacts: { tfjs: artifact },
      metrics: { top1: 0.8 },
      aliases: ['latest'],
    });
    const v2 = await reg.register({
      model: 'clf',
      artifacts: { tfjs: artifact },
      metrics: { top1: 0.7 },
      aliases: ['latest'],
    });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    await reg.promote('clf', 1, 'production', { gate: { metric: 'top1' } });
    await expect(reg.promote('clf', 2, 'production', { gate: { metric: 'top1' } })).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_REGISTRY_GATE'),
    );
    const forced = await reg.promote('clf', 2, 'production', { gate: { metric: 'top1' }, force: true });
    expect(forced).toMatchObject({ from: 1, to: 2, forced: true, actor: 'tester' });
    expect((await reg.resolve('clf', { alias: 'production' })).version).toBe(2);
    expect((await reg.listModels()).map((m) => [m.name, m.latest, m.aliases])).toEqual([
      ['clf', 2, { latest: 2, production: 2 }],
    ]);
    expect((await reg.history('clf')).map((m) => `${m.alias}:${m.from}->${m.to}`)).toEqual([
      'latest:null->1',
      'latest:1->2',
      'production:null->1',
      'production:1->2',
    ]);
    // A second machine (another client) sees the same state: it lives in the bucket.
    expect((await registry('basic', 'other').resolve('clf', 'latest')).version).toBe(2);
    const raw = await readDirect(emulator.directUrl, 'reg-bucket', 'basic/registry/models/clf/model.json');
    expect(JSON.parse(raw?.toString() ?? '{}').format).toBe('mlops-gcs-model/1');
    await expect(reg.resolve('nope', 'latest')).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND'),
    );
  });

  it('two writers moving aliases at once lose no update (generation-match preconditions)', async () => {
    const a = registry('race', 'writer-a');
    const b = registry('race', 'writer-b');
    await a.register({ model: 'clf', artifacts: { tfjs: artifact } });
    await a.register({ model: 'clf', artifacts: { tfjs: artifact } });
    const before = emulator.requests.length;
    // 2 writers × 6 alias moves (distinct aliases) plus 2 registrations, all interleaved.
    await Promise.all([
      ...[0, 1, 2, 3, 4, 5].map((i) => a.promote('clf', 1 + (i % 2), `a${i}`)),
      ...[0, 1, 2, 3, 4, 5].map((i) => b.promote('clf', 2 - (i % 2), `b${i}`)),
      a.register({ model: 'clf', artifacts: { tfjs: artifact } }),
      b.register({ model: 'clf', artifacts: { tfjs: artifact } }),
    ]);
    const conflicts = emulator.requests.slice(before).filter((r) => r.status === 412).length;
    expect(conflicts).toBeGreaterThan(0); // the writers really did collide
    const summary = (await a.listModels())[0];
    expect(summary?.versions).toBe(4);
    expect(Object.keys(summary?.aliases ?? {}).sort()).toEqual([
      'a0',
      'a1',
      'a2',
      'a3',
      'a4',
      'a5',
      'b0',
      'b1',
      'b2',
      'b3',
      'b4',
      'b5',
    ]);
    expect(await a.history('clf')).toHaveLength(12);
  });

  it('a write whose response is lost is recognized, not applied twice', async () => {
    const reg = registry('lost');
    await reg.register({ model: 'clf', artifacts: { tfjs: artifact } });
    // The write lands, but the client sees a 503; it retries, the retry fails its precondition
    // (the object moved on: it was our own write), and the registry finds its writeId there.
    const before = emulator.requests.length;
    emulator.loseResponses(1, (method, url) => method === 'POST' && url.includes('lost%2Fregistry'));
    const moved = await reg.promote('clf', 1, 'production');
    expect(moved).toMatchObject({ alias: 'production', from: null, to: 1 });
    const writes = emulator.requests
      .slice(before)
      .filter((r) => r.method === 'POST' && r.url.includes('lost%2Fregistry'));
    expect(writes.map((r) => [r.status, r.injected])).toEqual([
      [200, true],
      [412, false],
    ]);
    const history = await reg.history('clf');
    expect(history.filter((m) => m.alias === 'production')).toHaveLength(1);
    expect((await reg.resolve('clf', { alias: 'production' })).version).toBe(1);
  });

  it('watch reports alias moves made by another writer', async () => {
    const reg = registry('watch');
    await reg.register({ model: 'clf', artifacts: { tfjs: artifact } });
    const moves: string[] = [];
    const stop = reg.watch('clf', (m) => moves.push(`${m.alias}->${m.to}`));
    await new Promise((r) => setTimeout(r, 150));
    await registry('watch', 'other').promote('clf', 1, 'production');
    for (let i = 0; i < 100 && moves.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(moves).toEqual(['production->1']);
  });
});
