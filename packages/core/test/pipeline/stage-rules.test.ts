import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { resolveUserConfig } from '../../src/config/load-config.js';
import type { ResolvedConfig, UserConfig } from '../../src/config/types.js';
import { createLifecycleHooks } from '../../src/hooks/lifecycle-hooks.js';
import type { StageContext } from '../../src/pipeline/stage-context.js';
import { callStageHook, setStageOutput } from '../../src/pipeline/stage-hook.js';
import {
  type DataOutput,
  type EvaluateOutput,
  STAGES,
  type StageOutputs,
  type TrainOutput,
} from '../../src/pipeline/stage-outputs.js';
import {
  PROVIDER_HINTS,
  STAGE_RULES,
  stageConfigSlice,
  stageRule,
  UNCACHED_STAGES,
} from '../../src/pipeline/stage-rules.js';

async function configOf(user: UserConfig = {}): Promise<ResolvedConfig> {
  const { config } = await resolveUserConfig(user, { file: join(tmpdir(), 'mlops.config.ts') });
  return config;
}

const ref = { hash: 'a'.repeat(64), kind: 'file' as const, size: 1 };
const data = (splits: Record<string, number>): DataOutput => ({
  dataset: { ...ref, kind: 'dir' },
  version: 'v1',
  classes: ['cat', 'dog'],
  splits,
  counts: {},
  skipped: [],
});
const train: TrainOutput = {
  model: ref,
  history: ref,
  epochs: 1,
  bestEpoch: 1,
  metrics: {},
  backend: 'wasm',
  imagesPerSecond: 1,
};
const evaluation = (split: string): EvaluateOutput => ({
  split,
  metrics: {},
  confusionMatrix: [],
  classes: [],
  roc: [],
});

describe('STAGE_RULES', () => {
  it('has a rule for every stage', () => {
    expect(Object.keys(STAGE_RULES).sort()).toEqual([...STAGES].sort());
  });

  it('keys each stage on its own config slice: a train setting changes train alone', async () => {
    const before = await configOf();
    const after = await configOf({ train: { lr: 0.123 } });
    const changed = STAGES.filter(
      (stage) =>
        JSON.stringify(stageConfigSlice(stage, before)) !== JSON.stringify(stageConfigSlice(stage, after)),
    );
    expect(changed).toEqual(['train']);
    // Initial weights depend on the seed: the model stage is keyed on it.
    const seeded = await configOf({ train: { seed: 7 } });
    expect(stageRule('model').configSlice(seeded)).toMatchObject({ seed: 7 });
  });

  it('caches by inputs, except data (by the data version it finds) and serve (never)', () => {
    expect(STAGES.map((stage) => `${stage}:${STAGE_RULES[stage].cache.by}`)).toEqual([
      'data:output',
      'model:inputs',
      'train:inputs',
      'evaluate:inputs',
      'export:inputs',
      'serve:never',
    ]);
    const dataCache = stageRule('data').cache;
    expect(dataCache.by === 'output' && dataCache.key(data({}))).toEqual({ version: 'v1' });
    expect([...UNCACHED_STAGES]).toEqual(['serve']);
  });

  it('says which run fields a stage output sets', () => {
    expect(stageRule('data').runFields?.(data({}))).toEqual({ dataVersion: 'v1' });
    expect(stageRule('train').runFields?.(train)).toEqual({ backend: 'wasm' });
    expect(stageRule('train').epochHistory?.(train)).toBe(ref);
    expect(STAGES.filter((stage) => STAGE_RULES[stage].runFields)).toEqual(['data', 'train']);
  });

  it('clamps the training batch to the training set, and says so', async () => {
    const config = await configOf({ train: { batchSize: 32, epochs: 1 } });
    const clamped = stageRule('train').adjustConfig?.(config, { data: data({ train: 10 }) });
    expect(clamped?.config.train.batchSize).toBe(10);
    expect(clamped?.notes).toEqual([
      'train.batchSize 32 is larger than the training set (10 images): clamped to 10, one batch per epoch; the learning rate is scaled from train.lrBase for a batch of 10',
    ]);
    const fits = stageRule('train').adjustConfig?.(config, { data: data({ train: 100 }) });
    expect(fits).toEqual({ config, notes: [] });
    expect(STAGES.filter((stage) => STAGE_RULES[stage].adjustConfig)).toEqual(['train']);
  });

  it('notes an evaluation on another split than the configured one', async () => {
    const config = await configOf({ evaluate: { split: 'test' } });
    const notes = stageRule('evaluate').outputNotes;
    expect(notes?.(evaluation('test'), config)).toEqual([]);
    expect(notes?.(evaluation('validation'), config)).toEqual([
      'the data has no "test" split: evaluated on the validation split (metrics validation/*)',
    ]);
  });

  it('names what provides each stage, and a hint for when nothing did', () => {
    expect(STAGES.map((stage) => STAGE_RULES[stage].provider)).toEqual([
      'data-source',
      'engine',
      'engine',
      'engine',
      'exporter',
      'server',
    ]);
    expect(PROVIDER_HINTS[stageRule('serve').provider]).toContain('add @mlops/server');
    expect(PROVIDER_HINTS[stageRule('data').provider]).toContain(
      'fashion-mnist and mnist with @mlops/plugin-tfjs',
    );
    expect(PROVIDER_HINTS[stageRule('train').provider]).toContain('add @mlops/plugin-tfjs');
    expect(PROVIDER_HINTS[stageRule('export').provider]).toContain('export.formats');
  });
});

describe('callStageHook', () => {
  it('runs the taps of the named stage and returns its output, typed for the stage', async () => {
    const hooks = createLifecycleHooks();
    hooks.train.tapPromise('engine', async () => train);
    hooks.data.tapPromise('other', async () => {
      throw new Error('the data hook must not run');
    });
    const ctx = {} as StageContext<'train'>;
    const output = await callStageHook(hooks, 'train', ctx);
    expectTypeOf(output).toEqualTypeOf<TrainOutput | undefined>();
    expect(output).toBe(train);
    expect(await callStageHook(hooks, 'model', {} as StageContext<'model'>)).toBeUndefined();

    const outputs: Partial<StageOutputs> = {};
    setStageOutput(outputs, 'train', train);
    expect(outputs).toEqual({ train });
  });
});
