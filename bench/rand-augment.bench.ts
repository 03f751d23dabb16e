/**
 * RandAugment cost in the input pipeline: `TrainBatchSource` img/s on Fashion-MNIST with timm's
 * training recipe, without and with `rand-m8-inc1-mstd1.0` (which, as in timm, also turns color
 * jitter off), at 28 px/1 ch and 64 px/3 ch, batch 64, in-thread and with 2 workers; plus the
 * cost of each RandAugment op alone on a 64 px RGB image. Run with
 * `node bench/run-all.mjs --only rand-augment` (or `npx jiti bench/rand-augment.bench.ts`);
 * prints one JSON object. Each cell: 10 untimed warm-up batches, then `BENCH_BATCHES` (default
 * 150; `--quick`: 20) timed ones, best of 2 alternating rounds.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactStore } from '@mlops/core';
import { augmentKernels } from '../packages/plugin-tfjs/src/data/augment/kernels.js';
import { randAugment } from '../packages/plugin-tfjs/src/data/augment/rand-augment.js';
import {
  parseRandAugment,
  RAND_INCREASING_TRANSFORMS,
} from '../packages/plugin-tfjs/src/data/augment/rand-augment-spec.js';
import {
  FASHION_MNIST_LABELS,
  loadDecodedSplit,
  materializeFashionMnist,
  TrainBatchSource,
} from '../packages/plugin-tfjs/src/data/index.js';
import { createRng } from '../packages/plugin-tfjs/src/data/rng.js';
import { hasFlag } from './lib/flags.js';
import { TIMM_AUGMENT } from './lib/timm-augment.js';

const RA = 'rand-m8-inc1-mstd1.0';
const BATCH = 64;
const quick = hasFlag('--quick');
const MAX_BATCHES = quick ? 20 : Number(process.env.BENCH_BATCHES ?? 150);
const WARMUP_BATCHES = 10;
const timm = TIMM_AUGMENT;

const seconds = (start: number): number => (performance.now() - start) / 1000;
const rate = (images: number, s: number): number => Math.round(images / s);

/** Microseconds per image of one RandAugment op (always applied) at magnitude 8 ± 1. */
function opCosts(size: number, channels: number): Record<string, number> {
  const length = size * size * channels;
  const images = 400;
  const source = new Uint8Array(length).map((_, i) => (i * 37 + (i >> 7) * 11) % 256);
  const img = new Uint8Array(length);
  const scratch = new Uint8Array(length);
  const fill = [73, 73, 73];
  const costs: Record<string, number> = {};
  for (const op of RAND_INCREASING_TRANSFORMS) {
    const spec = { ...parseRandAugment('rand-m8-n1-p1-mstd1.0'), ops: [op] };
    for (let warm = 0; warm < 50; warm++) {
      img.set(source);
      randAugment(augmentKernels, img, size, size, channels, createRng(warm), spec, fill, scratch);
    }
    const start = performance.now();
    for (let n = 0; n < images; n++) {
      img.set(source);
      randAugment(augmentKernels, img, size, size, channels, createRng(n), spec, fill, scratch);
    }
    costs[op] = Number(((seconds(start) * 1e6) / images).toFixed(1));
  }
  return costs;
}

const work = await mkdtemp(join(tmpdir(), 'mlops-bench-randaug-'));
try {
  const root = await materializeFashionMnist({
    datasetsDir: join(work, 'datasets'),
    validationFraction: 0.1,
  });
  // A stub store serving the materialized folder, as in input-pipeline.bench.ts.
  const store = { location: join(work, 'store'), localPath: async () => root } as unknown as ArtifactStore;
  const data = {
    dataset: { hash: 'bench', kind: 'dir' as const, size: 0 },
    version: 'bench',
    classes: [...FASHION_MNIST_LABELS],
  };

  const pipelines: Record<string, unknown>[] = [];
  for (const [size, channels] of [
    [28, 1],
    [64, 3],
  ] as const) {
    const split = await loadDecodedSplit({ store, data, split: 'train', size, channels });
    const cells: Record<string, number> = {};
    for (const workers of [0, 2]) {
      // Two rounds, alternating the recipes, each cell's best round kept: the machine is shared,
      // so a single pass mostly measures whoever else is busy at that moment.
      for (let round = 0; round < 2; round++) {
        for (const [name, augment] of [
          ['timm', timm],
          ['timmRandAugment', { ...timm, randAugment: RA }],
        ] as const) {
          const source = new TrainBatchSource({ dataset: split, augment, seed: 42, workers });
          let images = 0;
          let batches = 0;
          let start = 0;
          for await (const batch of source.batches(1, BATCH)) {
            // Untimed warm-up batches: worker start-up and JIT compilation.
            if (++batches === WARMUP_BATCHES) start = performance.now();
            if (batches <= WARMUP_BATCHES) continue;
            images += batch.n;
            if (batches >= WARMUP_BATCHES + MAX_BATCHES) break;
          }
          const key = `${name}Workers${workers}ImagesPerSecond`;
          cells[key] = Math.max(cells[key] ?? 0, rate(images, seconds(start)));
          await source.close();
          process.stderr.write(`rand-augment: ${size}px ${name} workers=${workers} round ${round} done\n`);
        }
      }
    }
    const slowdown = (workers: number): number =>
      Number(
        (
          (cells[`timmWorkers${workers}ImagesPerSecond`] ?? 0) /
          (cells[`timmRandAugmentWorkers${workers}ImagesPerSecond`] ?? 1)
        ).toFixed(2),
      );
    pipelines.push({
      size,
      channels,
      batchSize: BATCH,
      batches: MAX_BATCHES,
      ...cells,
      randAugmentSlowdownWorkers0: slowdown(0),
      randAugmentSlowdownWorkers2: slowdown(2),
    });
  }
  console.log(
    JSON.stringify(
      {
        machine: {
          cpus: availableParallelism(),
          model: cpus()[0]?.model,
          node: process.version,
          loadavg: loadavg().map((v) => Number(v.toFixed(2))),
        },
        randAugment: RA,
        recipe:
          'timm: rrc, hflip 0.5, jitter 0.4 (off with RandAugment, as timm), gray 0.1, blur 0.05, erase 0.25',
        pipelines,
        opMicrosecondsPerImage64pxRgb: opCosts(64, 3),
        opMicrosecondsPerImage28pxGray: opCosts(28, 1),
      },
      null,
      2,
    ),
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
