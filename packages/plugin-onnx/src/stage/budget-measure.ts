import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ExportBudgetConfig, ExportedModel, ExportMeasurement, StageContext } from '@mlops/core';
import { loadModel } from '@mlops/plugin-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type * as ort from 'onnxruntime-node';
import { ONNX_ARTIFACT, ONNX_INT8_ARTIFACT } from '../runtime/onnx-runtime.js';
import { createSession, runBatch, type SessionThreads } from '../runtime/session.js';
import type { MeasuredFormat } from './budget.js';
import { onnxProbabilities, tfjsProbabilities, top1Accuracy } from './compare.js';
import {
  type DeviceProfile,
  deviceProfile,
  deviceReferenceMs,
  REFERENCE_OP_MIX,
  referenceOpMixOnnx,
} from './device-profiles.js';
import {
  firstPresentSplit,
  loadNormalizedSample,
  type NormalizedSample,
  syntheticSample,
} from './samples.js';

/** Timed runs of the latency's p50 when `export.budget.latencyRuns` is not set. */
export const DEFAULT_LATENCY_RUNS = 50;
/** Warm-up runs when `export.budget.latencyWarmup` is not set. */
export const DEFAULT_LATENCY_WARMUP = 5;

/** How latency is timed. */
export interface LatencyPlan {
  /** Timed runs. */
  runs: number;
  /** Untimed runs first (allocations, kernel selection, caches). */
  warmup: number;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** p50 wall time of `run` in milliseconds over `plan.runs` calls, after `plan.warmup` untimed ones. */
export async function p50Latency(run: () => Promise<unknown>, plan: LatencyPlan): Promise<number> {
  for (let i = 0; i < plan.warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < plan.runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** The latency plan of a budget (its runs and warm-up, or the defaults). */
export function latencyPlanOf(budget: ExportBudgetConfig): LatencyPlan {
  return {
    runs: budget.latencyRuns ?? DEFAULT_LATENCY_RUNS,
    warmup: budget.latencyWarmup ?? DEFAULT_LATENCY_WARMUP,
  };
}

/** Where latencies apply: this machine, or a device profile with the factor from this machine. */
export interface LatencyScale {
  /** `host`, or the profile's name. */
  device: string;
  /** Multiplies a host latency into the device's estimate (1 on the host). */
  factor: number;
  /** The profile, when there is one. */
  profile?: DeviceProfile;
  /** This machine's p50 on the reference op mix, ms (with a profile). */
  hostReferenceMs?: number;
  /** The profile's expected time on the reference op mix, ms. */
  deviceReferenceMs?: number;
}

/**
 * The factor from this machine's latency to `budget.device`'s: the device's expected time on the
 * reference op mix over this machine's p50 on it, timed now with the serving threads.
 */
export async function latencyScale(
  budget: ExportBudgetConfig,
  plan: LatencyPlan,
  threads: SessionThreads,
): Promise<LatencyScale> {
  if (budget.device === undefined) return { device: 'host', factor: 1 };
  const profile = deviceProfile(budget.device);
  const session = await createSession(referenceOpMixOnnx(), 'reference op mix', threads);
  try {
    const [height, width, channels] = REFERENCE_OP_MIX.inputShape;
    const image = new Float32Array(height * width * channels).fill(0.5);
    const hostReferenceMs = await p50Latency(
      () => runBatch(session, image, [1, height, width, channels]),
      plan,
    );
    const expected = deviceReferenceMs(profile);
    return {
      device: profile.name,
      factor: expected / hostReferenceMs,
      profile,
      hostReferenceMs,
      deviceReferenceMs: expected,
    };
  } finally {
    await session.release();
  }
}

/** What measuring needs besides the exports. */
export interface MeasureOptions {
  /** The budget (latency runs, warm-up, device). */
  budget: ExportBudgetConfig;
  /** onnxruntime threads: the serving threads. */
  threads: SessionThreads;
  /** Images of the evaluation split scored per format; 0 = the whole split. */
  accuracyImages: number;
}

/** The images accuracy is measured on: the evaluation split (else validation), if the data has it. */
async function heldOutSample(
  ctx: StageContext<'export'>,
  accuracyImages: number,
): Promise<NormalizedSample | undefined> {
  const data = ctx.input('data');
  const { config } = ctx;
  const split = firstPresentSplit(data, [config.evaluate.split, config.data.splits.validation]);
  return split ? loadNormalizedSample(ctx, data, split, accuracyImages) : undefined;
}

/** One image at batch 1: the first held-out image, or a noise image when there is no data. */
function latencyImage(sample: NormalizedSample | undefined, ctx: StageContext<'export'>): NormalizedSample {
  if (!sample || sample.count === 0) return syntheticSample(ctx.config, 1);
  const per = sample.shape.reduce((a, b) => a * b, 1);
  return { ...sample, count: 1, x: sample.x.slice(0, per), labels: sample.labels.slice(0, 1) };
}

/** A format's forward pass at any batch size, and how to release it. */
interface Forward {
  /** Probabilities of `n` images. */
  probabilities(sample: NormalizedSample): Promise<Float32Array>;
  /** One image at batch 1 (what is timed). */
  one(image: NormalizedSample): Promise<unknown>;
  /** Frees the session or model. */
  release(): Promise<void>;
}

async function onnxForward(
  ctx: StageContext<'export'>,
  exported: ExportedModel,
  threads: SessionThreads,
): Promise<Forward> {
  const bytes = new Uint8Array(await ctx.store.getBytes(exported.artifact));
  const session: ort.InferenceSession = await createSession(
    bytes,
    `exported ${exported.format} model`,
    threads,
  );
  return {
    probabilities: (sample) => onnxProbabilities(session, sample.x, sample.count, sample.shape),
    one: (image) => runBatch(session, image.x, [1, ...image.shape]),
    release: () => session.release(),
  };
}

async function tfjsForward(ctx: StageContext<'export'>, exported: ExportedModel): Promise<Forward> {
  const model: LayersModel = await loadModel(join(await ctx.store.localPath(exported.artifact), 'model'));
  return {
    probabilities: (sample) => tfjsProbabilities(model, sample.x, sample.count, sample.shape),
    one: async (image) => {
      const out = tf.tidy(() => model.predict(tf.tensor(image.x, [1, ...image.shape])) as tf.Tensor);
      await out.data();
      out.dispose();
    },
    release: async () => {
      model.dispose();
    },
  };
}

/**
 * Measures every export for the budget: its stored size; its p50 latency at batch 1 through the
 * runtime that serves it (onnxruntime-node for `onnx`/`onnx-int8`, tfjs on the selected backend for
 * `tfjs`), scaled to `budget.device` when one is named; and its top-1 on the evaluation split, on
 * the same images for every format. A format no runtime here can run gets its size only, and says
 * why in `unmeasured`.
 */
export async function measureExports(
  ctx: StageContext<'export'>,
  exports: readonly ExportedModel[],
  options: MeasureOptions,
): Promise<{ formats: MeasuredFormat[]; scale: LatencyScale }> {
  const plan = latencyPlanOf(options.budget);
  const scale = await latencyScale(options.budget, plan, options.threads);
  const sample = await heldOutSample(ctx, options.accuracyImages);
  const image = latencyImage(sample, ctx);
  const classes = ctx.input('data').classes.length;
  const formats: MeasuredFormat[] = [];
  for (const exported of exports) {
    const measured: ExportMeasurement = { bytes: exported.artifact.size };
    const unmeasured: string[] = [];
    const forward =
      exported.format === ONNX_ARTIFACT || exported.format === ONNX_INT8_ARTIFACT
        ? await onnxForward(ctx, exported, options.threads)
        : exported.format === 'tfjs'
          ? await tfjsForward(ctx, exported)
          : undefined;
    if (!forward) {
      unmeasured.push(`latency: no runtime here runs format "${exported.format}"`);
      unmeasured.push(`top1: no runtime here runs format "${exported.format}"`);
    } else {
      try {
        const host = await p50Latency(() => forward.one(image), plan);
        Object.assign(measured, {
          latencyP50Ms: host * scale.factor,
          latencyDevice: scale.device,
          latencyEstimated: scale.device !== 'host',
          hostLatencyP50Ms: host,
          latencyRuns: plan.runs,
        });
        if (sample && sample.count > 0) {
          const probabilities = await forward.probabilities(sample);
          Object.assign(measured, {
            top1: top1Accuracy(probabilities, sample.labels, classes),
            top1Split: sample.split,
            top1Images: sample.count,
          });
        } else {
          unmeasured.push('top1: the data has no labelled evaluation images');
        }
      } finally {
        await forward.release();
      }
    }
    if (unmeasured.length > 0) measured.unmeasured = unmeasured;
    formats.push({ format: exported.format, measured });
  }
  return { formats, scale };
}
