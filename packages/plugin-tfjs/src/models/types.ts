import type { LayersModel } from '@tensorflow/tfjs-layers';

/**
 * Options every architecture builder accepts.
 *
 * The built model takes NHWC images of shape `[inputSize, inputSize, inputChannels]` and returns
 * **logits** of shape `[batch, numClasses]` — no softmax. The trainer applies softmax
 * cross-entropy (with label smoothing) on the logits, and the evaluator applies softmax itself.
 */
export interface ModelBuildOptions {
  /** Number of classes; the model emits this many logits. Integer ≥ 1. */
  numClasses: number;
  /** Height and width of the square input image in pixels. Integer ≥ 1. */
  inputSize: number;
  /**
   * Channels of the input image as given (1 = grayscale, 3 = RGB). Builders honour it as-is; a
   * pipeline that wants RGB weights on grayscale data repeats the channel itself.
   */
  inputChannels: number;
  /** Channel width multiplier (timm's `channel_multiplier`); default 1. Must be > 0. */
  widthMultiplier?: number;
  /** Dropout rate before the classifier, in [0, 1); default chosen per architecture. */
  dropout?: number;
  /**
   * Stochastic depth (timm's `drop_path_rate`, config `model.dropPath`), in [0, 1): the drop
   * probability of the residual branches rises linearly from 0 at the first block to this value
   * times `(blocks − 1) / blocks` at the last. Default 0 (no `DropPath` layers).
   */
  dropPath?: number;
  /** Seed for every weight initialiser: same seed and options ⇒ identical initial weights. */
  seed?: number;
}

/** Builds a fresh, uncompiled functional model for the given options. */
export type ArchitectureBuilder = (opts: ModelBuildOptions) => LayersModel;

/** Descriptive facts about an architecture that callers (trainer, fine-tuning) rely on. */
export interface ArchitectureInfo {
  /** One-line human description. */
  description: string;
  /**
   * Names of the layers that depend on the class count (the classifier). Fine-tuning with a new
   * class count re-initialises exactly these; see `transferWeights`.
   */
  headLayers: readonly string[];
  /** Input size the architecture was designed for (e.g. 224 for ImageNet models). */
  defaultInputSize: number;
  /** Channel count the architecture was designed for; the pipeline repeats grayscale to match. */
  preferredInputChannels: number;
  /**
   * Hugging Face Hub repo of timm's default pretrained weights (what timm's `pretrained=True`
   * loads), e.g. `timm/mobilenetv4_conv_small.e2400_r224_in1k`; absent when there are none.
   */
  pretrainedHubId?: string;
}

/** A registered architecture: its name, builder and (defaulted) info. */
export interface Architecture {
  /** Registry key, e.g. `mobilenetv4_conv_small`. */
  readonly name: string;
  /** Builder producing a fresh model. */
  readonly build: ArchitectureBuilder;
  /** Info with defaults filled in for fields the registrant left out. */
  readonly info: Readonly<ArchitectureInfo>;
}
