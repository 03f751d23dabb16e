import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelEma } from './ema.js';
import { prefixNames, readNamedArraysFile, selectGroup, writeNamedArraysFile } from './named-arrays.js';
import type { ParameterOptimizer } from './optimizer.js';
import { assignVariables, readVariables } from './variable-arrays.js';

/** Directory of the checkpoint written after every epoch. */
export const CHECKPOINT_LAST = 'last';
/** Directory of the checkpoint of the best epoch by the eval metric. */
export const CHECKPOINT_BEST = 'best';
/** Directory of the checkpoint of one epoch (the last `checkpointHistory` are kept). */
export function epochCheckpointName(epoch: number): string {
  return `epoch-${epoch}`;
}

/** The tensors a resumed run restores. */
export interface ResumableTensors {
  /** All model variables (trainable weights and BatchNorm statistics), in `model.weights` order. */
  modelWeights: readonly tf.Variable[];
  /** The optimizer (moments, step count). */
  optimizer: ParameterOptimizer;
  /** The EMA, when enabled. */
  ema: ModelEma | undefined;
}

/**
 * Writes model weights, optimizer state and EMA shadows to one arrays file, atomically. The
 * weights are stored here, not only in `last/`, so resuming needs no model loader and cannot pick
 * up a `last/` written by an interrupted epoch.
 */
export async function writeResumeArrays(path: string, tensors: ResumableTensors): Promise<void> {
  await writeNamedArraysFile(path, [
    ...prefixNames('model', await readVariables(tensors.modelWeights, '')),
    ...prefixNames('optimizer', await tensors.optimizer.getState()),
    ...(tensors.ema ? prefixNames('ema', await tensors.ema.getState()) : []),
  ]);
}

/**
 * Restores what {@link writeResumeArrays} wrote. Returns false when the file has no EMA state but
 * an EMA is enabled now (it then keeps starting from the current weights).
 */
export async function readResumeArrays(
  checkpointDir: string,
  file: string,
  tensors: ResumableTensors,
): Promise<boolean> {
  const arrays = await readNamedArraysFile(join(checkpointDir, file));
  assignVariables(tensors.modelWeights, selectGroup('model', arrays), '');
  tensors.optimizer.setState(selectGroup('optimizer', arrays));
  if (!tensors.ema) return true;
  const emaArrays = selectGroup('ema', arrays);
  if (emaArrays.length === 0) return false;
  tensors.ema.setState(emaArrays);
  return true;
}
