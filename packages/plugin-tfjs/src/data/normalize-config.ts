/** The normalization rule lives in core (one definition for training, export and serving). */
export { resolveNormalize } from '@mlops/core';
