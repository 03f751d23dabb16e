/**
 * The fused WebGPU training kernels against the `cpu` backend (`checkFusedKernels`, and the
 * training BatchNorm kernels with `checkBatchNormKernels` under `batchNorm`): on the device
 * machine through Dawn (`--backend webgpu`, the default), or here in headless Chromium with
 * SwiftShader (`--browser`). Where no WebGPU adapter exists it prints `{ skipped }` and exits 0, or
 * 1 with `--require` (the device script passes it: there the adapter must exist).
 *
 *   npx jiti bench/gpu/fused-parity.bench.ts [--browser] [--require] [--train-steps 3]
 *
 * Prints one JSON object on stdout; exits 1 when a case fails.
 */
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../../packages/plugin-tfjs/src/backend/select-backend.js';
import {
  type BatchNormParityReport,
  checkBatchNormKernels,
} from '../../packages/plugin-tfjs/src/backend/webgpu/batch-norm-parity.js';
import {
  checkFusedKernels,
  type FusedParityReport,
} from '../../packages/plugin-tfjs/src/backend/webgpu/parity-check.js';
import { flag, hasFlag } from '../lib/flags.js';
import { openChromiumWebGpu } from './chromium-webgpu.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const trainSteps = Number(flag('train-steps', '3'));
let report: (FusedParityReport & { where: string; batchNorm: BatchNormParityReport }) | undefined;
let skipped: string | undefined;

if (hasFlag('browser')) {
  const page = await openChromiumWebGpu({ log });
  if ('unavailable' in page) skipped = page.unavailable;
  else {
    try {
      const where = `headless Chromium ${page.browserVersion}, adapter ${page.adapter.vendor}/${page.adapter.architecture}`;
      report = {
        where,
        ...(await page.call<FusedParityReport>('parity', { trainSteps })),
        batchNorm: await page.call<BatchNormParityReport>('batchNormParity', {}),
      };
    } finally {
      await page.close();
    }
  }
} else {
  try {
    const info = await selectBackend('webgpu', log);
    report = {
      where: `Node ${process.version}, ${info.reason}`,
      ...(await checkFusedKernels({ trainSteps, log })),
      batchNorm: await checkBatchNormKernels(),
    };
  } catch (err) {
    skipped = (err as Error).message;
  }
}
if (report) {
  process.stdout.write(`${JSON.stringify({ bench: 'fused-parity', ...report }, null, 2)}\n`);
  process.exitCode = report.ok && report.batchNorm.ok ? 0 : 1;
} else {
  process.stdout.write(`${JSON.stringify({ bench: 'fused-parity', skipped }, null, 2)}\n`);
  log(`fused-parity skipped: ${skipped}`);
  process.exitCode = hasFlag('require') ? 1 : 0;
}
