import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUserConfig } from '../../src/config/load-config.js';
import type { MlopsError } from '../../src/errors.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { definePlugin } from '../../src/plugin/plugin.js';
import { LocalModelRegistry } from '../../src/registry/local-model-registry.js';
import type { ArtifactRef } from '../../src/services/artifact-store.js';
import type { Logger } from '../../src/services/logger.js';
import type { GateEvidence } from '../../src/services/model-registry.js';
import { ImageDecoder, type LoadedModel, Runtime } from '../../src/services/runtime.js';
import { writeTree } from '../data/helpers/tree.js';
import { countingEnginePlugin } from '../pipeline/test-plugin.js';

const ref = (c: string): ArtifactRef => ({ hash: c.repeat(64), kind: 'dir', size: 1 });
const gate = { metric: 'top1', mode: 'max' as const };

async function registryWith(versions: { labels: string[]; top1: number; evaluation?: object }[]) {
  const registry = new LocalModelRegistry(join(await mkdtemp(join(tmpdir(), 'mlops-gate-')), '.mlops'));
  for (const [i, v] of versions.entries()) {
    await registry.register({
      model: 'clf',
      artifacts: { tfjs: ref(String(i + 1)) },
      metrics: { top1: v.top1 },
      metadata: { labels: v.labels, ...(v.evaluation ? { evaluation: { ...v.evaluation } } : {}) },
    });
  }
  await registry.promote('clf', 1, 'production');
  return registry;
}

async function refusal(promise: Promise<unknown>): Promise<MlopsError> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as MlopsError,
  );
}

describe('the registry gate compares like with like', () => {
  it('refuses versions with other class sets as not comparable (not "worse"), with the --force command', async () => {
    const registry = await registryWith([
      { labels: ['a', 'b', 'c'], top1: 0.95 },
      { labels: ['a', 'b', 'c', 'd', 'e'], top1: 0.8 },
    ]);
    const error = await refusal(registry.promote('clf', 2, 'production', { gate }));
    expect(error.code).toBe('MLOPS_ERR_REGISTRY_GATE');
    expect(error.message).toBe(
      'refusing to promote clf v2 to "production": its top1 cannot be compared with v1\'s, the current "production": they classify different classes (v1: 3, v2: 5; v2 adds d, e)',
    );
    expect(error.message).not.toContain('worse');
    expect(error.hint).toContain('mlops registry promote clf 2 production --force');
    expect((await registry.promote('clf', 2, 'production', { gate, force: true })).forced).toBe(true);
  });

  it('refuses versions evaluated on other data unless both were measured on the same images', async () => {
    const labels = ['a', 'b'];
    const registry = await registryWith([
      { labels, top1: 0.95, evaluation: { split: 'test', dataVersion: 'd1'.repeat(32), dataHash: 'x' } },
      { labels, top1: 0.8, evaluation: { split: 'test', dataVersion: 'd2'.repeat(32), dataHash: 'y' } },
    ]);
    const error = await refusal(registry.promote('clf', 2, 'production', { gate }));
    expect(error.message).toContain(
      'they were evaluated on different data (v1: the test split of data d1d1d1d1d1d1',
    );
    const evidence = (candidate: number, holder: number): GateEvidence => ({
      metric: 'top1',
      candidateVersion: 2,
      holderVersion: 1,
      candidate,
      holder,
      on: 'the test split of data d2d2d2d2d2d2 (40 images)',
    });
    const worse = await refusal(
      registry.promote('clf', 2, 'production', { gate, evidence: evidence(0.7, 0.75) }),
    );
    expect(worse.message).toContain(
      'on the test split of data d2d2d2d2d2d2 (40 images), its top1 0.7 is worse than 0.75 of v1',
    );
    const move = await registry.promote('clf', 2, 'production', { gate, evidence: evidence(0.8, 0.75) });
    expect(move).toMatchObject({ from: 1, to: 2 });
    expect(move.forced).toBeUndefined();
  });

  it('measures the holder on the candidate’s test split when a run promotes it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-gate-run-'));
    const files: Record<string, string> = {};
    for (const split of ['train', 'validation', 'test'])
      for (const label of ['cat', 'dog'])
        for (const i of [1, 2, 3]) files[`images/${split}/${label}/${i}.png`] = `${label}`;
    await writeTree(root, files);
    // v2 knows the truth; v1 and v3 always answer "cat".
    const services = definePlugin({
      name: 'fake-serving',
      apply(api) {
        api.provide(ImageDecoder, {
          decode: async (bytes) => ({ data: new Uint8Array(bytes), width: 1, height: 1, channels: 1 }),
        });
        api.provide(Runtime, {
          name: 'fake',
          supports: () => true,
          load: async (version): Promise<LoadedModel> => ({
            version,
            labels: ['cat', 'dog'],
            predict: async (images) =>
              images.map((image) => {
                const truth = new TextDecoder().decode(image.data);
                const label = version.version === 2 ? truth : 'cat';
                return { top: [{ label, probability: 1 }] };
              }),
            dispose: async () => undefined,
          }),
        });
      },
    });
    const lines: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (m) => void lines.push(m),
      warn: (m) => void lines.push(`warn ${m}`),
      error: (m) => void lines.push(m),
      child: () => logger,
    };
    const run = async (lr: string) => {
      const { config } = await resolveUserConfig(
        {
          project: 'demo',
          data: { source: 'imagefolder', path: 'images' },
          train: { epochs: 1 },
          registry: { promoteTo: 'preproduction', gate },
          plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 }), services],
        },
        { file: join(root, 'mlops.config.ts'), overrides: [`train.lr=${lr}`] },
      );
      const pipeline = await Pipeline.create({ config, logger });
      return (await pipeline.run({ signal: new AbortController().signal })).outputs.export?.registered;
    };
    expect(await run('0.001')).toMatchObject({ version: 1, aliases: ['latest', 'preproduction'] });

    // New test images: the versions' own evaluations (both top1 0.91) are not comparable.
    await writeTree(root, { 'images/test/dog/4.png': 'dog', 'images/test/dog/5.png': 'dog' });
    expect(await run('0.002')).toMatchObject({ version: 2, aliases: ['latest', 'preproduction'] });
    expect(
      lines.some((l) => /^measuring v1 and v2 on the test split of data \w{12} \(8 images\)/.test(l)),
    ).toBe(true);

    await writeTree(root, { 'images/test/cat/4.png': 'cat' });
    expect(await run('0.003')).toMatchObject({ version: 3, aliases: ['latest'] });
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warn not promoted to preproduction: refusing to promote demo v3 to "preproduction": on the test split of data \w{12} \(9 images\), its top1 0.4444 is worse than 1 of v2/,
      ),
    );
  });
});
