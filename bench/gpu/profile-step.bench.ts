/**
 * Profile of one training step: per step, tfjs kernel invocations and — on WebGPU — dispatches,
 * buffer creations, uploads, readbacks, copies and submits, and the time of forward, backward,
 * gradient norm (+ clipping), optimizer, EMA and metrics; with the fused optimizer/norm/clip/EMA
 * kernels and without them (ratio unfused / fused in the same run). See `profile-step-core.ts`.
 *
 *   npx jiti bench/gpu/profile-step.bench.ts [--backend cpu|wasm|webgpu|auto] [--browser]
 *     [--arch mobilenetv4_conv_small] [--size 64] [--batch 64] [--steps 3] [--warmup 2]
 *     [--grad-clip 1] [--ema 0.9998] [--modes fused,fused-no-bn,unfused] [--rounds 1]
 *
 * --browser   run on WebGPU inside headless Chromium (SwiftShader, a software renderer: counts
 *             are real, times are CPU-emulation times, not GPU times)
 *
 * Prints one JSON object on stdout; progress goes to stderr.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendPreference,
  selectBackend,
} from '../../packages/plugin-tfjs/src/backend/select-backend.js';
import { flag, hasFlag } from '../lib/flags.js';
import { openChromiumWebGpu } from './chromium-webgpu.js';
import { type ProfileOptions, profileStep } from './profile-step-core.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const options: ProfileOptions = {
  arch: flag('arch', 'mobilenetv4_conv_small'),
  size: Number(flag('size', '64')),
  batch: Number(flag('batch', '64')),
  steps: Number(flag('steps', '3')),
  warmup: Number(flag('warmup', '2')),
  gradClip: Number(flag('grad-clip', '1')),
  emaDecay: Number(flag('ema', '0.9998')),
  modes: flag('modes', 'fused,unfused').split(',') as ProfileOptions['modes'],
  rounds: Number(flag('rounds', '1')),
};
const startedAt = new Date();
const machine = {
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model,
  node: process.version,
  loadAverageAtStart: os.loadavg().map((v) => Number(v.toFixed(2))),
  tfjsCore: tf.version_core,
};

let result: Record<string, unknown>;
if (hasFlag('browser')) {
  const page = await openChromiumWebGpu({ log });
  if ('unavailable' in page) {
    result = { skipped: page.unavailable };
  } else {
    try {
      result = {
        where: `headless Chromium ${page.browserVersion}, WebGPU adapter ${page.adapter.vendor}/${page.adapter.architecture}`,
        softwareRenderer: page.adapter.architecture === 'swiftshader',
        note: 'SwiftShader renders on the CPU: counts are what a GPU would get, times are not GPU times',
        profile: await page.call('profile', { ...options, log: undefined }),
      };
    } finally {
      await page.close();
    }
  }
} else {
  const info = await selectBackend((flag('backend') ?? 'auto') as BackendPreference, log);
  result = { backendInfo: info, profile: await profileStep({ ...options, log }) };
}
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'profile-step',
      startedAt: startedAt.toISOString(),
      durationS: Number(((Date.now() - startedAt.getTime()) / 1000).toFixed(1)),
      machine: { ...machine, loadAverageAtEnd: os.loadavg().map((v) => Number(v.toFixed(2))) },
      ...result,
    },
    null,
    2,
  )}\n`,
);
