/**
 * `export.budget` end to end on a tiny Fashion-MNIST model: real measurements of every format
 * (tfjs, fp32 ONNX, int8 ONNX), a budget that admits everything (smallest served), one whose
 * maxBytes lies between the int8 and fp32 sizes (int8 only), and one that refuses all (a coded
 * error with the numbers, nothing registered).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArtifactStore,
  type ExportBudgetConfig,
  type ExportOutput,
  isMlopsError,
  ModelRegistry,
  Pipeline,
  resolveUserConfig,
  silentLogger,
} from '@mlops/core';
import { tfjs } from '@mlops/plugin-tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { onnx } from '../src/plugin.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';
import { writeSplit } from './helpers/exported.js';
import { fashionMnistSlice } from './helpers/fashion-mnist.js';

let root: string;

/** A pipeline over the same store and data (training is cached after the first run). */
async function pipelineWith(budget: ExportBudgetConfig): Promise<Pipeline> {
  const { config } = await resolveUserConfig(
    {
      project: 'budget-e2e',
      data: {
        source: 'imagefolder',
        path: join(root, 'images'),
        splits: { train: 'train', validation: 'validation', test: 'test' },
      },
      model: { architecture: 'fast_cnn', inputSize: 28, inputChannels: 1 },
      train: { epochs: 1, batchSize: 32, backend: 'wasm', seed: 1 },
      evaluate: { split: 'test' },
      export: {
        formats: ['tfjs', 'onnx'],
        quantize: 'int8',
        budget: { latencyRuns: 5, latencyWarmup: 1, ...budget },
      },
      registry: { aliases: ['latest'] },
      // A barely trained model must still yield int8 (the int8 accuracy gate is tested elsewhere).
      plugins: [tfjs({ backend: 'wasm', workers: 0 }), onnx({ maxAccuracyDrop: 100, parityImages: 20 })],
    },
    { file: join(root, 'mlops.config.ts') },
  );
  return Pipeline.create({ config, logger: silentLogger });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlops-onnx-budget-'));
  const images = join(root, 'images');
  await writeSplit(images, 'train', fashionMnistSlice(0, 40));
  await writeSplit(images, 'validation', fashionMnistSlice(6000, 10));
  await writeSplit(images, 'test', fashionMnistSlice(6100, 10));
});

describe('export.budget', () => {
  it('measures every format, registers those inside, serves the smallest; int8 only when maxBytes lies between int8 and fp32; refuses all with the numbers', async () => {
    // 1. A budget everything meets, with latency estimated for a device profile.
    const generous = await pipelineWith({
      maxBytes: 100_000_000,
      maxLatencyMs: 100_000,
      minTop1: 0,
      device: 'raspberry-pi-4',
    });
    const first = await generous.run({ stages: ['export'] });
    const output = first.outputs.export as ExportOutput;
    const budget = output.budget;
    expect(budget?.formats.map((f) => [f.format, f.admitted])).toEqual([
      ['tfjs', true],
      ['onnx', true],
      ['onnx-int8', true],
    ]);
    const sizes = Object.fromEntries(budget?.formats.map((f) => [f.format, f.measured.bytes]) ?? []);
    for (const format of budget?.formats ?? []) {
      const m = format.measured;
      expect(m.bytes).toBe(output.exports.find((e) => e.format === format.format)?.artifact.size);
      expect(m.hostLatencyP50Ms).toBeGreaterThan(0);
      expect(m.latencyDevice).toBe('raspberry-pi-4');
      expect(m.latencyEstimated).toBe(true);
      expect(m.latencyRuns).toBe(5);
      expect(m.top1Split).toBe('test');
      expect(m.top1Images).toBe(100);
      expect(m.top1).toBeGreaterThanOrEqual(0);
      expect(m.top1).toBeLessThanOrEqual(1);
    }
    // The same factor scales every format's host latency to the device.
    const factors = budget?.formats.map(
      (f) => (f.measured.latencyP50Ms ?? 0) / (f.measured.hostLatencyP50Ms ?? 1),
    );
    expect(new Set(factors?.map((f) => f.toPrecision(6))).size).toBe(1);
    expect(sizes['onnx-int8']).toBeLessThan(sizes.onnx as number);
    expect(budget?.chosen).toBe('onnx-int8');

    // Registered with the measurements and the served format; the ONNX runtime serves int8.
    const registry = generous.container.resolve(ModelRegistry);
    const v1 = await registry.resolve('budget-e2e', { version: output.registered?.version as number });
    expect(Object.keys(v1.artifacts)).toEqual(expect.arrayContaining(['tfjs', 'onnx', 'onnx-int8']));
    expect(v1.metadata.servedFormat).toBe('onnx-int8');
    const exported = v1.metadata.exports as { format: string; measured?: { bytes: number } }[];
    expect(exported.map((e) => [e.format, e.measured?.bytes])).toEqual([
      ['tfjs', sizes.tfjs],
      ['onnx', sizes.onnx],
      ['onnx-int8', sizes['onnx-int8']],
    ]);
    const served = await new OnnxRuntime({ store: generous.container.resolve(ArtifactStore) }).load(v1);
    expect(served.runtime).toBe('onnx-int8');
    await served.dispose();

    // In the run record and the run's report.
    const record = JSON.parse(await readFile(join(first.dir, 'run.json'), 'utf8')) as {
      stages: Record<string, { output?: ExportOutput }>;
    };
    expect(record.stages.export?.output?.budget?.chosen).toBe('onnx-int8');
    const report = await readFile(join(first.dir, 'report.html'), 'utf8');
    expect(report).toContain('export/budget/served');
    expect(report).toContain('export/budget/onnx/bytes');
    expect(report).toContain('<h2>Export budget</h2>');
    expect(report).toMatch(/<code>onnx-int8<\/code>.*<span class="badge ok">served<\/span>/);

    // 2. maxBytes between the int8 and the fp32 sizes: int8 only.
    const between = Math.floor(((sizes['onnx-int8'] as number) + (sizes.onnx as number)) / 2);
    const tight = await pipelineWith({ maxBytes: between });
    const second = await tight.run({ stages: ['export'] });
    const tightOutput = second.outputs.export as ExportOutput;
    expect(tightOutput.exports.map((e) => e.format)).toEqual(['onnx-int8']);
    expect(tightOutput.budget?.chosen).toBe('onnx-int8');
    const fp32Verdict = tightOutput.budget?.formats.find((f) => f.format === 'onnx');
    expect(fp32Verdict?.violations).toEqual([
      expect.objectContaining({
        limit: 'maxBytes',
        allowed: between,
        measured: sizes.onnx,
        by: (sizes.onnx as number) - between,
      }),
    ]);
    const v2 = await registry.resolve('budget-e2e', { version: tightOutput.registered?.version as number });
    expect(Object.keys(v2.artifacts).filter((role) => role !== 'reference-stats')).toEqual(['onnx-int8']);

    // 3. Nothing fits: a coded error with every format's numbers; no new version.
    const versionsBefore = (await registry.listVersions('budget-e2e')).length;
    const refusing = await pipelineWith({ maxBytes: 1000 });
    const failure = await refusing.run({ stages: ['export'] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isMlopsError(failure, 'MLOPS_ONNX_ERR_BUDGET_UNMET')).toBe(true);
    const message = (failure as Error).message;
    expect(message).toContain('no exported format fits export.budget (maxBytes 1,000 bytes)');
    expect(message).toContain(
      `onnx-int8 (maxBytes: ${(sizes['onnx-int8'] as number).toLocaleString('en-US')} bytes > 1,000 bytes`,
    );
    expect((failure as { hint?: string }).hint).toContain(
      `raise export.budget.maxBytes to ${sizes['onnx-int8']}`,
    );
    expect((await registry.listVersions('budget-e2e')).length).toBe(versionsBefore);
  }, 180_000);
});
