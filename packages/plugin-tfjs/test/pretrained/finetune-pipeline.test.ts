/**
 * A timm checkpoint through core's pipeline: the checkpoint's config.json supplies the
 * architecture, input size and preprocessing; the model stage loads the weights with the
 * classifier re-ordered to the dataset's classes (timm's outputs, permuted); training and the
 * tfjs export keep timm's eval transform; the run record lists what was loaded.
 */
import '@tensorflow/tfjs-backend-cpu';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStore, isMlopsError, type Logger, Pipeline, resolveUserConfig } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../src/data/png/png-encode.js';
import { loadModel } from '../../src/model-io/save-load.js';
import { tfjs } from '../../src/plugin.js';
import {
  type ExpectedOutputs,
  nchwToNhwc,
  readFixtureJson,
  readFloats,
  TIMM_FIXTURES,
} from './timm-fixtures.js';

const ARCH = 'mobilenetv4_conv_small_035';
const CHECKPOINT = join(TIMM_FIXTURES, ARCH);
const roots: string[] = [];
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

/** The checkpoint's four labels in another order, as RGB images of a size timm would resize. */
async function imageFolder(root: string, classes: string[]): Promise<string> {
  const dir = join(root, 'images');
  for (const [split, count] of Object.entries({ train: 4, validation: 2, test: 2 })) {
    for (const [c, name] of classes.entries()) {
      await mkdir(join(dir, split, name), { recursive: true });
      for (let i = 0; i < count; i++) {
        const pixels = new Uint8Array(40 * 30 * 3).map((_, p) => (p * (c + 3) + i * 29) % 256);
        await writeFile(join(dir, split, name, `${i}.png`), encodePng(pixels, 40, 30, 3));
      }
    }
  }
  return dir;
}

describe('fine-tuning from a timm checkpoint folder', () => {
  it('takes the architecture and preprocessing from config.json; the user’s keys still win', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-timm-config-'));
    roots.push(root);
    const { config } = await resolveUserConfig(
      {
        model: { initialCheckpoint: CHECKPOINT },
        data: { source: 'imagefolder', path: root },
        plugins: [tfjs()],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    expect(config.model).toMatchObject({ architecture: ARCH, inputSize: 64, inputChannels: 3 });
    expect(config.data).toMatchObject({
      normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      interpolation: 'bicubic',
      cropPct: 0.875,
    });
    expect(config.sources).toContain(`checkpoint ${CHECKPOINT}`);
    const own = await resolveUserConfig(
      { model: { initialCheckpoint: CHECKPOINT, inputSize: 96 }, data: { cropPct: 1 }, plugins: [tfjs()] },
      { file: join(root, 'mlops.config.ts') },
    );
    expect(own.config.model.inputSize).toBe(96);
    expect(own.config.data.cropPct).toBe(1);
  });

  it('maps timm YAML keys (pretrained_path, crop_pct, drop_path, layer_decay)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-timm-yaml-'));
    roots.push(root);
    await writeFile(
      join(root, 'finetune.yaml'),
      `pretrained: true\npretrained_path: ${CHECKPOINT}\ncrop_pct: 0.95\ninterpolation: bilinear\ndrop_path: 0.1\nlayer_decay: 0.8\n`,
    );
    const { config, warnings } = await resolveUserConfig(
      { extends: './finetune.yaml', plugins: [tfjs()] },
      { file: join(root, 'mlops.config.ts') },
    );
    expect(warnings).toEqual([]);
    expect(config.model).toMatchObject({
      pretrained: true,
      initialCheckpoint: CHECKPOINT,
      architecture: ARCH,
      dropPath: 0.1,
    });
    expect(config.data).toMatchObject({ cropPct: 0.95, interpolation: 'bilinear' });
    expect(config.train.layerDecay).toBe(0.8);
  });

  it('pretrained: true on an architecture without timm weights says so', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-timm-none-'));
    roots.push(root);
    const error = await resolveUserConfig(
      { model: { architecture: ARCH, pretrained: true }, plugins: [tfjs()] },
      { file: join(root, 'mlops.config.ts') },
    ).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain(`${ARCH} has no pretrained weights`);
  });

  it('a checkpoint of another architecture than model.architecture is refused with the fix', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-timm-arch-'));
    roots.push(root);
    const { config } = await resolveUserConfig(
      {
        model: { initialCheckpoint: CHECKPOINT, architecture: 'mobilenetv4_conv_small_050' },
        data: { source: 'imagefolder', path: await imageFolder(root, ['cat', 'dog', 'bird', 'fish']) },
        train: { backend: 'cpu' },
        plugins: [tfjs({ workers: 0 })],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: silent });
    const error = await pipeline.run({ stages: ['data', 'model'] }).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_CHECKPOINT_MISMATCH')).toBe(true);
    expect((error as { hint: string }).hint).toContain(`set model.architecture to ${ARCH}`);
  }, 60_000);

  it('loads timm’s weights (classifier re-ordered), trains, and exports timm’s preprocessing', async () => {
    await tf.setBackend('cpu');
    const root = await mkdtemp(join(tmpdir(), 'mlops-timm-run-'));
    roots.push(root);
    const classes = ['fish', 'cat', 'bird', 'dog'];
    const { config } = await resolveUserConfig(
      {
        project: 'timm-finetune',
        model: { initialCheckpoint: CHECKPOINT },
        data: { source: 'imagefolder', path: await imageFolder(root, classes) },
        train: { epochs: 1, batchSize: 8, backend: 'wasm' },
        plugins: [tfjs({ workers: 0, evalBatchSize: 8, logImages: false, logHistograms: false })],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: silent });
    const result = await pipeline.run({ stages: ['data', 'model', 'train', 'evaluate', 'export'] });
    const store = pipeline.resolve(ArtifactStore);
    const model = result.outputs.model!;
    const dataClasses = result.outputs.data!.classes;
    expect(model.architecture).toBe(ARCH);
    expect(model.initialization).toMatchObject({
      source: CHECKPOINT,
      format: 'timm',
      head: 'reorder',
      reinitialized: [],
    });
    expect(model.initialization!.loaded).toContain('blocks.3.5.pw_proj.bn.running_var');

    // The untrained model is timm's model, outputs permuted to the dataset's class order.
    const expected = readFixtureJson<ExpectedOutputs>(ARCH, 'expected.json');
    const loaded = await loadModel(await store.localPath(model.model));
    const [n, c, h, w] = expected.input.shape;
    const x = tf.tensor(nchwToNhwc(readFloats(ARCH, 'input.bin'), expected.input.shape), [n, h, w, c]);
    const probs = tf.tidy(() => tf.softmax(loaded.predict(x) as tf.Tensor).arraySync() as number[][]);
    x.dispose();
    loaded.dispose();
    const labels = expected.labelNames;
    probs.forEach((row, i) => {
      dataClasses.forEach((name, j) => {
        expect(
          Math.abs((row[j] as number) - (expected.probabilities[i]?.[labels.indexOf(name)] as number)),
        ).toBeLessThanOrEqual(1e-4);
      });
    });

    const exported = await store.localPath(result.outputs.export!.exports[0]!.artifact);
    const preprocessing = JSON.parse(await readFile(join(exported, 'preprocessing.json'), 'utf8'));
    expect(preprocessing).toEqual({
      size: 64,
      channels: 3,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      resize: 'timm',
      cropPct: 0.875,
      interpolation: 'bicubic',
    });
    const record = JSON.parse(
      await readFile(join(config.root, '.mlops', 'runs', result.run.id, 'run.json'), 'utf8'),
    );
    expect(JSON.stringify(record)).toContain('"headReason"');
  }, 180_000);
});

describe('a checkpoint of a custom width (timm model_args.channel_multiplier)', () => {
  it('sets model.widthMultiplier, and the hybrid loads with timm’s outputs through the pipeline', async () => {
    await tf.setBackend('cpu');
    const root = await mkdtemp(join(tmpdir(), 'mlops-timm-hybrid-'));
    roots.push(root);
    const hybrid = join(TIMM_FIXTURES, 'mobilenetv4_hybrid_medium_tiny');
    const { config } = await resolveUserConfig(
      {
        model: { initialCheckpoint: hybrid },
        data: { source: 'imagefolder', path: await imageFolder(root, ['cat', 'dog', 'bird', 'fish']) },
        train: { epochs: 0, backend: 'cpu' },
        plugins: [tfjs({ workers: 0, logImages: false, logHistograms: false })],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    expect(config.model).toMatchObject({ architecture: 'mobilenetv4_hybrid_medium', widthMultiplier: 0.125 });
    const pipeline = await Pipeline.create({ config, logger: silent });
    const result = await pipeline.run({ stages: ['data', 'model', 'train'] });
    // ImageFolder classes come sorted (bird, cat, dog, fish): the classifier rows follow them
    expect(result.outputs.model?.initialization).toMatchObject({ head: 'reorder', reinitialized: [] });
    const dataClasses = result.outputs.data!.classes;
    // epochs 0: the checkpoint is scored as it is on the validation split
    expect(result.outputs.train?.epochs).toBe(0);
    expect(result.outputs.train?.metrics.top1).toBeGreaterThanOrEqual(0);
    const expected = readFixtureJson<ExpectedOutputs>('mobilenetv4_hybrid_medium_tiny', 'expected.json');
    const loaded = await loadModel(
      await pipeline.resolve(ArtifactStore).localPath(result.outputs.train!.model),
    );
    const [n, c, h, w] = expected.input.shape;
    const x = tf.tensor(
      nchwToNhwc(readFloats('mobilenetv4_hybrid_medium_tiny', 'input.bin'), expected.input.shape),
      [n, h, w, c],
    );
    const probs = tf.tidy(() => tf.softmax(loaded.predict(x) as tf.Tensor).arraySync() as number[][]);
    x.dispose();
    loaded.dispose();
    probs.forEach((row, i) => {
      dataClasses.forEach((name, j) => {
        const timm = expected.probabilities[i]?.[expected.labelNames.indexOf(name)] as number;
        expect(Math.abs((row[j] as number) - timm)).toBeLessThanOrEqual(1e-4);
      });
    });
  }, 120_000);
});
