import {
  type ImageInput,
  type LoadedModel,
  MlopsError,
  type ModelVersion,
  type Prediction,
} from '@mlops/core';
import { preprocessImage } from '@mlops/plugin-tfjs';
import type * as ort from 'onnxruntime-node';
import type { OnnxModelMetadata } from '../metadata.js';
import { checkImage, topIndices } from './check-image.js';
import { runBatch } from './session.js';

/** A registry version loaded into an onnxruntime session. */
export class OnnxLoadedModel implements LoadedModel {
  private session: ort.InferenceSession | undefined;
  /** Class labels in output order (from the file's metadata). */
  readonly labels: string[];
  /** `onnx` or `onnx-int8`: which file serves. */
  readonly runtime: string;

  constructor(
    readonly version: ModelVersion,
    /** The file's metadata (preprocessing, input shape, precision). */
    readonly metadata: OnnxModelMetadata,
    session: ort.InferenceSession,
  ) {
    this.session = session;
    this.labels = metadata.labels;
    this.runtime = metadata.precision === 'int8' ? 'onnx-int8' : 'onnx';
  }

  /** Probabilities of a preprocessed NHWC batch (at the pipeline's channels), `[n, classes]`. */
  async forward(x: Float32Array, n: number): Promise<Float32Array> {
    const session = this.session;
    if (!session) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `Model ${this.version.model} v${this.version.version} was disposed`,
      );
    }
    const [h, w, modelChannels] = this.metadata.inputShape;
    const { channels } = this.metadata.preprocessing;
    // A gray pipeline feeding an RGB graph: repeat the channel, as the tfjs runtime does.
    const input = modelChannels === channels ? x : repeatChannel(x, modelChannels);
    return runBatch(session, input, [n, h, w, modelChannels]);
  }

  async predict(images: ImageInput[], topK = 5): Promise<Prediction[]> {
    if (!Number.isInteger(topK) || topK < 1) {
      throw new MlopsError('MLOPS_ERR_USAGE', `topK must be a positive integer, got ${topK}`);
    }
    if (!this.session) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `Model ${this.version.model} v${this.version.version} was disposed`,
      );
    }
    if (images.length === 0) return [];
    images.forEach(checkImage);
    const pre = this.metadata.preprocessing;
    const length = pre.size * pre.size * pre.channels;
    const x = new Float32Array(images.length * length);
    images.forEach((image, i) => {
      preprocessImage(image, pre, x, i * length);
    });
    const probabilities = await this.forward(x, images.length);
    const classes = this.labels.length;
    const k = Math.min(topK, classes);
    return images.map((_, i) => {
      const row = probabilities.subarray(i * classes, (i + 1) * classes);
      return {
        top: topIndices(row, k).map((c) => ({
          label: this.labels[c] as string,
          probability: row[c] as number,
        })),
      };
    });
  }

  async dispose(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.release();
  }
}

function repeatChannel(x: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(x.length * channels);
  for (let i = 0; i < x.length; i++) out.fill(x[i] as number, i * channels, (i + 1) * channels);
  return out;
}
