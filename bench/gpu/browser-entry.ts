/**
 * The page side of `chromium-webgpu.ts`: tfjs with the `cpu` and `webgpu` backends and the fused
 * WebGPU training kernels registered, exposing `globalThis.__mlops` for the Node side to call:
 * `parity(options)` (the fused kernels against `cpu`), `batchNormParity(options)` (the training
 * BatchNorm kernels against `cpu`) and `profile(options)` (the profile-step measurement on `webgpu`).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import {
  type BatchNormParityOptions,
  checkBatchNormKernels,
} from '../../packages/plugin-tfjs/src/backend/webgpu/batch-norm-parity.js';
import { registerWebGpuTrainingKernels } from '../../packages/plugin-tfjs/src/backend/webgpu/fused-kernels.js';
import {
  checkFusedKernels,
  type FusedParityOptions,
} from '../../packages/plugin-tfjs/src/backend/webgpu/parity-check.js';
import { type ProfileOptions, profileStep } from './profile-step-core.js';

registerWebGpuTrainingKernels();

async function useWebGpu(): Promise<void> {
  if (!(await tf.setBackend('webgpu')))
    throw new Error('tfjs could not initialise its webgpu backend in the page');
  await tf.ready();
}

(globalThis as unknown as { __mlops: Record<string, (arg: never) => Promise<unknown>> }).__mlops = {
  async parity(options: FusedParityOptions = {}) {
    await useWebGpu();
    return checkFusedKernels({ ...options, log: (line) => console.log(line) });
  },
  async batchNormParity(options: BatchNormParityOptions = {}) {
    await useWebGpu();
    return checkBatchNormKernels(options);
  },
  async profile(options: ProfileOptions) {
    await useWebGpu();
    return profileStep({ ...options, log: (line) => console.log(line) });
  },
};
