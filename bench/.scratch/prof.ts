import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../packages/plugin-tfjs/src/backend/select-backend.js';
import { buildModel } from '../../packages/plugin-tfjs/src/models/index.js';
import { createOptimizer } from '../../packages/plugin-tfjs/src/train/create-optimizer.js';
import { trainableVariables } from '../../packages/plugin-tfjs/src/train/model-variables.js';
import { trainStep } from '../../packages/plugin-tfjs/src/train/train-step.js';

const size = Number(process.env.SIZE ?? 64);
const batch = Number(process.env.BATCH ?? 64);
const steps = Number(process.env.STEPS ?? 3);
const info = await selectBackend('wasm');
console.error('backend', info);
const model = buildModel('mobilenetv4_conv_small', { numClasses: 10, inputSize: size, inputChannels: 3, dropout: 0.25, seed: 1 });
const params = trainableVariables(model);
const optimizer = createOptimizer({ optimizer: 'adamw', betas: [0.6, 0.995], weightDecay: 0.06, momentum: 0.9 }, params, 1e-3);
const ctx = { model, params, optimizer, labelSmoothing: 0.1, gradClip: 0 };
const x = tf.randomNormal([batch, size, size, 3]);
const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32');
const step = async () => { const r = trainStep(ctx, x, y); await Promise.all([r.loss.data(), r.correct.data(), r.gradNorm.data()]); tf.dispose([r.loss, r.correct, r.gradNorm]); };
for (let i = 0; i < 2; i++) await step();
const times: number[] = [];
for (let i = 0; i < steps; i++) { const t0 = performance.now(); await step(); times.push(performance.now() - t0); }
console.log('step ms', times.map((t) => t.toFixed(0)).join(' '));
if (process.env.PROFILE) {
  const totals = new Map<string, [number, number]>();
  let depth = 0;
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc; const name = config.kernelName;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: (a) => { const t0 = performance.now(); depth++; try { return inner(a); } finally { depth--; if (depth === 0) { const e = totals.get(name) ?? [0, 0]; e[0] += performance.now() - t0; e[1]++; totals.set(name, e); } } } });
  }
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const total = (performance.now() - t0) / steps;
  const rows = [...totals].sort((a, b) => b[1][0] - a[1][0]);
  const inK = rows.reduce((s, r) => s + r[1][0], 0) / steps;
  console.log(`step ${total.toFixed(0)} ms, in kernels ${inK.toFixed(0)} ms`);
  for (const [k, [ms, n]] of rows.slice(0, 30)) console.log(k.padEnd(40), (ms / steps).toFixed(1).padStart(8), String(n / steps).padStart(6));
}
process.exit(0);
