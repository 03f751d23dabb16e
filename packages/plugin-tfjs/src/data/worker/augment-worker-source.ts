import { augmentBatch } from '../augment/augment-batch.js';
import { augmentKernels } from '../augment/kernels.js';

/**
 * JavaScript source of an augmentation worker, run with `new Worker(source, { eval: true })`.
 *
 * Why source text and not a worker file: the package is bundled by tsup into one
 * `dist/index.js`, and tests run the TypeScript sources through vitest, so no worker file path
 * works in both. Instead the worker is assembled from the `toString()` of the very functions the
 * main thread uses (each is self-contained: no imports, no module-level references), which gives
 * the same code — hence the same results — in the main thread, in vitest and in the bundle.
 * (A coverage tool that instruments function bodies would break this; v8 coverage does not.)
 *
 * Protocol: one `init` message `{ images, shape, params, seed }` (images on a SharedArrayBuffer,
 * shared, not copied), then jobs `{ id, epoch, indices }` answered by `{ id, x }` (the
 * Float32Array's buffer is transferred) or `{ id, error }`.
 */
export function augmentWorkerSource(): string {
  const kernels = Object.entries(augmentKernels)
    .map(
      ([name, fn]: [string, (...args: never[]) => unknown]) =>
        `  ${JSON.stringify(name)}: (${fn.toString()}),`,
    )
    .join('\n');
  return `'use strict';
const { parentPort } = require('node:worker_threads');
const kernels = {
${kernels}
};
const augmentBatch = (${augmentBatch.toString()});
let state;
parentPort.on('message', (message) => {
  if (message.type === 'init') {
    state = message;
    return;
  }
  try {
    const length = state.shape.height * state.shape.width * state.shape.channels;
    const x = new Float32Array(message.indices.length * length);
    augmentBatch(kernels, state.images, state.shape, state.params, state.seed, message.epoch, message.indices, x);
    parentPort.postMessage({ id: message.id, x }, [x.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String((error && error.stack) || error) });
  }
});
`;
}
