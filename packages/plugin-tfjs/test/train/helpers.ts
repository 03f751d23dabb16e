import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Batch, BatchShape, BatchSource } from '../../src/data/batch-source.js';
import { mulberry32 } from '../../src/train/seeded-random.js';
import type { CheckpointMetadata, SaveModelFn, TrainerConfig } from '../../src/train/trainer-types.js';

/** Switches to the cpu backend (the wasm gradient kernels are developed elsewhere). */
export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Options of {@link syntheticSource}. */
export interface SyntheticSourceOptions {
  size: number;
  numClasses: number;
  seed: number;
  /** Shuffle per epoch (a training source); false keeps a fixed order. */
  shuffle: boolean;
  side?: number;
}

/**
 * A linearly separable image set: class c lights a 3×3 blob at a class-specific position, plus
 * uniform noise. Deterministic in `seed`; a shuffling source permutes by `(seed, epoch)`, like the
 * real pipeline promises.
 */
export function syntheticSource(options: SyntheticSourceOptions): BatchSource & { closed: boolean } {
  const side = options.side ?? 8;
  const shape: BatchShape = { height: side, width: side, channels: 1 };
  const pixels = side * side;
  const random = mulberry32(options.seed);
  const images = new Float32Array(options.size * pixels);
  const labels = new Int32Array(options.size);
  for (let i = 0; i < options.size; i++) {
    const label = i % options.numClasses;
    labels[i] = label;
    for (let p = 0; p < pixels; p++) images[i * pixels + p] = random() * 0.6 - 0.3;
    const row = 1 + ((label * 3) % (side - 3));
    const col = 1 + ((label * 5) % (side - 3));
    for (let dr = 0; dr < 3; dr++) {
      for (let dc = 0; dc < 3; dc++) images[i * pixels + (row + dr) * side + col + dc]! += 1;
    }
  }
  const source = {
    shape,
    size: options.size,
    numClasses: options.numClasses,
    closed: false,
    async *batches(epoch: number, batchSize: number): AsyncIterable<Batch> {
      const order = Array.from({ length: options.size }, (_, i) => i);
      if (options.shuffle) {
        const shuffleRandom = mulberry32(options.seed * 7919 + epoch);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(shuffleRandom() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
      }
      for (let start = 0; start < order.length; start += batchSize) {
        const indices = order.slice(start, start + batchSize);
        const x = new Float32Array(indices.length * pixels);
        const y = new Int32Array(indices.length);
        indices.forEach((index, k) => {
          x.set(images.subarray(index * pixels, (index + 1) * pixels), k * pixels);
          y[k] = labels[index]!;
        });
        yield { x, y, n: indices.length };
      }
    },
    async close(): Promise<void> {
      source.closed = true;
    },
  };
  return source;
}

/** Options of {@link tinyConvModel}. */
export interface TinyModelOptions {
  numClasses: number;
  seed: number;
  side?: number;
  batchNorm?: boolean;
  dropout?: number;
}

/** conv3×3(4) → [BN] → ReLU → maxpool → flatten → [dropout] → dense: a functional model emitting logits. */
export function tinyConvModel(options: TinyModelOptions): tfl.LayersModel {
  const side = options.side ?? 8;
  const input = tfl.input({ shape: [side, side, 1] });
  let h = tfl.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: options.seed }),
    })
    .apply(input) as tfl.SymbolicTensor;
  if (options.batchNorm ?? true) h = tfl.layers.batchNormalization().apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.activation({ activation: 'relu' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
  if ((options.dropout ?? 0.2) > 0)
    h = tfl.layers.dropout({ rate: options.dropout ?? 0.2 }).apply(h) as tfl.SymbolicTensor;
  const logits = tfl.layers
    .dense({
      units: options.numClasses,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: options.seed + 1 }),
    })
    .apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}

/** A saved checkpoint as the fake saver writes it. */
export interface FakeCheckpoint {
  metadata: CheckpointMetadata;
  weights: number[][];
}

/**
 * A stand-in for model-io's `saveModel`: writes the weights and metadata as JSON into a temp dir
 * renamed over `dir` (atomic), and records every call.
 */
export function fakeSaver(): { save: SaveModelFn; calls: { dir: string; metadata?: CheckpointMetadata }[] } {
  const calls: { dir: string; metadata?: CheckpointMetadata }[] = [];
  const save: SaveModelFn = async (model, dir, metadata) => {
    calls.push({ dir, metadata });
    const weights = await Promise.all(model.weights.map(async (w) => Array.from(await w.read().data())));
    const temp = `${dir}.tmp`;
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    await writeFile(join(temp, 'checkpoint.json'), JSON.stringify({ metadata: metadata ?? {}, weights }));
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  };
  return { save, calls };
}

/** Reads a checkpoint written by {@link fakeSaver}. */
export async function readFakeCheckpoint(dir: string): Promise<FakeCheckpoint> {
  return JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as FakeCheckpoint;
}

/** A small but complete trainer config (timm-like recipe scaled down). */
export function trainerConfig(overrides: Partial<TrainerConfig> = {}): TrainerConfig {
  return {
    epochs: 4,
    batchSize: 16,
    lr: 0.01,
    lrBase: 0.01,
    lrBaseSize: 4096,
    optimizer: 'adamw',
    betas: [0.9, 0.999],
    weightDecay: 0.01,
    momentum: 0.9,
    scheduler: 'cosine',
    warmupEpochs: 1,
    warmupLr: 1e-4,
    minLr: 1e-5,
    labelSmoothing: 0.1,
    ema: { enabled: true, decay: 0.99 },
    gradClip: 5,
    seed: 42,
    earlyStopping: { patience: 0, metric: 'top1', mode: 'max' },
    evalMetric: 'top1',
    checkpointHistory: 2,
    ...overrides,
  };
}

/** Current values of all model weights. */
export async function weightValues(model: tfl.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.weights.map(async (w) => Float32Array.from(await w.read().data())));
}
