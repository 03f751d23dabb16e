#!/usr/bin/env node
// Reads the JSON files run.sh wrote to a results folder and writes summary.json there: train img/s
// of mlops on webgpu and wasm (host CPU) and of PyTorch on the same card per input size, with the
// issue's ratios (webgpu / PyTorch, goal >= 0.25 at 224 px; webgpu / wasm, goal > 1 at every zoo
// size), the fused-kernel parity verdict, and the profile's per-step counts fused vs unfused.
// Plain Node, no dependencies: it runs on the device machine as it is.
//
//   node bench/gpu/summarize.mjs <results folder>
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.';
const read = (name) => {
  try {
    return JSON.parse(readFileSync(join(dir, name), 'utf8'));
  } catch (err) {
    return { missing: `${name}: ${err.message.split('\n')[0]}` };
  }
};
const trainBySize = (throughput) => {
  const out = {};
  for (const cell of throughput.cells ?? []) {
    if (cell.arch !== 'mobilenetv4_conv_small') continue;
    out[cell.inputSize] = cell.train?.imgPerSec ?? null;
  }
  return out;
};
const ratio = (a, b) =>
  typeof a === 'number' && typeof b === 'number' && b > 0 ? Number((a / b).toFixed(4)) : null;

const webgpuRun = read('throughput-webgpu.json');
const wasmRun = read('throughput-wasm-host-cpu.json');
const torchRun = read('torch-reference.json');
const parity = read('fused-parity.json');
const profile = read('profile-step-webgpu.json');

const webgpu = trainBySize(webgpuRun);
const wasm = trainBySize(wasmRun);
const torch = Object.fromEntries((torchRun.results ?? []).map((r) => [r.size, r.trainImgPerSec]));
const sizes = [...new Set([...Object.keys(webgpu), ...Object.keys(wasm), ...Object.keys(torch)])]
  .map(Number)
  .sort((a, b) => a - b);
const modes = profile.profile?.modes ?? {};
const perStep = (m) =>
  m && {
    msMedian: m.allRounds?.stepMsMedian ?? m.step.msMedian,
    imgPerSec: m.step.imgPerSec,
    kernels: m.step.kernels,
    dispatches: m.step.dispatches,
    bufferCreations: m.step.bufferCreations,
    uploads: m.step.uploads,
    readbacks: m.step.readbacks,
    copies: m.step.copies,
    submits: m.step.submits,
    phaseMs: Object.fromEntries(Object.entries(m.phases).map(([k, v]) => [k, v.msMedian])),
    phaseDispatches: Object.fromEntries(Object.entries(m.phases).map(([k, v]) => [k, v.dispatches])),
  };

const summary = {
  bench: 'gpu-summary',
  // run.sh's env.txt starts with nvidia-smi's CSV: a header, then "name, driver".
  card: (() => {
    try {
      return readFileSync(join(dir, 'env.txt'), 'utf8').split('\n')[1]?.trim() || null;
    } catch {
      return null;
    }
  })(),
  parity:
    parity.ok === undefined
      ? parity
      : {
          ok: parity.ok,
          where: parity.where,
          cases: parity.cases?.map((c) => [c.name, c.ok, c.maxRelativeError]),
          batchNorm: parity.batchNorm && {
            ok: parity.batchNorm.ok,
            cases: parity.batchNorm.cases.map((c) => [c.shape, c.ok, Math.max(...Object.values(c.errors))]),
          },
        },
  trainImgPerSec: Object.fromEntries(
    sizes.map((s) => [
      s,
      {
        webgpu: webgpu[s] ?? null,
        wasmHostCpu: wasm[s] ?? null,
        pytorch: torch[s] ?? null,
        webgpuOverPytorch: ratio(webgpu[s], torch[s]),
        webgpuOverWasm: ratio(webgpu[s], wasm[s]),
      },
    ]),
  ),
  pytorch: torchRun.results
    ? {
        framework: torchRun.framework,
        model: torchRun.model,
        device: torchRun.deviceName,
        precision: torchRun.precision,
      }
    : torchRun,
  goals: {
    'webgpu >= 0.25x PyTorch fp32 at 224 px':
      ratio(webgpu[224], torch[224]) === null ? null : ratio(webgpu[224], torch[224]) >= 0.25,
    'webgpu faster than the host CPU at every zoo size (32, 64)': [32, 64].every(
      (s) => webgpu[s] != null && wasm[s] != null,
    )
      ? [32, 64].every((s) => webgpu[s] > wasm[s])
      : null,
  },
  profileStep: profile.profile
    ? {
        settings: profile.profile.settings,
        fused: perStep(modes.fused),
        fusedWithoutBatchNorm: perStep(modes['fused-no-bn']),
        unfused: perStep(modes.unfused),
        ratios: profile.profile.ratios,
        batchNormRatios: profile.profile.batchNormRatios,
      }
    : profile,
};
const target = join(dir, 'summary.json');
writeFileSync(`${target}.tmp`, `${JSON.stringify(summary, null, 2)}\n`);
renameSync(`${target}.tmp`, target);
process.stdout.write(
  `${JSON.stringify({ trainImgPerSec: summary.trainImgPerSec, goals: summary.goals, parityOk: parity.ok })}\n`,
);
