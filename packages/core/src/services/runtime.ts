import type { InjectionToken } from 'tsyringe';
import type { ModelVersion } from './model-registry.js';

/** A decoded image ready for a model: HWC pixels 0–255. */
export interface ImageInput {
  /** Pixels, row-major HWC, values 0–255. */
  data: Uint8Array;
  /** Height. */
  height: number;
  /** Width. */
  width: number;
  /** Channels (1, 3 or 4). */
  channels: number;
}

/** Class probabilities of one input, sorted from most to least likely. */
export interface Prediction {
  /** Top classes with probabilities in [0, 1]. */
  top: { label: string; probability: number }[];
}

/** A model loaded for inference. */
export interface LoadedModel {
  /** The registry version it came from. */
  readonly version: ModelVersion;
  /** Class labels in output order. */
  readonly labels: string[];
  /** Name of the {@link Runtime} that loaded it (`onnx`, `onnx-int8`, `tfjs`), for responses and metrics. */
  readonly runtime?: string;
  /** Predicts a batch; `topK` defaults to 5. */
  predict(images: ImageInput[], topK?: number): Promise<Prediction[]>;
  /** Frees resources. */
  dispose(): Promise<void>;
}

/** Loads registry versions for inference (onnxruntime-node by default, tfjs as fallback). */
export interface Runtime {
  /** Runtime name, e.g. `onnx`, `tfjs`. */
  readonly name: string;
  /**
   * Preference when several runtimes support a version: higher wins, ties keep registration
   * order. Default 0; the ONNX runtime uses 10 so it serves whenever an `onnx` artifact exists.
   */
  readonly priority?: number;
  /** Whether this runtime can serve the version (it has an artifact in a format it reads). */
  supports(version: ModelVersion): boolean;
  /** Loads and warms up a version. */
  load(version: ModelVersion): Promise<LoadedModel>;
}

/** DI token under which runtimes are registered (the highest-priority one that supports a version wins). */
export const Runtime: InjectionToken<Runtime> = Symbol.for('mlops.Runtime');

/** Decodes image bytes (jpeg, png, webp, ...) into pixels for a {@link LoadedModel}. */
export interface ImageDecoder {
  /** Decodes; rejects with `MLOPS_ERR_DATA_CORRUPT_IMAGE` for bytes that are not a readable image. */
  decode(bytes: Uint8Array, mimeType?: string): Promise<ImageInput>;
}

/** DI token of the {@link ImageDecoder} (plugin-tfjs provides one built on sharp). */
export const ImageDecoder: InjectionToken<ImageDecoder> = Symbol.for('mlops.ImageDecoder');
