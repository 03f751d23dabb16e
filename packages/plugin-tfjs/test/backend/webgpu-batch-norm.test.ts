/**
 * The WebGPU training BatchNorm kernels (`src/backend/webgpu/batch-norm-kernels.ts`) against
 * tfjs-layers' composite on the `cpu` backend (`checkBatchNormKernels`: y, batch and moving
 * statistics, dx, dγ, dβ), in headless Chromium on SwiftShader's WebGPU adapter
 * (`bench/gpu/chromium-webgpu.ts`), and a small_cnn training step there taking them through the
 * layer hook. Skipped, with the reason, without Chromium or an adapter; `MLOPS_REQUIRE_WEBGPU=1`
 * makes that a failure.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ChromiumWebGpu,
  openChromiumWebGpu,
  type Unavailable,
} from '../../../../bench/gpu/chromium-webgpu.js';
import type { BatchNormParityReport } from '../../src/backend/webgpu/batch-norm-parity.js';
import type { FusedParityReport } from '../../src/backend/webgpu/parity-check.js';

const REQUIRED = process.env.MLOPS_REQUIRE_WEBGPU === '1';
let page: ChromiumWebGpu | Unavailable;

beforeAll(async () => {
  page = await openChromiumWebGpu();
}, 120_000);

afterAll(async () => {
  if (page && !('unavailable' in page)) await page.close();
});

function available(ctx: { skip: (note: string) => void }): page is ChromiumWebGpu {
  if (!('unavailable' in page)) return true;
  if (REQUIRED) expect.fail(`MLOPS_REQUIRE_WEBGPU=1 but ${page.unavailable}`);
  ctx.skip(`no WebGPU here: ${page.unavailable}`);
  return false;
}

it('training BatchNorm forward and gradient match the cpu composite on WebGPU', async (ctx) => {
  if (!available(ctx)) return;
  const report = await (page as ChromiumWebGpu).call<BatchNormParityReport>('batchNormParity', {});
  const failed = report.cases.filter((c) => !c.ok);
  expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
  expect(report.cases.map((c) => c.shape)).toEqual([
    [2, 5, 5, 1],
    [4, 6, 6, 8],
    [3, 4, 4, 100],
    [37, 24],
    [7, 30, 30, 8],
    [20001, 3],
  ]);
  expect(report.cases[0]!.kernels).toEqual({ MlopsBatchNormTrain: 2, MlopsBatchNormTrainGrad: 1 });
}, 300_000);

it('a small_cnn training step on WebGPU takes the BatchNorm kernels and matches cpu', async (ctx) => {
  if (!available(ctx)) return;
  const report = await (page as ChromiumWebGpu).call<FusedParityReport>('parity', { trainSteps: 2 });
  const train = report.cases.at(-1)!;
  expect(train.ok, JSON.stringify(train)).toBe(true);
  expect(train.fusedKernels.MlopsBatchNormTrain ?? 0).toBeGreaterThan(0);
  expect(train.fusedKernels.MlopsBatchNormTrainGrad ?? 0).toBeGreaterThan(0);
}, 300_000);
