import type { AugmentConfig } from '@mlops/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch, BatchSource } from '../../src/data/batch-source.js';
import { allocateDecodedSplit, type DecodedSplit } from '../../src/data/decoded-split.js';
import { EvalBatchSource } from '../../src/data/eval-batch-source.js';
import { TrainBatchSource } from '../../src/data/train-batch-source.js';

const timmRecipe: AugmentConfig = {
  scale: [0.08, 1],
  ratio: [3 / 4, 4 / 3],
  hflip: 0.5,
  vflip: 0.1,
  colorJitter: 0.4,
  grayscale: 0.1,
  gaussianBlur: 0.2,
  randomErasing: 0.25,
};

function syntheticSplit(count: number, size: number, channels: 1 | 3): DecodedSplit {
  const split = allocateDecodedSplit({
    split: 'train',
    classes: ['a', 'b', 'c'],
    count,
    height: size,
    width: size,
    channels,
  });
  for (let i = 0; i < split.images.length; i++) split.images[i] = (i * 31 + (i >> 7)) % 256;
  for (let i = 0; i < count; i++) split.labels[i] = i % 3;
  return split;
}

async function collect(source: BatchSource, epoch: number, batchSize: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of source.batches(epoch, batchSize)) out.push(batch);
  return out;
}

describe('TrainBatchSource', () => {
  const open: BatchSource[] = [];
  const make = (
    options: Partial<ConstructorParameters<typeof TrainBatchSource>[0]> = {},
  ): TrainBatchSource => {
    const source = new TrainBatchSource({
      dataset: syntheticSplit(50, 16, 3),
      augment: timmRecipe,
      seed: 42,
      ...options,
    });
    open.push(source);
    return source;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('yields identical batches with 0, 1 or 2 worker threads under the same seed', async () => {
    const inline = await collect(make({ workers: 0, dropLast: false }), 1, 8);
    const one = await collect(make({ workers: 1, dropLast: false }), 1, 8);
    const two = await collect(make({ workers: 2, prefetch: 3, dropLast: false }), 1, 8);
    expect(inline.map((b) => b.n)).toEqual([8, 8, 8, 8, 8, 8, 2]);
    expect(one).toEqual(inline);
    expect(two).toEqual(inline);
    const epoch2 = await collect(make({ workers: 1 }), 2, 8);
    expect(epoch2).toEqual(await collect(make({ workers: 0 }), 2, 8));
  });

  it('shuffles per epoch from the seed and labels every image', async () => {
    const source = make({ workers: 0 });
    const dataset = syntheticSplit(50, 16, 3);
    const [first] = await collect(source, 1, 50);
    const order = source.order(1);
    expect(first?.y).toEqual(Int32Array.from(order, (i) => dataset.labels[i] as number));
    expect(source.order(2)).not.toEqual(order);
    expect(make({ workers: 0, seed: 7 }).order(1)).not.toEqual(order);
    expect(first?.x).toHaveLength(50 * 16 * 16 * 3);
    expect(first?.x.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('drops a short last batch by default, as timm, and describes its data', async () => {
    const source = make({ workers: 0 });
    expect((await collect(source, 1, 8)).map((b) => b.n)).toEqual([8, 8, 8, 8, 8, 8]);
    expect(source.batchCount(8)).toBe(6);
    expect(source.batchCount(10)).toBe(5);
    expect(make({ workers: 0, dropLast: false }).batchCount(8)).toBe(7);
    // A split smaller than one batch still trains, on one partial batch.
    expect((await collect(source, 1, 64)).map((b) => b.n)).toEqual([50]);
    expect(source.batchCount(64)).toBe(1);
    expect(source.shape).toEqual({ height: 16, width: 16, channels: 3 });
    expect(source.size).toBe(50);
    expect(source.numClasses).toBe(3);
  });

  it('can stop mid-epoch and close without stray errors', async () => {
    const source = make({ workers: 2, prefetch: 4 });
    for await (const batch of source.batches(1, 4)) {
      expect(batch.n).toBe(4);
      break;
    }
    await source.close();
  });

  it('rejects a bad batch size', async () => {
    await expect(collect(make({ workers: 0 }), 1, 0)).rejects.toThrow(/batch size/);
  });
});

describe('EvalBatchSource', () => {
  it('yields the split in order, normalized, without augmentation', async () => {
    const dataset = syntheticSplit(10, 4, 1);
    const source = new EvalBatchSource({ dataset, normalize: { mean: [0.5], std: [0.5] } });
    const batches = await collect(source, 1, 4);
    expect(batches.map((b) => b.n)).toEqual([4, 4, 2]);
    expect(batches[2]?.y).toEqual(Int32Array.from([8 % 3, 9 % 3]));
    expect(batches[0]?.x[5]).toBeCloseTo(((dataset.images[5] as number) / 255 - 0.5) / 0.5, 6);
    expect(await collect(source, 2, 4)).toEqual(batches);
  });
});
