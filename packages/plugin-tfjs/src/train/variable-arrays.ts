import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './named-arrays.js';
import { shapeSize } from './named-arrays.js';

/**
 * Reads variables into arrays named `${prefix}${index}`. Names are positional on purpose: tfjs
 * uniquifies variable names with process-global counters, so the same model built in another
 * process (a resumed run) has different names but the same order.
 */
export async function readVariables(
  variables: readonly tf.Variable[],
  prefix: string,
): Promise<NamedArray[]> {
  return Promise.all(
    variables.map(async (v, i) => ({
      name: `${prefix}${i}`,
      shape: [...v.shape],
      values: Float32Array.from(await v.data()),
    })),
  );
}

/**
 * Assigns arrays named `${prefix}${index}` (as written by {@link readVariables}) to `variables`.
 * Throws, before assigning anything, when one is missing or its shape differs — a state file from
 * another architecture must not be half-applied.
 */
export function assignVariables(
  variables: readonly tf.Variable[],
  arrays: readonly NamedArray[],
  prefix: string,
): void {
  const byName = new Map(arrays.map((a) => [a.name, a]));
  const matched = variables.map((v, i) => {
    const array = byName.get(`${prefix}${i}`);
    if (!array)
      throw new MlopsError(
        'MLOPS_ERR_CHECKPOINT_MISMATCH',
        `State has no array '${prefix}${i}' for variable ${v.name}`,
        {
          hint: 'The checkpoint does not belong to this model or run: start afresh with mlops run train --force.',
        },
      );
    if (array.shape.length !== v.shape.length || array.shape.some((d, k) => d !== v.shape[k])) {
      throw new MlopsError(
        'MLOPS_ERR_CHECKPOINT_MISMATCH',
        `State array '${array.name}' has shape [${array.shape.join(', ')}], variable ${v.name} has [${v.shape.join(', ')}]`,
        {
          hint: 'The checkpoint does not belong to this model or run: start afresh with mlops run train --force.',
        },
      );
    }
    if (array.values.length !== shapeSize(array.shape))
      throw new MlopsError('MLOPS_ERR_CHECKPOINT_INVALID', `State array '${array.name}' is malformed`, {
        hint: 'The checkpoint does not belong to this model or run: start afresh with mlops run train --force.',
      });
    return array;
  });
  // tidy disposes the temporaries; each variable keeps its new data alive by reference.
  tf.tidy(() => {
    variables.forEach((v, i) => {
      const array = matched[i]!;
      v.assign(tf.tensor(array.values, array.shape, v.dtype));
    });
  });
}
