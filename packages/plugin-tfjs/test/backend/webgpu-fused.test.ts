/**
 * The fused WebGPU training kernels (`src/backend/webgpu/`) against tfjs's `cpu` backend, on a real
 * WebGPU implementation: headless Chromium with SwiftShader's adapter (`bench/gpu/chromium-webgpu.ts`).
 * Dawn for Node finds no adapter on a machine without a GPU, Chromium does. The check itself is
 * `checkFusedKernels` (AdamW with decay exclusions, per-parameter steps and lr scales; global norm;
 * clipping; EMA with a frozen weight — each also split across groups with 2-D/3-D grids; and three
 * small_cnn training steps with clipping and an EMA).
 *
 * Skipped, with the reason, where there is no Chromium or no WebGPU adapter; `MLOPS_REQUIRE_WEBGPU=1`
 * makes that a failure (the device machine runs the same check with Dawn: bench/gpu/fused-parity).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ChromiumWebGpu,
  openChromiumWebGpu,
  type Unavailable,
} from '../../../../bench/gpu/chromium-webgpu.js';
import type { FusedParityReport } from '../../src/backend/webgpu/parity-check.js';

const REQUIRED = process.env.MLOPS_REQUIRE_WEBGPU === '1';
let page: ChromiumWebGpu | Unavailable;

beforeAll(async () => {
  page = await openChromiumWebGpu();
}, 120_000);

afterAll(async () => {
  if (page && !('unavailable' in page)) await page.close();
});

it('fused AdamW, norm, clipping and EMA kernels match the cpu backend on WebGPU', async (ctx) => {
  if ('unavailable' in page) {
    if (REQUIRED) expect.fail(`MLOPS_REQUIRE_WEBGPU=1 but ${page.unavailable}`);
    ctx.skip(`no WebGPU here: ${page.unavailable}`);
    return;
  }
  const report = await page.call<FusedParityReport>('parity', { trainSteps: 3 });
  const failed = report.cases.filter((c) => !c.ok);
  expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
  expect(report.cases.length).toBe(7);
  // The optimizer cases are exact: the kernel performs the composite's float32 operations in order.
  expect(report.cases[0]!.maxRelativeError).toBeLessThan(1e-6);
  expect(report.cases.at(-1)!.fusedKernels).toMatchObject({
    MlopsAdamWUpdate: 3,
    MlopsClipByGlobalNorm: 3,
    MlopsEmaUpdate: 3,
  });
}, 300_000);
