import { createHash } from 'node:crypto';
import { type ArtifactRef, type ArtifactStore, isMlopsError, type ModelVersion } from '@mlops/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMetadata } from '../src/metadata.js';
import { ElemType } from '../src/onnx/ir.js';
import { serializeModel } from '../src/onnx/serialize.js';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';
import { tfjsProbabilities } from '../src/stage/compare.js';
import type { ExportedOnnx } from '../src/stage/export-onnx.js';
import { exportedFixture, LABELS, sampleOf } from './helpers/exported.js';
import type { TrainedFixture } from './helpers/trained-model.js';

/** An in-memory store: just what the runtime reads. */
class MemoryStore {
  private readonly blobs = new Map<string, Uint8Array>();
  put(bytes: Uint8Array): ArtifactRef {
    const hash = createHash('sha256').update(bytes).digest('hex');
    this.blobs.set(hash, bytes);
    return { hash, kind: 'file', size: bytes.length };
  }
  async getBytes(ref: ArtifactRef): Promise<Buffer> {
    const bytes = this.blobs.get(ref.hash);
    if (!bytes) throw new Error(`missing ${ref.hash}`);
    return Buffer.from(bytes);
  }
  asStore(): ArtifactStore {
    return this as unknown as ArtifactStore;
  }
}

function version(artifacts: Record<string, ArtifactRef>, labels: string[] = LABELS): ModelVersion {
  return {
    model: 'fashion-mnist',
    version: 3,
    artifacts,
    metrics: {},
    lineage: {},
    metadata: { labels },
    createdAt: '2026-11-26T06:00:00Z',
    aliases: [],
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('OnnxRuntime', () => {
  const store = new MemoryStore();
  let fixture: TrainedFixture;
  let results: ExportedOnnx[];
  let both: ModelVersion;

  beforeAll(async () => {
    ({ fixture, results } = await exportedFixture());
    const refs = Object.fromEntries(results.map((r) => [r.format, store.put(r.bytes)]));
    both = version({ ...refs, tfjs: { hash: 'f'.repeat(64), kind: 'dir', size: 1 } });
  });

  it('supports versions with an onnx or onnx-int8 artifact, with priority 10', () => {
    const runtime = new OnnxRuntime({ store: store.asStore() });
    expect(runtime.priority).toBe(10);
    expect(runtime.supports(both)).toBe(true);
    expect(runtime.supports(version({ 'onnx-int8': both.artifacts['onnx-int8'] as ArtifactRef }))).toBe(true);
    expect(runtime.supports(version({ tfjs: both.artifacts.tfjs as ArtifactRef }))).toBe(false);
  });

  it('predicts decoded images with the model’s preprocessing, matching tfjs', async () => {
    const runtime = new OnnxRuntime({ store: store.asStore(), threads: { intraOp: 1 } });
    const loaded = await runtime.load(both);
    expect(loaded.labels).toEqual(LABELS);
    const n = 16;
    const images = Array.from({ length: n }, (_, i) => ({
      data: fixture.heldOut.images.slice(i * 784, (i + 1) * 784),
      width: 28,
      height: 28,
      channels: 1,
    }));
    const predictions = await loaded.predict(images, 3);
    const sample = sampleOf(fixture.heldOut, 'test', n);
    const reference = await tfjsProbabilities(fixture.model, sample.x, n, sample.shape);
    predictions.forEach((p, i) => {
      expect(p.top).toHaveLength(3);
      const row = reference.subarray(i * 10, (i + 1) * 10);
      for (const { label, probability } of p.top)
        expect(Math.abs(probability - (row[LABELS.indexOf(label)] as number))).toBeLessThan(1e-4);
      expect(p.top[0]?.probability).toBeGreaterThanOrEqual(p.top[1]?.probability ?? 0);
    });
    // An RGB image is converted to gray the way training does, and predicts like the gray one.
    const gray = images[0] as (typeof images)[number];
    const rgb = {
      ...gray,
      channels: 3,
      data: Uint8Array.from({ length: 784 * 3 }, (_, k) => gray.data[Math.floor(k / 3)] as number),
    };
    const [fromRgb] = await loaded.predict([rgb], 1);
    expect(fromRgb?.top[0]?.label).toBe(predictions[0]?.top[0]?.label);
    await loaded.dispose();
    expect(isMlopsError(await rejection(loaded.predict(images)), 'MLOPS_ERR_USAGE')).toBe(true);
  });

  it('serves the int8 model when asked, falling back to fp32', async () => {
    const int8 = await new OnnxRuntime({ store: store.asStore(), precision: 'int8' }).load(both);
    expect((int8 as unknown as { metadata: { precision: string } }).metadata.precision).toBe('int8');
    await int8.dispose();
    const fallback = await new OnnxRuntime({ store: store.asStore(), precision: 'int8' }).load(
      version({ onnx: both.artifacts.onnx as ArtifactRef }),
    );
    expect((fallback as unknown as { metadata: { precision: string } }).metadata.precision).toBe('fp32');
    await fallback.dispose();
  });

  it('rejects corrupt and mismatched files with STORE_CORRUPT naming the version', async () => {
    const runtime = new OnnxRuntime({ store: store.asStore() });
    const fp32 = results.find((r) => r.format === 'onnx')?.bytes as Uint8Array;
    const truncated = store.put(fp32.subarray(0, Math.floor(fp32.length / 2)));
    const garbage = store.put(new TextEncoder().encode('this is not a model'));
    for (const ref of [truncated, garbage]) {
      const error = await rejection(runtime.load(version({ onnx: ref })));
      expect(error.code).toBe('MLOPS_ERR_STORE_CORRUPT');
      expect(error.message).toContain('fashion-mnist v3 onnx');
    }
    const wrongLabels = await rejection(
      runtime.load(version({ onnx: both.artifacts.onnx as ArtifactRef }, ['cat', 'dog'])),
    );
    expect(wrongLabels.code).toBe('MLOPS_ERR_STORE_CORRUPT');
    expect(wrongLabels.message).toMatch(/labels/);
    // A valid graph whose output does not have one value per label.
    const tiny = serializeModel(
      {
        name: 'tiny',
        nodes: [
          {
            name: 'f',
            opType: 'Flatten',
            inputs: ['input'],
            outputs: ['probabilities'],
            attributes: { axis: { i: 1 } },
          },
        ],
        initializers: new Map(),
        inputs: [{ name: 'input', elemType: ElemType.FLOAT, shape: ['batch', 28, 28, 1] }],
        outputs: [{ name: 'probabilities', elemType: ElemType.FLOAT }],
        opset: 13,
        metadata: encodeMetadata({
          inputName: 'input',
          inputShape: [28, 28, 1],
          outputName: 'probabilities',
          labels: LABELS,
          preprocessing: { size: 28, channels: 1, mean: [0.5], std: [0.5], resize: 'cover', layout: 'NHWC' },
          modelName: 'x',
          modelVersion: 1,
          runId: 'r',
          architecture: 'none',
          precision: 'fp32',
        }),
      },
      '0',
    );
    const mismatched = await rejection(runtime.load(version({ onnx: store.put(tiny) })));
    expect(mismatched.code).toBe('MLOPS_ERR_STORE_CORRUPT');
    expect(mismatched.message).toMatch(/emits 784 values per image for 10 labels/);
  });
});
