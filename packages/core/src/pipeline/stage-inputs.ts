import type { ResolvedConfig } from '../config/types.js';
import type { StageName } from './stage-outputs.js';

/**
 * The slice of the config each stage depends on: part of its cache key, so changing `train.lr`
 * reruns train and everything after it, while data and model stay cached.
 */
export function stageConfigSlice(stage: StageName, config: ResolvedConfig): unknown {
  switch (stage) {
    case 'data':
      return config.data;
    case 'model':
      // Initial weights depend on the seed.
      return { model: config.model, seed: config.train.seed };
    case 'train':
      return config.train;
    case 'evaluate':
      return config.evaluate;
    case 'export':
      return { export: config.export, registry: config.registry, model: config.model };
    case 'serve':
      return config.serve;
  }
}

/** Stages whose output is never reused from the cache. */
export const UNCACHED_STAGES: ReadonlySet<StageName> = new Set<StageName>(['serve']);
