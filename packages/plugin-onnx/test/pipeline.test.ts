/**
 * The export stage end to end: data → model → train → evaluate → export with the tfjs and onnx
 * plugins on a small Fashion-MNIST ImageFolder tree, then the registered version served by the
 * ONNX runtime next to the tfjs runtime.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArtifactStore,
  ModelRegistry,
  Pipeline,
  Runtime,
  resolveUserConfig,
  silentLogger,
} from '@mlops/core';
import { tfjs } from '@mlops/plugin-tfjs';
import { describe, expect, it } from 'vitest';
import { onnx } from '../src/plugin.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';
import { writeSplit } from './helpers/exported.js';
import { fashionMnistSlice } from './helpers/fashion-mnist.js';

describe('export stage with onnx()', () => {
  it('exports fp32 + int8, records parity and quantization, registers both, and serves them', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlops-onnx-e2e-'));
    const images = join(root, 'images');
    await writeSplit(images, 'train', fashionMnistSlice(0, 60));
    await writeSplit(images, 'validation', fashionMnistSlice(6000, 20));
    await writeSplit(images, 'test', fashionMnistSlice(6100, 20));
    const { config } = await resolveUserConfig(
      {
        project: 'onnx-e2e',
        data: {
          source: 'imagefolder',
          path: images,
          splits: { train: 'train', validation: 'validation', test: 'test' },
        },
        model: { architecture: 'fast_cnn', inputSize: 28, inputChannels: 1 },
        train: { epochs: 1, batchSize: 32, backend: 'wasm', seed: 1 },
        evaluate: { split: 'test' },
        export: { formats: ['tfjs', 'onnx'], quantize: 'int8' },
        registry: { aliases: ['latest'] },
        // The gate under test is elsewhere; here a barely trained model must still yield int8.
        plugins: [tfjs({ backend: 'wasm', workers: 0 }), onnx({ maxAccuracyDrop: 100, parityImages: 100 })],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    const pipeline = await Pipeline.create({ config, logger: silentLogger });
    const result = await pipeline.run({ stages: ['export'] });

    const exports = result.outputs.export?.exports ?? [];
    expect(exports.map((e) => e.format)).toEqual(['tfjs', 'onnx', 'onnx-int8']);
    const fp32 = exports[1]?.details as Record<string, number | string>;
    expect(fp32.parityImages).toBe(100);
    expect(fp32.paritySplit).toBe('validation');
    expect(fp32.parityMaxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(fp32.parityTop1Agreement).toBe(1);
    const int8 = exports[2]?.details as Record<string, number | string>;
    expect(int8.accuracySplit).toBe('test');
    expect(int8.accuracyImages).toBe(200);
    expect(int8.sizeRatio).toBeLessThanOrEqual(0.3);

    // The numbers are in the run record (run.json) and in the tracked metrics (the report).
    type Recorded = { output?: { exports: { format: string; details: Record<string, unknown> }[] } };
    const record = JSON.parse(await readFile(join(result.dir, 'run.json'), 'utf8')) as {
      stages: Record<string, Recorded>;
    };
    const recorded = record.stages.export?.output?.exports.find((e) => e.format === 'onnx');
    expect(recorded?.details.parityMaxAbsDiff).toBe(fp32.parityMaxAbsDiff);
    const metrics = await readFile(join(result.dir, 'metrics.jsonl'), 'utf8');
    expect(metrics).toContain('export/onnx_parity_max_abs_diff');
    expect(metrics).toContain('export/onnx_int8_top1_drop_points');

    // Registered with both ONNX roles; the ONNX runtime outranks tfjs and agrees with it.
    const container = pipeline.container;
    const registry = container.resolve(ModelRegistry);
    const version = await registry.resolve('onnx-e2e', 'latest');
    expect(Object.keys(version.artifacts)).toEqual(expect.arrayContaining(['tfjs', 'onnx', 'onnx-int8']));
    const runtimes = container.resolveAll(Runtime).filter((r) => r.supports(version));
    const chosen = [...runtimes].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0))[0];
    expect(chosen?.name).toBe('onnx');
    const tfjsRuntime = runtimes.find((r) => r.name === 'tfjs') as Runtime;
    const image = {
      data: fashionMnistSlice(6200, 1).images.subarray(0, 784),
      width: 28,
      height: 28,
      channels: 1,
    };
    const onnxModel = await chosen?.load(version);
    const tfjsModel = await tfjsRuntime.load(version);
    expect([onnxModel?.runtime, tfjsModel.runtime]).toEqual(['onnx', 'tfjs']);
    const [a] = (await onnxModel?.predict([image], 10)) ?? [];
    const [b] = await tfjsModel.predict([image], 10);
    expect(a?.top.map((t) => t.label)[0]).toBe(b?.top[0]?.label);
    for (const t of a?.top ?? []) {
      expect(
        Math.abs(t.probability - (b?.top.find((u) => u.label === t.label)?.probability ?? -1)),
      ).toBeLessThan(1e-4);
    }
    const int8Model = await new OnnxRuntime({
      store: container.resolve(ArtifactStore),
      precision: 'int8',
    }).load(version);
    expect(int8Model.runtime).toBe('onnx-int8');
    expect((await int8Model.predict([image], 1))[0]?.top).toHaveLength(1);
  });
});
