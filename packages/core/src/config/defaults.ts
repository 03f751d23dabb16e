import type { ResolvedConfig } from './types.js';

/** Config values used where the user's files say nothing. */
export type ConfigDefaults = Omit<ResolvedConfig, 'root' | 'sources' | 'plugins' | 'project'>;

/**
 * Defaults: a small, fast CNN on Fashion-MNIST that trains on a 2-core CPU in minutes. Training
 * values follow the old system's timm recipe where it makes sense at this scale.
 */
export function configDefaults(): ConfigDefaults {
  return {
    store: { path: '.mlops' },
    data: {
      source: 'fashion-mnist',
      splits: { train: 'train', validation: 'validation', test: 'test' },
      validationFraction: 0.1,
      onCorrupt: 'skip',
    },
    model: {
      architecture: 'small_cnn',
      inputSize: 28,
      inputChannels: 1,
      widthMultiplier: 1,
      dropout: 0.25,
    },
    train: {
      epochs: 10,
      batchSize: 128,
      lrBase: 0.01,
      lrBaseSize: 4096,
      optimizer: 'adamw',
      betas: [0.9, 0.999],
      weightDecay: 0.05,
      momentum: 0.9,
      scheduler: 'cosine',
      schedOnUpdates: false,
      warmupEpochs: 1,
      warmupLr: 1e-5,
      minLr: 0,
      labelSmoothing: 0.1,
      ema: { enabled: false, decay: 0.999 },
      gradClip: 0,
      seed: 42,
      earlyStopping: { patience: 0, metric: 'top1', mode: 'max' },
      evalMetric: 'top1',
      checkpointHistory: 3,
      augment: {
        scale: false,
        ratio: [0.75, 4 / 3],
        hflip: 0.5,
        vflip: 0,
        colorJitter: 0,
        grayscale: 0,
        gaussianBlur: 0,
        randomErasing: 0,
      },
      backend: 'auto',
    },
    evaluate: { split: 'test', topK: 5 },
    export: { formats: ['tfjs'], quantize: false },
    registry: { model: '', aliases: ['latest'] },
    serve: { port: 8000, host: '127.0.0.1' },
  };
}
