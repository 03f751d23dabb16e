/**
 * timm's flat YAML keys (the old system's `train.py` config) and where each lands in an mlops
 * config. A value may be converted on the way (e.g. `opt: momentum` → `sgd`).
 */
export interface TimmKeyMapping {
  /** Dotted mlops key path. */
  path: string;
  /** Converts the timm value. */
  convert?: (value: unknown) => unknown;
}

const optimizerNames: Record<string, string> = { adamw: 'adamw', adam: 'adam', sgd: 'sgd', momentum: 'sgd' };

/** timm key → mlops key. */
export const TIMM_KEYS: Readonly<Record<string, TimmKeyMapping>> = {
  model: { path: 'model.architecture' },
  opt: { path: 'train.optimizer', convert: (v) => (typeof v === 'string' ? (optimizerNames[v] ?? v) : v) },
  opt_betas: { path: 'train.betas' },
  weight_decay: { path: 'train.weightDecay' },
  momentum: { path: 'train.momentum' },
  lr: { path: 'train.lr' },
  lr_base: { path: 'train.lrBase' },
  lr_base_size: { path: 'train.lrBaseSize' },
  lr_base_scale: { path: 'train.lrBaseScale' },
  sched: { path: 'train.scheduler' },
  warmup_epochs: { path: 'train.warmupEpochs' },
  warmup_lr: { path: 'train.warmupLr' },
  min_lr: { path: 'train.minLr' },
  epochs: { path: 'train.epochs' },
  batch_size: { path: 'train.batchSize' },
  smoothing: { path: 'train.labelSmoothing' },
  drop: { path: 'model.dropout' },
  model_ema: { path: 'train.ema.enabled' },
  model_ema_decay: { path: 'train.ema.decay' },
  scale: { path: 'train.augment.scale' },
  ratio: { path: 'train.augment.ratio' },
  hflip: { path: 'train.augment.hflip' },
  vflip: { path: 'train.augment.vflip' },
  color_jitter: { path: 'train.augment.colorJitter' },
  grayscale_prob: { path: 'train.augment.grayscale' },
  gaussian_blur_prob: { path: 'train.augment.gaussianBlur' },
  reprob: { path: 'train.augment.randomErasing' },
  aa: { path: 'train.augment.randAugment' },
  seed: { path: 'train.seed' },
  eval_metric: { path: 'train.evalMetric' },
  checkpoint_hist: { path: 'train.checkpointHistory' },
  clip_grad: { path: 'train.gradClip' },
  img_size: { path: 'model.inputSize' },
  input_size: {
    path: 'model.inputSize',
    // timm writes `input_size: [3, 224, 224]`; channels are handled by `in_chans`.
    convert: (v) => (Array.isArray(v) ? v[v.length - 1] : v),
  },
  in_chans: { path: 'model.inputChannels' },
  initial_checkpoint: { path: 'model.initialCheckpoint' },
  pretrained: { path: 'model.pretrained' },
  // timm: "load this file instead of the hub weights when pretrained"; the same key here.
  pretrained_path: { path: 'model.initialCheckpoint' },
  drop_path: { path: 'model.dropPath' },
  layer_decay: { path: 'train.layerDecay' },
  crop_pct: { path: 'data.cropPct' },
  interpolation: { path: 'data.interpolation' },
  data_dir: { path: 'data.path' },
  train_split: { path: 'data.splits.train' },
  val_split: { path: 'data.splits.validation' },
  class_map: { path: 'data.classMap' },
  mean: { path: 'data.normalize.mean' },
  std: { path: 'data.normalize.std' },
};

/** The mlops config's own top-level keys; a key outside these and TIMM_KEYS is unknown. */
export const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set([
  'extends',
  'project',
  'store',
  'plugins',
  'data',
  'model',
  'train',
  'evaluate',
  'export',
  'registry',
  'serve',
]);
