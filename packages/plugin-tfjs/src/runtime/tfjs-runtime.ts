import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ArtifactRef,
  type ArtifactStore,
  type ImageInput,
  type InputPreprocessing,
  isMlopsError,
  type LoadedModel,
  MlopsError,
  type ModelVersion,
  type Prediction,
  pixelPreprocessing,
  type Runtime,
  resizeFieldsProblem,
} from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type BackendInfo, type BackendPreference, selectBackend } from '../backend/select-backend.js';
import { decodeNative } from '../data/decode.js';
import type { ChannelStats } from '../data/normalize.js';
import { DEFAULT_DECODE_MAX_PIXELS, ImageTooLargeError } from '../data/png/image-too-large-error.js';
import type { TfjsPreprocessing } from '../engine/tfjs-exporter.js';
import { tfjsErrors } from '../errors.js';
import { loadModel } from '../model-io/save-load.js';

/** Artifact role this runtime serves (written by `TfjsExporter`). */
export const TFJS_ARTIFACT = 'tfjs';

/** Options of {@link TfjsRuntime}. */
export interface TfjsRuntimeOptions {
  /** Where the versions' artifacts live. */
  store: ArtifactStore;
  /** tfjs backend, activated on the first load; default `auto`. */
  backend?: BackendPreference;
  /** Optional sink for backend selection messages. */
  log?: (message: string) => void;
}

/** Preprocessing of a loaded model, with mean/std expanded to one value per channel. */
type ResolvedPreprocessing = InputPreprocessing;

function corrupt(file: string, message: string, cause?: unknown): MlopsError {
  return new MlopsError('MLOPS_ERR_STORE_CORRUPT', `${file}: ${message}`, {
    file,
    hint: 'Re-export the model (mlops export) and register it again; the stored artifact is incomplete or damaged.',
    ...(cause === undefined ? {} : { cause }),
  });
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Reads and parses a JSON file of the artifact; STORE_CORRUPT naming the file when missing or invalid. */
async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) throw corrupt(file, 'missing from the tfjs artifact', error);
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw corrupt(file, `is not valid JSON (${(error as Error).message})`, error);
  }
}

function isNumberList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** Validates `preprocessing.json` and expands mean/std to one value per channel. */
function parsePreprocessing(file: string, raw: unknown): ResolvedPreprocessing {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw corrupt(file, 'is not a JSON object');
  }
  const p = raw as Partial<Record<keyof TfjsPreprocessing, unknown>>;
  if (typeof p.size !== 'number' || !Number.isInteger(p.size) || p.size < 1) {
    throw corrupt(file, `"size" must be a positive integer, got ${JSON.stringify(p.size)}`);
  }
  if (p.channels !== 1 && p.channels !== 3) {
    throw corrupt(file, `"channels" must be 1 or 3, got ${JSON.stringify(p.channels)}`);
  }
  const resizeProblem = resizeFieldsProblem(p);
  if (resizeProblem) throw corrupt(file, resizeProblem);
  const channels = p.channels;
  const expand = (name: 'mean' | 'std', value: unknown): number[] => {
    if (!isNumberList(value) || (value.length !== 1 && value.length !== channels)) {
      throw corrupt(file, `"${name}" must be 1 or ${channels} numbers, got ${JSON.stringify(value)}`);
    }
    return Array.from({ length: channels }, (_, c) => (value.length === 1 ? value[0] : value[c]) as number);
  };
  const mean = expand('mean', p.mean);
  const std = expand('std', p.std);
  if (std.some((s) => !(s > 0))) throw corrupt(file, `"std" must be positive, got [${std.join(', ')}]`);
  const resize =
    p.resize === 'timm'
      ? {
          resize: 'timm' as const,
          cropPct: p.cropPct as number,
          interpolation: p.interpolation as 'bilinear' | 'bicubic',
        }
      : { resize: 'cover' as const };
  return { size: p.size, channels, mean, std, ...resize };
}

function parseLabels(file: string, raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((l) => typeof l === 'string')) {
    throw corrupt(file, 'must be a non-empty JSON array of class names');
  }
  return raw as string[];
}

/** Last dimension of a symbolic shape, or undefined when not fixed. */
function lastDim(shape: readonly (number | null)[] | undefined): number | undefined {
  const value = shape?.[shape.length - 1];
  return typeof value === 'number' ? value : undefined;
}

/** Throws MLOPS_ERR_DATA_INVALID when `image` is not a well-formed HWC uint8 image. */
function checkImage(image: ImageInput, index: number): void {
  const { width, height, channels, data } = image;
  const fail = (why: string): never => {
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', `Image ${index}: ${why}`, {
      hint: 'Pass HWC uint8 pixels with 1, 3 or 4 channels (see decodeImageBytes).',
    });
  };
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    fail(`invalid size ${width}×${height}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) fail(`invalid channel count ${channels}`);
  if (!(data instanceof Uint8Array)) fail('data is not a Uint8Array');
  if (data.length !== width * height * channels) {
    fail(`has ${data.length} bytes, expected ${height}×${width}×${channels} = ${width * height * channels}`);
  }
}

/**
 * The pixels a model sees for `image`: the same preprocessing as training (channel conversion,
 * the resize recipe — central square by default, timm's resize + centre crop for models from timm
 * checkpoints — `/255`, mean/std), as `size`×`size`×`channels` floats written into `dst` at
 * `offset`. Images of any size are accepted. Core's one implementation
 * (`pixelPreprocessing.preprocess` of `@mlops/core`), which the web page runs in the browser too.
 */
export function preprocessImage(
  image: ImageInput,
  pre: { size: number; channels: 1 | 3 } & ChannelStats &
    Partial<Pick<InputPreprocessing, 'resize' | 'cropPct' | 'interpolation'>>,
  dst: Float32Array,
  offset: number,
): void {
  pixelPreprocessing.preprocess(image.data, image.width, image.height, image.channels, pre, dst, offset);
}

/** Indices of the `k` largest values, largest first (ties: lower index first). */
function topIndices(values: Float32Array, k: number): number[] {
  const order = Array.from(values.keys());
  order.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return order.slice(0, k);
}

class TfjsLoadedModel implements LoadedModel {
  /** See {@link LoadedModel.runtime}. */
  readonly runtime = 'tfjs';
  private model: LayersModel | undefined;
  private readonly numClasses: number;

  constructor(
    readonly version: ModelVersion,
    readonly labels: string[],
    readonly preprocessing: ResolvedPreprocessing,
    model: LayersModel,
    /** Channels of the model's input (the preprocessed gray is repeated when it takes 3). */
    private readonly modelChannels: number,
  ) {
    this.model = model;
    this.numClasses = labels.length;
  }

  /** Logits → probabilities of a preprocessed batch, `[n, numClasses]` row-major. */
  async forward(x: Float32Array, n: number): Promise<Float32Array> {
    const model = this.model;
    if (!model) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `Model ${this.version.model} v${this.version.version} was disposed`,
      );
    }
    const { size, channels } = this.preprocessing;
    const probs = tf.tidy(() => {
      const images = tf.tensor4d(x, [n, size, size, channels]);
      const input = this.modelChannels === channels ? images : tf.tile(images, [1, 1, 1, this.modelChannels]);
      const out = model.apply(input, { training: false });
      if (!(out instanceof tf.Tensor))
        throw tfjsErrors.create(
          'MLOPS_TFJS_ERR_MODEL_OUTPUT',
          'Model must have a single tensor output (the logits)',
        );
      return tf.softmax(out as tf.Tensor2D);
    });
    try {
      return (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
  }

  async predict(images: ImageInput[], topK = 5): Promise<Prediction[]> {
    if (!Number.isInteger(topK) || topK < 1) {
      throw new MlopsError('MLOPS_ERR_USAGE', `topK must be a positive integer, got ${topK}`);
    }
    if (!this.model) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `Model ${this.version.model} v${this.version.version} was disposed`,
      );
    }
    if (images.length === 0) return [];
    images.forEach(checkImage);
    const { size, channels } = this.preprocessing;
    const length = size * size * channels;
    const x = new Float32Array(images.length * length);
    images.forEach((image, i) => {
      preprocessImage(image, this.preprocessing, x, i * length);
    });
    const probabilities = await this.forward(x, images.length);
    const k = Math.min(topK, this.numClasses);
    return images.map((_, i) => {
      const row = probabilities.subarray(i * this.numClasses, (i + 1) * this.numClasses);
      return {
        top: topIndices(row, k).map((c) => ({
          label: this.labels[c] as string,
          probability: row[c] as number,
        })),
      };
    });
  }

  async dispose(): Promise<void> {
    this.model?.dispose();
    this.model = undefined;
  }
}

/**
 * Serves registry versions that have a `tfjs` artifact (the `TfjsExporter` output: `model/`,
 * `labels.json`, `preprocessing.json`) with TensorFlow.js. Predictions use the training pipeline's
 * preprocessing and one batched forward pass in inference mode.
 */
export class TfjsRuntime implements Runtime {
  readonly name = 'tfjs';
  private backend: Promise<BackendInfo> | undefined;

  constructor(private readonly options: TfjsRuntimeOptions) {}

  supports(version: ModelVersion): boolean {
    return version.artifacts[TFJS_ARTIFACT] !== undefined;
  }

  /** Activates the backend once per runtime. */
  private ensureBackend(): Promise<BackendInfo> {
    if (!this.backend) {
      this.backend = selectBackend(this.options.backend ?? 'auto', this.options.log);
      this.backend.catch(() => {
        this.backend = undefined;
      });
    }
    return this.backend;
  }

  async load(version: ModelVersion): Promise<LoadedModel> {
    const ref: ArtifactRef | undefined = version.artifacts[TFJS_ARTIFACT];
    if (!ref) {
      throw tfjsErrors.create(
        'MLOPS_TFJS_ERR_NO_ARTIFACT',
        `Model ${version.model} v${version.version} has no '${TFJS_ARTIFACT}' artifact`,
      );
    }
    await this.ensureBackend();
    const root = await this.options.store.localPath(ref);
    const labelsFile = join(root, 'labels.json');
    const preprocessingFile = join(root, 'preprocessing.json');
    const labels = parseLabels(labelsFile, await readJson(labelsFile));
    const preprocessing = parsePreprocessing(preprocessingFile, await readJson(preprocessingFile));
    const modelDir = join(root, 'model');
    let model: LayersModel;
    try {
      model = await loadModel(modelDir);
    } catch (error) {
      if (isMlopsError(error)) throw error;
      throw corrupt(modelDir, `cannot load the model (${(error as Error).message})`, error);
    }
    try {
      const inputShape = model.inputs[0]?.shape;
      const modelChannels = lastDim(inputShape) ?? preprocessing.channels;
      if (
        modelChannels !== preprocessing.channels &&
        !(preprocessing.channels === 1 && modelChannels === 3)
      ) {
        throw corrupt(
          preprocessingFile,
          `has ${preprocessing.channels} channel(s), the model takes ${modelChannels}`,
        );
      }
      for (const dim of [inputShape?.[1], inputShape?.[2]]) {
        if (typeof dim === 'number' && dim !== preprocessing.size) {
          throw corrupt(preprocessingFile, `has size ${preprocessing.size}, the model takes ${dim}`);
        }
      }
      const outputs = lastDim(model.outputs[0]?.shape);
      if (outputs !== undefined && outputs !== labels.length) {
        throw corrupt(labelsFile, `lists ${labels.length} classes, the model emits ${outputs}`);
      }
      const loaded = new TfjsLoadedModel(version, labels, preprocessing, model, modelChannels);
      // Warm-up: one zero image through the whole graph (kernels compiled, weights uploaded).
      const { size, channels } = preprocessing;
      await loaded.forward(new Float32Array(size * size * channels), 1);
      return loaded;
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
}

/** Options of {@link decodeImageBytes}. */
export interface DecodeImageBytesOptions {
  /**
   * Largest `width * height` accepted (sharp's `limitInputPixels`; PNG headers are checked before
   * any allocation). Default {@link DEFAULT_DECODE_MAX_PIXELS} (40 M), like the server's `maxPixels`.
   */
  maxPixels?: number;
}

/**
 * Decodes an encoded image (PNG, JPEG, WebP, ...) to native HWC uint8 pixels for
 * {@link LoadedModel.predict} (1, 3 or 4 channels; `predict` drops alpha as training does). Throws
 * `MLOPS_ERR_DATA_CORRUPT_IMAGE` when the bytes are not a decodable image or the image has more
 * than `maxPixels` pixels (checked before the pixels are allocated).
 */
export async function decodeImageBytes(
  bytes: Uint8Array,
  options: DecodeImageBytesOptions = {},
): Promise<ImageInput> {
  const maxPixels = options.maxPixels ?? DEFAULT_DECODE_MAX_PIXELS;
  let native: Awaited<ReturnType<typeof decodeNative>>;
  try {
    if (bytes.length === 0) throw new Error('empty input');
    native = await decodeNative(bytes, { maxPixels });
  } catch (error) {
    if (error instanceof ImageTooLargeError) {
      throw new MlopsError('MLOPS_ERR_DATA_CORRUPT_IMAGE', `Cannot decode image: ${error.message}`, {
        hint: `Downscale the image below ${maxPixels} pixels, or raise the limit: tfjs({ maxPixels }).`,
        cause: error,
      });
    }
    throw new MlopsError(
      'MLOPS_ERR_DATA_CORRUPT_IMAGE',
      `Cannot decode image (${bytes.length} bytes): ${(error as Error)?.message ?? String(error)}`,
      { hint: 'Send a PNG, JPEG, WebP, GIF, TIFF or AVIF image.', cause: error },
    );
  }
  const { width, height } = native;
  if (native.channels === 2) {
    // Gray + alpha from the PNG fast path: keep the gray.
    return {
      width,
      height,
      channels: 1,
      data: pixelPreprocessing.convertChannels(native.data, width * height, 2, 1),
    };
  }
  return { width, height, channels: native.channels, data: native.data };
}
