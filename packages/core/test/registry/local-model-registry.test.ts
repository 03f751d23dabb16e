import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMlopsError, type MlopsError } from '../../src/errors.js';
import { LocalModelRegistry } from '../../src/registry/local-model-registry.js';
import type { ArtifactRef } from '../../src/services/artifact-store.js';
import type { AliasMove } from '../../src/services/model-registry.js';
import { makeTempDir, runTs, spawnTs, waitForExit, waitForLine } from '../store/spawn-ts.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const onnx: ArtifactRef = { hash: 'a'.repeat(64), kind: 'file', size: 10, name: 'model.onnx' };

let dir: string;
let root: string;
let cleanup: () => Promise<void>;
let registry: LocalModelRegistry;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  root = join(dir, '.mlops');
  registry = new LocalModelRegistry(root, { actor: 'tester', watch: { pollMs: 100, debounceMs: 10 } });
});
afterEach(() => cleanup());

async function errorOf(promise: Promise<unknown>): Promise<MlopsError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as MlopsError,
  );
}

function register(model: string, metrics: Record<string, number> = {}, aliases?: string[]) {
  return registry.register({ model, artifacts: { onnx }, metrics, aliases, lineage: { runId: 'r1' } });
}

describe('register and read', () => {
  it('numbers versions 1, 2, ... and applies aliases', async () => {
    const v1 = await register('clf', { top1: 0.8 }, ['latest']);
    const v2 = await register('clf', { top1: 0.9, loss: Number.NaN }, ['latest', 'best']);
    expect(v1).toMatchObject({
      model: 'clf',
      version: 1,
      aliases: ['latest'],
      lineage: { runId: 'r1' },
      metadata: {},
    });
    expect(v2).toMatchObject({ version: 2, aliases: ['best', 'latest'], metrics: { top1: 0.9 } });
    expect(v2.metrics).not.toHaveProperty('loss'); // NaN cannot be stored in JSON

    const versions = await registry.listVersions('clf');
    expect(versions.map((v) => [v.version, v.aliases])).toEqual([
      [1, []],
      [2, ['best', 'latest']],
    ]);
    await register('other');
    const models = await registry.listModels();
    expect(models.map((m) => [m.name, m.versions, m.latest])).toEqual([
      ['clf', 2, 2],
      ['other', 1, 1],
    ]);
    expect(models[0]!.aliases).toEqual({ latest: 2, best: 2 });

    const file = JSON.parse(await readFile(join(root, 'registry', 'models', 'clf', 'model.json'), 'utf8'));
    expect(file).toMatchObject({ name: 'clf', aliases: { latest: 2, best: 2 } });
    expect(file.versions[0]).not.toHaveProperty('aliases');
  });

  it('registers identical artifacts once with reuseIdentical (idempotent by artifact hash)', async () => {
    const v1 = await register('clf', { top1: 0.8 }, ['latest']);
    const other: ArtifactRef = { ...onnx, hash: 'b'.repeat(64) };
    const v2 = await registry.register({ model: 'clf', artifacts: { onnx: other }, aliases: ['latest'] });
    const again = await registry.register({
      model: 'clf',
      artifacts: { onnx },
      aliases: ['latest', 'staging'],
      lineage: { runId: 'r2' },
      reuseIdentical: true,
    });
    expect(again).toMatchObject({ version: v1.version, lineage: { runId: 'r1' } });
    // Only the alias the model did not have moves; `latest` stays on the newest registration.
    expect(again.aliases).toEqual(['staging']);
    expect((await registry.listVersions('clf')).map((v) => v.version)).toEqual([1, 2]);
    expect((await registry.resolve('clf', { alias: 'latest' })).version).toBe(v2.version);
    // A new set of artifacts (another role) is a new version.
    const v3 = await registry.register({
      model: 'clf',
      artifacts: { onnx, tfjs: other },
      reuseIdentical: true,
    });
    expect(v3.version).toBe(3);
  });

  it('resolves latest, a version number and an alias', async () => {
    await register('clf', {}, ['production']);
    await register('clf');
    expect((await registry.resolve('clf', 'latest')).version).toBe(2);
    expect((await registry.resolve('clf', { version: 1 })).aliases).toEqual(['production']);
    expect((await registry.resolve('clf', { alias: 'production' })).version).toBe(1);
  });

  it('names what exists when a model, version or alias does not', async () => {
    const none = await errorOf(registry.resolve('clf', 'latest'));
    expect(isMlopsError(none, 'MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND')).toBe(true);
    expect(none.message).toContain('no models yet');
    await register('clf', {}, ['preproduction', 'latest']);
    await register('clf');
    await register('clf');
    const model = await errorOf(registry.listVersions('cfl'));
    expect(model.message).toBe(`model "cfl" not found in ${join(root, 'registry')}; models: clf`);
    const version = await errorOf(registry.resolve('clf', { version: 7 }));
    expect(isMlopsError(version, 'MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND')).toBe(true);
    expect(version.message).toBe('model "clf" has no version 7; versions: 1..3');
    const alias = await errorOf(registry.resolve('clf', { alias: 'production' }));
    expect(isMlopsError(alias, 'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND')).toBe(true);
    expect(alias.message).toBe('model "clf" has no alias "production"; aliases: latest, preproduction');
    expect(
      isMlopsError(
        await errorOf(registry.promote('clf', 9, 'production')),
        'MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND',
      ),
    ).toBe(true);
    expect(
      isMlopsError(
        await errorOf(registry.promote('nope', 1, 'production')),
        'MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND',
      ),
    ).toBe(true);
  });

  it('validates model and alias names and artifact references', async () => {
    for (const name of ['Clf', 'my model', '-x', '../x', '']) {
      const error = await errorOf(register(name));
      expect(isMlopsError(error, 'MLOPS_ERR_USAGE')).toBe(true);
      expect(error.message).toContain('invalid model name');
    }
    await register('clf');
    for (const alias of ['Prod', '12', 'a/b']) {
      expect(isMlopsError(await errorOf(registry.promote('clf', 1, alias)), 'MLOPS_ERR_USAGE')).toBe(true);
    }
    const bad = await errorOf(
      registry.register({ model: 'clf', artifacts: { onnx: { hash: 'nope', kind: 'file', size: 1 } } }),
    );
    expect(bad.message).toContain('artifact "onnx"');
  });
});

describe('promote', () => {
  const gate = { metric: 'top1' };

  it('moves an alias and records every move in the history', async () => {
    await register('clf', { top1: 0.8 });
    await register('clf', { top1: 0.9 });
    const first = await registry.promote('clf', 1, 'production', { gate, reason: 'first' });
    expect(first).toMatchObject({
      alias: 'production',
      model: 'clf',
      from: null,
      to: 1,
      actor: 'tester',
      reason: 'first',
    });
    expect(first).not.toHaveProperty('forced');
    const second = await registry.promote('clf', 2, 'production', { gate, actor: 'ci' });
    expect(second).toMatchObject({ from: 1, to: 2, actor: 'ci' });
    const same = await registry.promote('clf', 2, 'production', { gate });
    expect(same).toMatchObject({ from: 2, to: 2 });
    const removed = await registry.removeAlias('clf', 'production', { reason: 'incident' });
    expect(removed).toMatchObject({ from: 2, to: null, reason: 'incident' });
    const history = await registry.history('clf');
    expect(history.map((m) => [m.alias, m.from, m.to])).toEqual([
      ['production', null, 1],
      ['production', 1, 2],
      ['production', 2, null],
    ]);
    expect(Date.parse(history[0]!.at)).not.toBeNaN();
    expect(
      isMlopsError(
        await errorOf(registry.removeAlias('clf', 'production')),
        'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND',
      ),
    ).toBe(true);
  });

  it('refuses a worse candidate naming both versions and values, unless forced', async () => {
    await register('clf', { top1: 0.9 }, ['production']);
    await register('clf', { top1: 0.85 });
    const refused = await errorOf(registry.promote('clf', 2, 'production', { gate }));
    expect(isMlopsError(refused, 'MLOPS_ERR_REGISTRY_GATE')).toBe(true);
    expect(refused.message).toContain('v2');
    expect(refused.message).toContain('0.85');
    expect(refused.message).toContain('v1');
    expect(refused.message).toContain('0.9');
    expect(`${refused.message} ${refused.hint}`).toContain('--force');
    expect((await registry.resolve('clf', { alias: 'production' })).version).toBe(1);

    const forced = await registry.promote('clf', 2, 'production', { gate, force: true });
    expect(forced).toMatchObject({ from: 1, to: 2, forced: true });
    expect((await registry.history('clf')).at(-1)).toMatchObject({ to: 2, forced: true });
  });

  it('passes ties and better candidates, honours mode min, and passes when the alias is free', async () => {
    await register('clf', { top1: 0.9, loss: 0.3 }, ['production']);
    await register('clf', { top1: 0.9, loss: 0.4 });
    await register('clf', { top1: 0.95, loss: 0.2 });
    expect((await registry.promote('clf', 2, 'production', { gate })).to).toBe(2);
    const lossGate = { metric: 'loss', mode: 'min' as const };
    expect((await registry.promote('clf', 1, 'staging-x', { gate: lossGate })).to).toBe(1); // free alias
    const worse = await errorOf(registry.promote('clf', 2, 'staging-x', { gate: lossGate })); // 0.4 > 0.3
    expect(worse.code).toBe('MLOPS_ERR_REGISTRY_GATE');
    expect(worse.message).toContain('lower is better');
    expect((await registry.promote('clf', 3, 'staging-x', { gate: lossGate })).to).toBe(3);
  });

  it('refuses a candidate without the gate metric, with a clear message', async () => {
    await register('clf', { top1: 0.9 }, ['production']);
    await register('clf', { loss: 0.1 });
    const error = await errorOf(registry.promote('clf', 2, 'production', { gate }));
    expect(isMlopsError(error, 'MLOPS_ERR_REGISTRY_GATE')).toBe(true);
    expect(error.message).toContain('has no metric "top1"');
    expect(error.message).toContain('loss');
    expect((await registry.promote('clf', 2, 'production', { gate, force: true })).forced).toBe(true);
  });

  it('takes over a lock left behind by a crashed process', async () => {
    await register('clf');
    const lock = join(root, 'registry', 'locks', 'clf.lock');
    await mkdir(lock, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    expect((await registry.promote('clf', 1, 'production')).to).toBe(1);
  });
});

describe('concurrency and watch', () => {
  it('keeps the registry consistent under processes registering and promoting at once', async () => {
    const workers = 3;
    const perWorker = 20;
    const go = join(dir, 'go');
    const children = Array.from({ length: workers }, (_, w) =>
      spawnTs(fixture('registry-worker.ts'), [root, String(w), String(perWorker), go]),
    );
    const exits = children.map(waitForExit);
    // Start barrier: jiti start-up takes a while; without it one worker could finish before the next starts.
    await Promise.all(children.map((child) => waitForLine(child, 'READY')));
    await writeFile(go, '');
    const results = await Promise.all(exits);
    for (const result of results) expect(result.stderr).toBe('');
    const lines = results.map((r) => r.stdout.trim().split('\n'));
    const times = (tag: string) => lines.map((l) => Number(l.find((x) => x.startsWith(tag))!.split(' ')[1]));
    // All workers were at work at the same moment (otherwise this test would prove little).
    expect(Math.max(...times('START'))).toBeLessThan(Math.min(...times('END')));
    const total = workers * perWorker;
    const given = lines.flatMap((l) => l.filter((x) => /^\d+$/.test(x)).map(Number));
    expect(given.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    const file = JSON.parse(await readFile(join(root, 'registry', 'models', 'm', 'model.json'), 'utf8'));
    expect(file.versions.map((v: { version: number }) => v.version)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    expect(file.revision).toBe(total * 3); // one write per register and per promote

    const history = await registry.history('m');
    expect(history).toHaveLength(total * 2);
    for (const alias of ['production', 'staging']) {
      const moves = history.filter((m) => m.alias === alias);
      expect(new Set(moves.map((m) => m.to)).size).toBe(total); // every version got the alias once
      // Each move starts where the previous one ended: no lost or interleaved update.
      expect(moves.map((m) => m.from)).toEqual([null, ...moves.slice(0, -1).map((m) => m.to)]);
      expect(file.aliases[alias]).toBe(moves.at(-1)!.to);
    }
  });

  it('calls watchers for moves in this process and in another one', async () => {
    await register('m', { top1: 0.5 });
    await register('m', { top1: 0.6 });
    const seen: AliasMove[] = [];
    const stop = registry.watch('m', (move) => seen.push(move));
    await registry.promote('m', 1, 'production');
    await runTs(fixture('promote-once.ts'), [root, '2']);
    const deadline = Date.now() + 10_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(seen.map((m) => [m.from, m.to, m.actor])).toEqual([
      [null, 1, 'tester'],
      [1, 2, 'other-process'],
    ]);
  });

  it('watches a model that does not exist yet and stops when asked', async () => {
    const seen: AliasMove[] = [];
    const stop = registry.watch('later', (move) => seen.push(move));
    await register('later', {}, ['latest']);
    const deadline = Date.now() + 5_000;
    while (seen.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(seen.map((m) => m.alias)).toEqual(['latest']);
    await registry.promote('later', 1, 'production');
    await new Promise((r) => setTimeout(r, 250));
    expect(seen).toHaveLength(1);
  });
});
