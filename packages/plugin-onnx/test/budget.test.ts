/**
 * The export budget's decision as a pure function: measured formats and a budget in, the verdict
 * of each format, the one served and the explanation out.
 */
import {
  type ArtifactStore,
  type ModelVersion,
  Pipeline,
  resolveUserConfig,
  silentLogger,
} from '@mlops/core';
import { tfjs } from '@mlops/plugin-tfjs';
import { describe, expect, it } from 'vitest';
import { onnx } from '../src/plugin.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';
import { budgetViolations, decideBudget, type MeasuredFormat, whatToChange } from '../src/stage/budget.js';
import { median } from '../src/stage/budget-measure.js';
import {
  DEVICE_PROFILES,
  deviceProfile,
  deviceReferenceMs,
  referenceOpMixMacs,
  SUSTAINED_FRACTION,
} from '../src/stage/device-profiles.js';

const tfjsFormat: MeasuredFormat = {
  format: 'tfjs',
  measured: { bytes: 420_000, latencyP50Ms: 3.1, latencyDevice: 'host', top1: 0.9, top1Split: 'test' },
};
const fp32: MeasuredFormat = {
  format: 'onnx',
  measured: { bytes: 412_345, latencyP50Ms: 0.8, latencyDevice: 'host', top1: 0.9, top1Split: 'test' },
};
const int8: MeasuredFormat = {
  format: 'onnx-int8',
  measured: { bytes: 104_321, latencyP50Ms: 0.5, latencyDevice: 'host', top1: 0.88, top1Split: 'test' },
};
const all = [tfjsFormat, fp32, int8];

describe('decideBudget', () => {
  it('serves the smallest format inside every limit and registers every format that fits', () => {
    const outcome = decideBudget(all, { maxBytes: 500_000, maxLatencyMs: 5, minTop1: 0.85 });
    expect(outcome.chosen).toBe('onnx-int8');
    expect(outcome.formats.map((f) => [f.format, f.admitted])).toEqual([
      ['tfjs', true],
      ['onnx', true],
      ['onnx-int8', true],
    ]);
    expect(outcome.limits).toEqual({ maxBytes: 500_000, maxLatencyMs: 5, minTop1: 0.85 });
    expect(outcome.explanation).toContain('onnx-int8 is served: the smallest format inside export.budget');
    expect(outcome.explanation).toContain('Also registered: onnx, tfjs.');
  });

  it('admits int8 only when maxBytes lies between the int8 and fp32 sizes, saying by how much the others broke it', () => {
    const outcome = decideBudget(all, { maxBytes: 300_000 });
    expect(outcome.chosen).toBe('onnx-int8');
    expect(outcome.formats.filter((f) => f.admitted).map((f) => f.format)).toEqual(['onnx-int8']);
    const onnx = outcome.formats.find((f) => f.format === 'onnx');
    expect(onnx?.violations).toEqual([
      {
        limit: 'maxBytes',
        allowed: 300_000,
        measured: 412_345,
        by: 112_345,
        text: 'maxBytes: 412,345 bytes > 300,000 bytes by 112,345 bytes (37.4%)',
      },
    ]);
    expect(outcome.explanation).toContain('Not registered: tfjs (maxBytes: 420,000 bytes > 300,000 bytes');
  });

  it('lets accuracy exclude int8 and then serves the smallest of the rest', () => {
    const outcome = decideBudget(all, { minTop1: 0.89 });
    expect(outcome.chosen).toBe('onnx');
    const refused = outcome.formats.find((f) => f.format === 'onnx-int8');
    expect(refused?.violations[0]?.text).toBe('minTop1: top-1 88.00% on test < 89.00% by 1.00 points');
  });

  it('breaks size ties by latency, then by export order', () => {
    const a: MeasuredFormat = { format: 'a', measured: { bytes: 10, latencyP50Ms: 2 } };
    const b: MeasuredFormat = { format: 'b', measured: { bytes: 10, latencyP50Ms: 1 } };
    const c: MeasuredFormat = { format: 'c', measured: { bytes: 10, latencyP50Ms: 1 } };
    expect(decideBudget([a, b, c], { maxBytes: 10 }).chosen).toBe('b');
  });

  it('refuses everything with each limit broken, by how much, and what to change', () => {
    const outcome = decideBudget(all, { maxBytes: 100_000, maxLatencyMs: 0.6 });
    expect(outcome.chosen).toBeUndefined();
    expect(outcome.formats.every((f) => !f.admitted)).toBe(true);
    expect(outcome.formats.find((f) => f.format === 'tfjs')?.violations.map((v) => v.limit)).toEqual([
      'maxBytes',
      'maxLatencyMs',
    ]);
    expect(outcome.explanation).toMatch(
      /^no exported format fits export\.budget \(maxBytes 100,000 bytes, maxLatencyMs 0\.60 ms\)/,
    );
    expect(outcome.explanation).toContain('maxLatencyMs: p50 3.10 ms on this machine > 0.60 ms by 2.50 ms');
    // int8 is the closest (4.3% over in size only): the fix names its numbers.
    expect(outcome.explanation).toContain(
      'Closest: onnx-int8; to register it, raise export.budget.maxBytes to 104321',
    );
    expect(outcome.explanation).toContain('a smaller model');
  });

  it('counts a limit that cannot be measured as broken, and says so', () => {
    const other: MeasuredFormat = {
      format: 'savedmodel',
      measured: { bytes: 50, unmeasured: ['latency: no runtime here runs format "savedmodel"'] },
    };
    const [violation] = budgetViolations(other, { maxLatencyMs: 10 });
    expect(violation?.text).toBe(
      'maxLatencyMs: latency not measured (no runtime here runs format "savedmodel")',
    );
    const outcome = decideBudget([other], { maxLatencyMs: 10 });
    expect(outcome.chosen).toBeUndefined();
    expect(whatToChange(outcome.formats, { maxLatencyMs: 10 })).toContain(
      'remove export.budget.maxLatencyMs (it cannot be measured for savedmodel)',
    );
  });

  it('suggests int8 when it was not exported and size is the problem', () => {
    const outcome = decideBudget([tfjsFormat, fp32], { maxBytes: 200_000 });
    expect(outcome.explanation).toContain("export.quantize: 'int8'");
  });

  it('names the device in latency violations estimated for a profile', () => {
    const estimated: MeasuredFormat = {
      format: 'onnx',
      measured: { bytes: 1, latencyP50Ms: 12, latencyDevice: 'raspberry-pi-4', latencyEstimated: true },
    };
    const outcome = decideBudget([estimated], { maxLatencyMs: 10, device: 'raspberry-pi-4' });
    expect(outcome.formats[0]?.violations[0]?.text).toBe(
      'maxLatencyMs: p50 12.0 ms estimated for raspberry-pi-4 > 10.0 ms by 2.00 ms (20.0%)',
    );
    expect(outcome.explanation).toContain('a faster device than raspberry-pi-4');
  });
});

describe('device profiles', () => {
  it('derive the sustained rate from the peak and the documented fraction', () => {
    const pi4 = DEVICE_PROFILES['raspberry-pi-4'];
    expect(pi4?.peakGmacs).toBe(24);
    expect(pi4?.sustainedGmacs).toBeCloseTo(24 * SUSTAINED_FRACTION);
    // The reference op mix's multiply-adds over the sustained rate.
    expect(deviceReferenceMs(pi4 as NonNullable<typeof pi4>)).toBeCloseTo(
      referenceOpMixMacs() / (24 * SUSTAINED_FRACTION * 1e6),
    );
    // Stem 112²·27·16, then per block depthwise size²·9·Cin + pointwise size²·Cin·Cout (sizes
    // 112, 56, 28, 28), and the 128×10 classifier.
    expect(referenceOpMixMacs()).toBe(41_597_184);
  });

  it('reject an unknown name with the known ones, as a config error', () => {
    expect(() => deviceProfile('raspberry-pi', '/p/mlops.config.ts')).toThrow(
      expect.objectContaining({
        code: 'MLOPS_ERR_CONFIG_INVALID',
        message: expect.stringContaining(
          '/p/mlops.config.ts: export.budget.device: unknown device profile "raspberry-pi"',
        ),
      }),
    );
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});

describe('the served format of a budgeted version', () => {
  const version = (servedFormat?: string): ModelVersion => ({
    model: 'edge',
    version: 1,
    artifacts: {
      tfjs: { hash: 'a'.repeat(64), kind: 'dir', size: 3 },
      onnx: { hash: 'b'.repeat(64), kind: 'file', size: 2 },
    },
    metrics: {},
    lineage: {},
    metadata: servedFormat ? { servedFormat } : {},
    createdAt: '2026-01-01T00:00:00Z',
    aliases: [],
  });
  const store = {} as ArtifactStore;

  it('leaves a version whose served format is not ONNX to its own runtime, unless serve is set', () => {
    expect(new OnnxRuntime({ store }).supports(version())).toBe(true);
    expect(new OnnxRuntime({ store }).supports(version('onnx'))).toBe(true);
    expect(new OnnxRuntime({ store }).supports(version('tfjs'))).toBe(false);
    expect(new OnnxRuntime({ store, precision: 'fp32' }).supports(version('tfjs'))).toBe(true);
  });
});

describe('an unknown device profile', () => {
  it('fails when the pipeline is created, before any stage runs', async () => {
    const { config } = await resolveUserConfig(
      {
        project: 'edge',
        export: { formats: ['onnx'], budget: { maxLatencyMs: 5, device: 'raspbery-pi-4' } },
        plugins: [tfjs({ backend: 'cpu' }), onnx()],
      },
      { file: '/nowhere/mlops.config.ts' },
    );
    await expect(Pipeline.create({ config, logger: silentLogger })).rejects.toMatchObject({
      code: 'MLOPS_ERR_CONFIG_INVALID',
      message: expect.stringContaining('export.budget.device: unknown device profile "raspbery-pi-4"'),
      hint: expect.stringContaining('"raspberry-pi-4"'),
    });
  });
});
