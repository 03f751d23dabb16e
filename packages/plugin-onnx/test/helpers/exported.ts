import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng, FASHION_MNIST_LABELS } from '@mlops/plugin-tfjs';
import { type ExportedOnnx, exportOnnx } from '../../src/stage/export-onnx.js';
import { type OnnxExporterOptions, resolveExporterOptions } from '../../src/stage/exporter-options.js';
import type { NormalizedSample } from '../../src/stage/samples.js';
import { normalizeImages, type SmallSplit } from './fashion-mnist.js';
import { type TrainedFixture, trainedFastCnn } from './trained-model.js';

/** Fashion-MNIST's labels, in class order (plugin-tfjs's list, mutable where a `ModelVersion` wants one). */
export const LABELS: string[] = [...FASHION_MNIST_LABELS];

/** Writes a split as an ImageFolder tree `root/split/<label>/<i>.png` (a `/` in a label becomes `-`). */
export async function writeSplit(root: string, split: string, data: SmallSplit): Promise<void> {
  for (let i = 0; i < data.count; i++) {
    const label = LABELS[data.labels[i] as number] as string;
    const dir = join(root, split, label.replace('/', '-'));
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, `${i}.png`),
      encodePng(data.images.subarray(i * 784, (i + 1) * 784), 28, 28, 1),
    );
  }
}

/** A {@link NormalizedSample} of the first `limit` images of a split. */
export function sampleOf(split: SmallSplit, name: string, limit = split.count): NormalizedSample {
  const count = Math.min(limit, split.count);
  return {
    split: name,
    count,
    shape: [28, 28, 1],
    x: normalizeImages(split.images.subarray(0, count * 784)),
    labels: split.labels.subarray(0, count),
    normalize: { mean: [0.5], std: [0.5] },
  };
}

/** The trained fixture exported to fp32 and int8 ONNX, with the export's measurements. */
export async function exportedFixture(
  options: OnnxExporterOptions = {},
): Promise<{ fixture: TrainedFixture; results: ExportedOnnx[] }> {
  const fixture = await trainedFastCnn();
  const results = await exportOnnx({
    model: fixture.model,
    metadata: {
      labels: LABELS,
      preprocessing: { size: 28, channels: 1, mean: [0.5], std: [0.5], resize: 'cover', layout: 'NHWC' },
      modelName: 'fashion-mnist',
      modelVersion: 3,
      runId: 'run-test',
      architecture: 'fast_cnn',
    },
    parity: sampleOf(fixture.heldOut, 'validation', 300),
    calibration: sampleOf(fixture.train, 'train', 500),
    heldOut: sampleOf(fixture.heldOut, 'test'),
    options: resolveExporterOptions(options),
    quantize: true,
    warn: () => undefined,
  });
  return { fixture, results };
}
