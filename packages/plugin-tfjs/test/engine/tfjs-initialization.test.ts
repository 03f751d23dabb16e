import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initializeFromTfjs } from '../../src/engine/tfjs-initialization.js';
import { saveModel } from '../../src/model-io/save-load.js';
import { buildModel } from '../../src/models/registry.js';

const quiet = { info: () => undefined };
let dir: string;
const build = (seed: number) =>
  buildModel('small_cnn', { numClasses: 3, inputSize: 12, inputChannels: 1, seed });

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'mlops-tfjs-init-'));
  const source = build(1);
  await saveModel(source, dir, { architecture: 'small_cnn', classes: ['a', 'b', 'c'] });
  source.dispose();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function classifier(model: ReturnType<typeof build>): number[][] {
  return model.getLayer('classifier').getWeights()[0]!.arraySync() as number[][];
}

describe('initializeFromTfjs: the classifier follows the labels, not only the class count', () => {
  it('keeps it for the same classes and re-orders it for the same classes in another order', async () => {
    const source = build(1);
    const kept = build(2);
    const same = await initializeFromTfjs(kept, 'ckpt', dir, {
      classes: ['a', 'b', 'c'],
      headLayers: ['classifier'],
      resetHead: false,
      logger: quiet,
    });
    expect(same.head).toBe('keep');
    expect(classifier(kept)).toEqual(classifier(source));
    const moved = build(3);
    const reordered = await initializeFromTfjs(moved, 'ckpt', dir, {
      classes: ['c', 'a', 'b'],
      headLayers: ['classifier'],
      resetHead: false,
      logger: quiet,
    });
    expect(reordered.head).toBe('reorder');
    const before = classifier(source);
    expect(classifier(moved).map((row) => row)).toEqual(before.map((row) => [row[2], row[0], row[1]]));
    tf.dispose([source, kept, moved].flatMap((m) => m.weights.map((w) => w.read())));
  });

  it('re-initializes it for other classes of the same count (the stand-in pretraining case)', async () => {
    const fresh = build(4);
    const initial = classifier(fresh);
    const result = await initializeFromTfjs(fresh, 'ckpt', dir, {
      classes: ['x', 'y', 'z'],
      headLayers: ['classifier'],
      resetHead: false,
      logger: quiet,
    });
    expect(result.head).toBe('reset');
    expect(result.reinitialized).toContain('classifier');
    expect(classifier(fresh)).toEqual(initial);
    expect(result.loaded.length).toBeGreaterThan(2);
  });
});
