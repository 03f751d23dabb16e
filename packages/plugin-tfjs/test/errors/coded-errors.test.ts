import '@tensorflow/tfjs-backend-cpu';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMlopsError, type MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { tfjsErrors } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/model-io/index.js';
import { buildModel, getArchitecture, parseBlockSpec, validateBuildOptions } from '../../src/models/index.js';
import { createLrSchedule } from '../../src/train/lr-schedule.js';
import { tempDir } from '../model-io/helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function thrown(run: () => unknown): MlopsError {
  try {
    run();
  } catch (error) {
    if (isMlopsError(error)) return error;
    throw error;
  }
  throw new Error('expected an MlopsError, nothing was thrown');
}

async function rejected(promise: Promise<unknown>): Promise<MlopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMlopsError(error)) throw new Error(`expected an MlopsError, got ${String(error)}`);
  return error;
}

describe('errors a user can cause carry a code and a hint naming the fix', () => {
  it('an unknown architecture names model.architecture', () => {
    const error = thrown(() => getArchitecture('resnet9000'));
    expect(error.code).toBe('MLOPS_TFJS_ERR_UNKNOWN_ARCHITECTURE');
    expect(error.message).toMatch(/Unknown architecture 'resnet9000'/);
    expect(error.hint).toMatch(/model\.architecture/);
  });

  it('a block string that does not parse gets the catalogue hint', () => {
    const error = thrown(() => parseBlockSpec('uir_r1_k4_s1_e2_c8'));
    expect(error.code).toBe('MLOPS_TFJS_ERR_BLOCK_SPEC');
    expect(error.hint).toBe(tfjsErrors.entries.MLOPS_TFJS_ERR_BLOCK_SPEC.hint);
  });

  it('an out-of-range model option is an invalid config naming the key', () => {
    const error = thrown(() =>
      validateBuildOptions({ numClasses: 2, inputSize: 28, inputChannels: 1, dropout: 1.5 }),
    );
    expect(error.code).toBe('MLOPS_ERR_CONFIG_INVALID');
    expect(error.hint).toMatch(/model\.dropout/);
  });

  it('an unknown scheduler is an invalid config naming train.scheduler', () => {
    const error = thrown(() =>
      createLrSchedule({
        scheduler: 'linear' as 'cosine',
        epochs: 2,
        stepsPerEpoch: 3,
        warmupEpochs: 0,
        peakLr: 0.1,
        warmupLr: 0,
        minLr: 0,
      }),
    );
    expect(error.code).toBe('MLOPS_ERR_CONFIG_INVALID');
    expect(error.hint).toMatch(/train\.scheduler/);
  });

  it('an unknown backend is an invalid config naming train.backend', async () => {
    const error = await rejected(selectBackend('tpu' as 'cpu'));
    expect(error.code).toBe('MLOPS_ERR_CONFIG_INVALID');
    expect(error.hint).toMatch(/train\.backend/);
  });

  it('a folder without model.json is MLOPS_TFJS_ERR_MODEL_NOT_FOUND with the file', async () => {
    const dir = join(await tempDir(), 'empty');
    await mkdir(dir);
    const error = await rejected(loadModel(dir));
    expect(error.code).toBe('MLOPS_TFJS_ERR_MODEL_NOT_FOUND');
    expect(error.file).toBe(join(dir, 'model.json'));
  });

  it('a damaged saved model is MLOPS_ERR_STORE_CORRUPT naming the file', async () => {
    const dir = join(await tempDir(), 'model');
    await saveModel(
      buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1, seed: 1 }),
      dir,
    );
    await writeFile(join(dir, 'model.json'), '{ not json');
    const error = await rejected(loadModel(dir));
    expect(error.code).toBe('MLOPS_ERR_STORE_CORRUPT');
    expect(error.file).toBe(join(dir, 'model.json'));
    expect(error.hint).toMatch(/export the model again/);
  });

  it('saving over a folder that is not a model is MLOPS_TFJS_ERR_SAVE_TARGET', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const model = buildModel('small_cnn', { numClasses: 2, inputSize: 28, inputChannels: 1, seed: 1 });
    const error = await rejected(saveModel(model, dir));
    expect(error.code).toBe('MLOPS_TFJS_ERR_SAVE_TARGET');
    expect(error.file).toBe(dir);
  });
});
