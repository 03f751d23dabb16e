import { z } from 'zod';
import { sweepSpecSchema } from '../sweep/sweep-spec.js';

const probability = z.number().min(0).max(1);
const positiveInt = z.number().int().positive();
const nonNegative = z.number().min(0);
const range = z
  .tuple([z.number(), z.number()])
  .refine(([lo, hi]) => lo <= hi, 'expected [low, high] with low ≤ high');

const normalize = z.strictObject({
  mean: z.array(z.number()).min(1),
  std: z.array(z.number().positive()).min(1),
});

/**
 * The validation schema of a resolved config (without `plugins`, `root`, `sources`). Objects are
 * strict so unknown keys surface; the loader turns those into warnings and the rest into errors.
 */
export const configSchema = z.strictObject({
  project: z.string().min(1),
  store: z.strictObject({ path: z.string().min(1), remote: z.string().optional() }),
  data: z.strictObject({
    source: z.string().min(1),
    path: z.string().optional(),
    classMap: z.union([z.string(), z.record(z.string(), z.array(z.string()).min(1))]).optional(),
    classes: z.array(z.string()).min(2).optional(),
    splits: z.strictObject({ train: z.string(), validation: z.string(), test: z.string().optional() }),
    validationFraction: z.number().gt(0).lt(1),
    limitPerClass: positiveInt.optional(),
    onCorrupt: z.enum(['skip', 'error']),
    normalize: normalize.optional(),
    interpolation: z.enum(['bilinear', 'bicubic']).optional(),
    cropPct: z.number().gt(0).max(1).optional(),
  }),
  model: z.strictObject({
    architecture: z.string().min(1),
    inputSize: z.number().int().min(8).max(1024),
    inputChannels: z.union([z.literal(1), z.literal(3)]),
    widthMultiplier: z.number().positive().max(4),
    dropout: z.number().min(0).lt(1),
    initialCheckpoint: z.string().optional(),
    pretrained: z.boolean().optional(),
    resetHead: z.boolean().optional(),
    dropPath: z.number().min(0).lt(1).optional(),
  }),
  train: z.strictObject({
    epochs: z.number().int().min(0),
    batchSize: positiveInt,
    lr: z.number().positive().optional(),
    lrBaseScale: z.enum(['linear', 'sqrt']).optional(),
    lrBase: z.number().positive(),
    lrBaseSize: positiveInt,
    optimizer: z.enum(['adamw', 'adam', 'sgd']),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]),
    weightDecay: nonNegative,
    momentum: z.number().min(0).lt(1),
    scheduler: z.enum(['cosine', 'constant', 'step']),
    schedOnUpdates: z.boolean(),
    warmupEpochs: nonNegative,
    warmupLr: nonNegative,
    minLr: nonNegative,
    labelSmoothing: z.number().min(0).lt(1),
    ema: z.strictObject({ enabled: z.boolean(), decay: z.number().gt(0).lt(1) }),
    gradClip: nonNegative,
    seed: z.number().int(),
    earlyStopping: z.strictObject({
      patience: z.number().int().min(0),
      metric: z.string(),
      mode: z.enum(['max', 'min']),
    }),
    evalMetric: z.string(),
    checkpointHistory: z.number().int().min(0),
    augment: z.strictObject({
      scale: z.union([range, z.literal(false)]),
      ratio: range,
      hflip: probability,
      vflip: probability,
      colorJitter: nonNegative,
      grayscale: probability,
      gaussianBlur: probability,
      randomErasing: probability,
      randAugment: z.string().optional(),
    }),
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']),
    threads: z.number().int().min(1).max(8).optional(),
    freeze: z.union([z.literal('backbone'), z.array(z.string().min(1))]).optional(),
    unfreezeAfterEpochs: z.number().int().min(0).optional(),
    layerDecay: z.number().gt(0).max(1).optional(),
  }),
  evaluate: z.strictObject({ split: z.string(), topK: positiveInt }),
  export: z.strictObject({
    formats: z.array(z.string()).min(1),
    quantize: z.union([z.literal('int8'), z.literal(false)]),
    budget: z
      .strictObject({
        maxBytes: positiveInt.optional(),
        maxLatencyMs: z.number().positive().optional(),
        minTop1: probability.optional(),
        device: z.string().min(1).optional(),
        latencyRuns: positiveInt.max(10_000).optional(),
        latencyWarmup: z.number().int().min(0).max(1000).optional(),
      })
      .refine(
        (budget) =>
          budget.maxBytes !== undefined || budget.maxLatencyMs !== undefined || budget.minTop1 !== undefined,
        'a budget needs at least one limit: maxBytes, maxLatencyMs or minTop1',
      )
      .refine(
        (budget) => budget.device === undefined || budget.maxLatencyMs !== undefined,
        'device only scales latency: set maxLatencyMs too, or remove device',
      )
      .optional(),
  }),
  registry: z.strictObject({
    model: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a lowercase name: letters, digits, . _ -'),
    aliases: z.array(z.string()),
    promoteTo: z.string().optional(),
    gate: z.strictObject({ metric: z.string(), mode: z.enum(['max', 'min']) }).optional(),
  }),
  serve: z.looseObject({
    port: z.number().int().min(0).max(65535),
    host: z.string(),
    model: z.string().optional(),
    alias: z.string().min(1).optional(),
    dummy: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*@.+$/, 'expected <model>@<alias> or <model>@v<N>')
      .optional(),
  }),
  sweep: sweepSpecSchema.optional(),
});
