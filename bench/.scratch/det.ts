import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { selectBackend } from '../../packages/plugin-tfjs/src/backend/select-backend.js';
import { simdKernels } from '../../packages/plugin-tfjs/src/backend/wasm-kernels/simd-kernels.js';
import { asWasmBackend } from '../../packages/plugin-tfjs/src/backend/wasm-kernels/wasm-backend.js';
import { buildModel } from '../../packages/plugin-tfjs/src/models/index.js';
import { createOptimizer } from '../../packages/plugin-tfjs/src/train/create-optimizer.js';
import { trainableVariables } from '../../packages/plugin-tfjs/src/train/model-variables.js';
import { trainStep } from '../../packages/plugin-tfjs/src/train/train-step.js';

const threads = Number(process.env.THREADS ?? 2);
const size = Number(process.env.SIZE ?? 32);
const batch = Number(process.env.BATCH ?? 16);
const info = await selectBackend('wasm', undefined, { threads });
console.error(info.reason, 'simd', simdKernels(asWasmBackend(tf.backend())) != null);
const model = buildModel(process.env.ARCH ?? 'mobilenetv4_conv_small', { numClasses: 10, inputSize: size, inputChannels: 3, dropout: 0, seed: 1 });
const params = trainableVariables(model);
const optimizer = createOptimizer({ optimizer: 'adamw', betas: [0.9, 0.999], weightDecay: 0.05, momentum: 0.9 }, params, 1e-3);
const ctx = { model, params, optimizer, labelSmoothing: 0.1, gradClip: 0 };
const x = tf.tidy(() => tf.reshape(tf.sin(tf.range(0, batch * size * size * 3)), [batch, size, size, 3]));
const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32');
const losses: number[] = [];
for (let i = 0; i < 3; i++) { const r = trainStep(ctx, x, y); losses.push((await r.loss.data())[0]!); tf.dispose([r.loss, r.correct, r.gradNorm]); }
const h = createHash('sha256');
for (const p of params) h.update(Buffer.from((await p.data() as Float32Array).buffer));
console.log(JSON.stringify({ threads: info.threads, losses, weights: h.digest('hex').slice(0, 16) }));
process.exit(0);
