import type { TrainConfig } from '@mlops/core';
import { MlopsError } from '@mlops/core';
import type * as tf from '@tensorflow/tfjs-core';
import { Adam, AdamW } from './adamw.js';
import type { ParameterLrScale, ParameterOptimizer, WeightDecayFilter } from './optimizer.js';
import { SgdMomentum } from './sgd.js';

/** The optimizer fields of core's `TrainConfig` (algorithm, Adam betas, weight decay, SGD momentum). */
export type OptimizerConfig = Pick<TrainConfig, 'optimizer' | 'betas' | 'weightDecay' | 'momentum'>;

/** Options of {@link createOptimizer} beyond the config. */
export interface CreateOptimizerOptions {
  /** Adam ε; default 1e-8. */
  eps?: number;
  /** Nesterov for SGD; default true (timm's `sgd`). */
  nesterov?: boolean;
  /** Which parameters are decayed; default rank > 1 (timm's rule). */
  decayFilter?: WeightDecayFilter;
  /** Per-parameter learning-rate multiplier (see `layerDecayScales`); default 1. */
  lrScale?: ParameterLrScale;
}

/**
 * Builds the optimizer `config` names over `params`, starting at `learningRate`. AdamW is the
 * default recipe (REFERENCE's `opt: adamw`); Adam and Nesterov SGD follow timm's `adam`/`sgd`.
 */
export function createOptimizer(
  config: OptimizerConfig,
  params: readonly tf.Variable[],
  learningRate: number,
  options: CreateOptimizerOptions = {},
): ParameterOptimizer {
  const common = {
    learningRate,
    weightDecay: config.weightDecay,
    decayFilter: options.decayFilter,
    lrScale: options.lrScale,
  };
  switch (config.optimizer) {
    case 'adamw':
      return new AdamW(params, { ...common, betas: config.betas, eps: options.eps });
    case 'adam':
      return new Adam(params, { ...common, betas: config.betas, eps: options.eps });
    case 'sgd':
      return new SgdMomentum(params, { ...common, momentum: config.momentum, nesterov: options.nesterov });
    default: {
      const unknown: never = config.optimizer;
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `Unknown optimizer '${String(unknown)}' (expected adamw, adam or sgd)`,
        { hint: 'Set train.optimizer to adamw, adam or sgd.' },
      );
    }
  }
}
