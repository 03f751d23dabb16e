import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { machineThreads } from '../backend/wasm-threads/thread-count.js';
import { setWasmThreads } from '../backend/wasm-threads/wasm-threads.js';
import type { BatchSource } from '../data/batch-source.js';
import { tfjsErrors } from '../errors.js';
import { runInference } from '../evaluate/inference.js';
import { topKAccuracy } from '../evaluate/metrics.js';
import { CLASSIFIER_LAYER } from '../models/head.js';
import {
  CHECKPOINT_BEST,
  CHECKPOINT_LAST,
  epochCheckpointName,
  type ResumableTensors,
  readResumeArrays,
  writeResumeArrays,
} from './checkpoint-files.js';
import { createOptimizer } from './create-optimizer.js';
import { ModelEma } from './ema.js';
import { LayerFreezer, selectFrozenLayers } from './freeze.js';
import { kernelVariables } from './kernel-variables.js';
import { layerDecayGroups } from './layer-decay.js';
import { createLrSchedule, resolveLearningRate } from './lr-schedule.js';
import {
  EarlyStopping,
  isImprovement,
  type MetricMode,
  metricKey,
  metricModeFor,
} from './metric-tracking.js';
import { modelVariables, trainableVariables } from './model-variables.js';
import type { ParameterLrScale } from './optimizer.js';
import { unseedDropoutLayers } from './seeded-random.js';
import { runTrainingEpoch } from './train-epoch.js';
import {
  type EpochRecord,
  readTrainerState,
  removeTrainerState,
  stateArraysFileName,
  type TrainerState,
  writeTrainerState,
} from './trainer-state.js';
import type {
  CheckpointMetadata,
  TrainerConfig,
  TrainerLogger,
  TrainOptions,
  TrainResult,
} from './trainer-types.js';

interface ValidationMetrics {
  loss: number;
  top1: number;
  top5: number;
}

async function validate(
  model: LayersModel,
  source: BatchSource,
  batchSize: number,
): Promise<ValidationMetrics> {
  // Plain cross-entropy, no smoothing: timm validates with nn.CrossEntropyLoss too.
  const result = await runInference(model, source, { batchSize });
  return {
    loss: result.meanLoss,
    top1: topKAccuracy(result.probabilities, result.labels, result.numClasses, 1),
    top5: topKAccuracy(result.probabilities, result.labels, result.numClasses, 5),
  };
}

function prefixed(prefix: string, metrics: ValidationMetrics): Record<string, number> {
  return {
    [`${prefix}/loss`]: metrics.loss,
    [`${prefix}/top1`]: metrics.top1,
    [`${prefix}/top5`]: metrics.top5,
  };
}

/** The validation metrics an epoch reported, by the names `evalMetric` accepts (`top1`, `loss`…). */
function validationMetricNames(metrics: Record<string, number>): string {
  return Object.keys(metrics)
    .filter((key) => key.startsWith('val/'))
    .map((key) => key.slice('val/'.length))
    .join(', ');
}

function initialState(): TrainerState {
  return {
    version: 1,
    epoch: 0,
    globalStep: 0,
    bestEpoch: 0,
    bestMetric: null,
    earlyStopping: { best: null, badEpochs: 0 },
    history: [],
    arraysFile: '',
    epochCheckpoints: [],
    trainImages: 0,
    trainSeconds: 0,
    stoppedEarly: false,
  };
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * timm's `checkpoint_hist`: which `epoch-N/` checkpoints to keep after `epoch` — the `limit` best
 * by the eval metric. The new epoch is saved only if it gets in (fewer than `limit` kept, or
 * strictly better than the worst); on ties the earlier epoch stays. `keep` is in epoch order.
 */
export function bestEpochCheckpoints(
  existing: readonly number[],
  epoch: number,
  metricOf: (epoch: number) => number | undefined,
  limit: number,
  mode: MetricMode,
): { save: boolean; keep: number[]; pruned: number[] } {
  if (limit <= 0) return { save: false, keep: [], pruned: [...existing] };
  // Best first; equal values keep their epoch order (the earlier one ranks higher).
  const rank = (epochs: readonly number[]): number[] =>
    [...epochs].sort((a, b) => {
      const va = metricOf(a) ?? Number.NaN;
      const vb = metricOf(b) ?? Number.NaN;
      if (isImprovement(va, Number.isFinite(vb) ? vb : null, mode)) return -1;
      if (isImprovement(vb, Number.isFinite(va) ? va : null, mode)) return 1;
      return a - b;
    });
  const ranked = rank(existing);
  const worst = ranked.length > 0 ? metricOf(ranked[ranked.length - 1]!) : undefined;
  const value = metricOf(epoch);
  const save =
    value !== undefined &&
    (ranked.length < limit ||
      isImprovement(value, worst !== undefined && Number.isFinite(worst) ? worst : null, mode));
  const all = rank(save ? [...existing, epoch] : existing);
  return {
    save,
    keep: all.slice(0, limit).sort((a, b) => a - b),
    pruned: all.slice(limit),
  };
}

/**
 * Applies `train.threads` to the wasm backend (XNNPACK's pool and the kernel workers): every core
 * when unset. Returns the threads in use, or undefined on other backends.
 */
function applyTrainingThreads(threads: number | undefined): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return setWasmThreads(threads ?? machineThreads());
}

/** Resolves `config.freeze` into a freezer (nothing frozen yet), logging what it will freeze. */
function createFreezer(
  model: LayersModel,
  config: TrainerConfig,
  headLayers: readonly string[],
  params: readonly tf.Variable[],
  logger: TrainerLogger | undefined,
): LayerFreezer | undefined {
  const after = config.unfreezeAfterEpochs;
  if (after !== undefined && !(Number.isInteger(after) && after >= 0)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `train.unfreezeAfterEpochs must be a non-negative integer, got ${after}`,
      { hint: 'Set train.unfreezeAfterEpochs to 0 or a whole number of epochs.' },
    );
  }
  if (!config.freeze) {
    if (after !== undefined) logger?.warn('train.unfreezeAfterEpochs has no effect without train.freeze');
    return undefined;
  }
  if (config.freeze !== 'backbone' && config.freeze.length === 0) return undefined;
  const selection = selectFrozenLayers(model, config.freeze, headLayers);
  for (const pattern of selection.unmatched) {
    logger?.warn(`train.freeze: '${pattern}' matches no layer with weights`);
  }
  const freezer = new LayerFreezer(selection.layers);
  if (freezer.trainableParams(params).length === 0) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      'train.freeze freezes every trainable weight of the model; nothing would train',
      {
        hint: 'use train.freeze: backbone (keeps the classifier trainable) or patterns that leave some layers out',
      },
    );
  }
  const layersWithWeights = model.layers.filter((layer) => layer.weights.length > 0).length;
  const totalParams = params.reduce((n, p) => n + p.size, 0);
  const batchNorms = selection.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
  const span =
    after === undefined
      ? 'for the whole run'
      : after === 0
        ? 'for no epoch (unfreezeAfterEpochs is 0)'
        : `for epochs 1-${after}, then everything trains`;
  logger?.info(
    `Freezing ${selection.layers.length} of ${layersWithWeights} layers with weights ` +
      `(${formatCount(freezer.frozenParamCount)} of ${formatCount(totalParams)} parameters; ` +
      `${batchNorms} BatchNorm layers in inference mode) ${span}` +
      (config.freeze === 'backbone' ? ` (backbone: all but ${headLayers.join(', ')})` : ''),
  );
  return freezer;
}

/** The per-parameter learning-rate scale of `config.layerDecay`, logging the groups; none when off. */
function layerDecayScale(
  model: LayersModel,
  layerDecay: number | undefined,
  logger: TrainerLogger | undefined,
): ParameterLrScale | undefined {
  if (layerDecay === undefined || layerDecay === 1) return undefined;
  const { groups, scales } = layerDecayGroups(model, layerDecay);
  if (groups.length < 2) {
    logger?.warn(
      `train.layerDecay ${layerDecay} has no effect: the model has no stem/blocks.<stage>.<block> layers to decay`,
    );
    return undefined;
  }
  const describe = (g: (typeof groups)[number]) =>
    `${g.layers.length > 2 ? `${g.layers[0]}…` : g.layers.join(', ')} ×${g.scale.toPrecision(3)}`;
  logger?.info(
    `Layer-wise lr decay ${layerDecay}: ${groups.length} groups, from ${describe(groups[0]!)} ` +
      `to ${describe(groups.at(-1)!)}`,
  );
  return (param) => scales.get(param) ?? 1;
}

/**
 * Trains `model` with a custom loop — timm's recipe: AdamW (or Adam/SGD), per-step cosine
 * schedule with linear warmup, label smoothing, gradient clipping, model EMA — validating the
 * trained and the EMA weights every epoch.
 *
 * Checkpoints, under `checkpointDir`, in this order each epoch: `last/`, `best/` (when the eval
 * metric improves), `epoch-N/` (the best `checkpointHistory` kept, as timm's `checkpoint_hist`), all through the injected
 * atomic `saveModel`; then `trainer-state-epoch-N.bin` (model weights incl. BatchNorm statistics,
 * optimizer moments, EMA shadows) and finally `trainer-state.json` (epoch, step, best, early
 * stopping, history), both atomic. A run killed at any point resumes (`resume: true`) from the
 * last completed epoch, losing at most the epoch in progress, and — data order, dropout masks and
 * all state being deterministic — ends with the same weights as an uninterrupted run.
 *
 * With EMA on, `val/*` and the checkpoints use the weights chosen by `emaSelection` (default: the
 * better of trained and EMA on the eval metric, per epoch); `val_raw/*` and `val_ema/*` report
 * both. The abort signal stops after the current batch and writes the trained weights to `last/`.
 *
 * Fine-tuning: `config.freeze` keeps layers fixed — their weights bit-identical (no gradient, no
 * weight decay, EMA shadows untouched) and their BatchNorm layers in inference mode — for the
 * first `config.unfreezeAfterEpochs` epochs (or the whole run); the optimizer spans every weight
 * from the start, so a weight unfrozen later starts from clean moments, and a run resumed past the
 * frozen epochs trains everything. `config.layerDecay` scales each parameter's learning rate by
 * timm's layer-wise decay (see `layerDecayGroups`).
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, config, checkpointDir, signal, logger } = options;
  if (checkpointDir && !options.saveModel) throw new Error('train: checkpointDir needs a saveModel function');
  if (!(config.batchSize > 0) || !(config.epochs > 0)) {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', 'train: epochs and batchSize must be positive', {
      hint: 'Set train.epochs and train.batchSize to positive numbers.',
    });
  }
  if (options.train.size === 0)
    throw new MlopsError('MLOPS_ERR_DATA_INVALID', 'train: the training source is empty', {
      hint: 'Put images in the training split (one folder per class), or lower data.valSplit.',
    });
  if (options.train.numClasses !== options.validation.numClasses) {
    throw new MlopsError(
      'MLOPS_ERR_DATA_INVALID',
      'train: training and validation sources disagree on the class count',
      { hint: 'Give the training and validation splits the same class folders.' },
    );
  }

  const stepsPerEpoch =
    options.train.batchCount?.(config.batchSize) ?? Math.ceil(options.train.size / config.batchSize);
  if (!(stepsPerEpoch > 0)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `train: no training batch of ${config.batchSize} images in ${options.train.size} images`,
      { hint: 'Lower train.batchSize below the number of training images, or add images.' },
    );
  }
  const epochImages = Math.min(options.train.size, stepsPerEpoch * config.batchSize);
  const learningRate = resolveLearningRate(config, options.lrScaleRule);
  const schedule = createLrSchedule({
    scheduler: config.scheduler,
    peakLr: learningRate.lr,
    epochs: config.epochs,
    stepsPerEpoch,
    warmupEpochs: config.warmupEpochs,
    warmupLr: config.warmupLr,
    minLr: config.minLr,
    onUpdates: config.schedOnUpdates ?? true,
    ...options.schedule,
  });
  const threads = applyTrainingThreads(config.threads);
  if (threads !== undefined) logger?.info(`Training threads: ${threads}`);
  const scaling =
    learningRate.rule === 'explicit'
      ? 'explicit'
      : `${learningRate.rule} scaling of lrBase ${config.lrBase} by batch ${config.batchSize}/${config.lrBaseSize}`;
  logger?.info(`Peak learning rate ${learningRate.lr.toPrecision(4)} (${scaling})`);

  const params = trainableVariables(model);
  const freezer = createFreezer(model, config, options.headLayers ?? [CLASSIFIER_LAYER], params, logger);
  const trainableWhileFrozen = freezer?.trainableParams(params) ?? [];
  const lrScale = layerDecayScale(model, config.layerDecay, logger);
  const unseeded = unseedDropoutLayers(model);
  if (unseeded.length > 0) {
    logger?.warn(
      `Dropout layers ${unseeded.join(', ')} had a fixed seed (one mask for every step); ` +
        'ignoring it, their masks now come from the per-step train.seed stream',
    );
  }
  // Over every trainable weight, frozen ones included: they get no gradient (and no state) until
  // they are unfrozen, and the state keeps one shape for the whole run, so it resumes anywhere.
  const optimizer = createOptimizer(config, params, schedule.lrAt(0), lrScale ? { lrScale } : {});
  const emaWarmup = options.emaWarmup ?? true;
  const ema = config.ema.enabled
    ? new ModelEma(modelVariables(model), { decay: config.ema.decay, warmup: emaWarmup })
    : undefined;
  if (ema && 1 / (1 - config.ema.decay) > schedule.totalSteps) {
    logger?.warn(
      `EMA decay ${config.ema.decay} averages over ~${Math.round(1 / (1 - config.ema.decay))} steps, ` +
        `more than this run's ${schedule.totalSteps}; ` +
        (emaWarmup
          ? 'the (1+t)/(10+t) warmup caps the decay, so the EMA follows roughly the last 10% of steps'
          : 'without warmup the EMA stays near the initial weights'),
    );
  }
  const resumable: ResumableTensors = { modelWeights: modelVariables(model), optimizer, ema };

  const evalKey = metricKey(config.evalMetric);
  const evalMode = metricModeFor(config.evalMetric);
  const earlyStopKey = metricKey(config.earlyStopping.metric);
  const earlyStopping = new EarlyStopping(config.earlyStopping.patience, config.earlyStopping.mode);
  const emaSelection = options.emaSelection ?? 'better';
  // The validation metric that decides between trained and EMA weights: the eval metric when it
  // is a validation metric, else top-1.
  const selectionName = (['loss', 'top1', 'top5'] as const).find((m) => evalKey === `val/${m}`) ?? 'top1';
  const selectionMode = metricModeFor(selectionName);
  const evalBatchSize = options.evalBatchSize ?? config.batchSize;
  const observer = options.observer;
  // Empty unless observed: then nothing is captured or read back, and training costs what it did.
  const kernels = observer?.onDistributions ? kernelVariables(model) : [];
  let samplesShown = false;

  let state = initialState();
  try {
    if (checkpointDir) {
      const saved = options.resume ? await readTrainerState(checkpointDir) : undefined;
      if (saved) {
        if (!(await readResumeArrays(checkpointDir, saved.arraysFile, resumable))) {
          logger?.warn('Resumed state has no EMA weights; the EMA restarts from the current weights');
        }
        earlyStopping.setState(saved.earlyStopping);
        state = saved;
        logger?.info(`Resuming after epoch ${saved.epoch} (step ${saved.globalStep})`);
      } else {
        if (options.resume) logger?.info(`No trainer state in ${checkpointDir}; starting from epoch 1`);
        // A stale state of an earlier run must not be resumed into this one if it is killed early.
        await removeTrainerState(checkpointDir);
      }
    }

    let aborted = false;
    const firstEpoch = state.epoch + 1;
    for (let epoch = firstEpoch; epoch <= config.epochs && !state.stoppedEarly; epoch++) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      const epochStart = performance.now();
      const frozen =
        freezer !== undefined &&
        (config.unfreezeAfterEpochs === undefined || epoch <= config.unfreezeAfterEpochs);
      if (frozen) {
        freezer.freeze();
      } else if (freezer && (freezer.frozen || epoch === firstEpoch)) {
        freezer.unfreeze();
        logger?.info(
          `Epoch ${epoch}: past unfreezeAfterEpochs ${config.unfreezeAfterEpochs}, every layer trains`,
        );
      }
      // The bar counts images, so its rate reads img/s (the core Progress's unit), not batches/s;
      // an epoch trains on fewer than all of them when the last partial batch is dropped.
      const bar = options.progress?.(epochImages, `epoch ${epoch}/${config.epochs}`);
      const totals = await runTrainingEpoch({
        step: {
          model,
          params: frozen ? trainableWhileFrozen : params,
          optimizer,
          labelSmoothing: config.labelSmoothing,
          gradClip: config.gradClip,
        },
        ...(frozen ? { frozenWeights: freezer.frozenWeights } : {}),
        source: options.train,
        epoch,
        batchSize: config.batchSize,
        schedule,
        firstStep: state.globalStep,
        seed: config.seed,
        ema,
        bar,
        signal,
        ...(kernels.length > 0 ? { captureGradients: kernels.map((k) => k.variable.name) } : {}),
        ...(observer?.onSamples && !samplesShown
          ? {
              onFirstBatch: (batch) => {
                samplesShown = true;
                observer.onSamples?.(batch, options.train.shape, epoch);
              },
            }
          : {}),
      });

      if (totals.aborted) {
        aborted = true;
        bar?.done(`epoch ${epoch} aborted after ${totals.steps} steps`);
        if (checkpointDir && options.saveModel) {
          // The trained (not EMA) weights at the abort; the resume state still points at the last
          // completed epoch, which a resumed run continues from.
          await options.saveModel(model, join(checkpointDir, CHECKPOINT_LAST), {
            epoch: epoch - 1,
            abortedInEpoch: epoch,
            step: totals.globalStep,
            weights: 'raw',
          });
        }
        break;
      }

      if (observer?.onDistributions && kernels.length > 0) {
        const values = await Promise.all(kernels.map((k) => k.variable.data<'float32'>()));
        const weights = new Map(kernels.map((k, i) => [k.key, values[i] as Float32Array]));
        const gradients = new Map<string, Float32Array>();
        for (const k of kernels) {
          const grad = totals.gradients.get(k.variable.name);
          if (grad) gradients.set(k.key, grad);
        }
        observer.onDistributions({ epoch, weights, gradients });
      }

      const raw = await validate(model, options.validation, evalBatchSize);
      const averaged = ema
        ? await ema.withEmaWeights(() => validate(model, options.validation, evalBatchSize))
        : undefined;
      let useEma = false;
      if (averaged && emaSelection === 'ema') useEma = true;
      if (averaged && emaSelection === 'better') {
        useEma = !isImprovement(raw[selectionName], averaged[selectionName], selectionMode);
      }
      const trainSeconds = totals.trainMs / 1000;
      const metrics: Record<string, number> = {
        'train/loss': totals.lossSum / totals.images,
        'train/top1': totals.correct / totals.images,
        'train/grad_norm': totals.gradNormSum / Math.max(totals.steps, 1),
        lr: totals.lastLr,
        ...prefixed('val', useEma && averaged ? averaged : raw),
        ...(averaged ? { ...prefixed('val_raw', raw), ...prefixed('val_ema', averaged) } : {}),
      };
      const evalValue = metrics[evalKey];
      if (evalValue === undefined) {
        throw tfjsErrors.create(
          'MLOPS_TFJS_ERR_EVAL_METRIC',
          `evalMetric '${config.evalMetric}' (${evalKey}) is not among ${Object.keys(metrics).join(', ')}`,
          {
            hint: `Set train.evalMetric to one of ${validationMetricNames(metrics)}.`,
          },
        );
      }
      const improved = isImprovement(evalValue, state.bestMetric, evalMode);
      let stopNow = false;
      if (config.earlyStopping.patience > 0) {
        const value = metrics[earlyStopKey];
        if (value === undefined) {
          throw tfjsErrors.create(
            'MLOPS_TFJS_ERR_EVAL_METRIC',
            `earlyStopping.metric '${config.earlyStopping.metric}' (${earlyStopKey}) is not reported`,
            {
              hint: `Set train.earlyStopping.metric to one of ${validationMetricNames(metrics)}.`,
            },
          );
        }
        stopNow = earlyStopping.observe(value);
      }

      let epochCheckpoints = state.epochCheckpoints;
      let pruned: number[] = [];
      if (checkpointDir && options.saveModel) {
        const save = options.saveModel;
        const metadata: CheckpointMetadata = { epoch, weights: useEma ? 'ema' : 'raw', [evalKey]: evalValue };
        const saveAs = async (name: string): Promise<void> => {
          const dir = join(checkpointDir, name);
          if (useEma && ema) await ema.withEmaWeights(() => save(model, dir, metadata));
          else await save(model, dir, metadata);
        };
        await saveAs(CHECKPOINT_LAST);
        if (improved) await saveAs(CHECKPOINT_BEST);
        // timm's CheckpointSaver: keep the best `checkpointHistory` epochs by the eval metric.
        const history = new Map(state.history.map((r) => [r.epoch, r.metrics[evalKey]]));
        history.set(epoch, evalValue);
        const kept = bestEpochCheckpoints(
          epochCheckpoints.filter((e) => e !== epoch),
          epoch,
          (e) => history.get(e),
          config.checkpointHistory,
          evalMode,
        );
        if (kept.save) await saveAs(epochCheckpointName(epoch));
        pruned = kept.pruned;
        epochCheckpoints = kept.keep;
      }

      const record: EpochRecord = {
        epoch,
        metrics,
        durationMs: performance.now() - epochStart,
        imagesPerSecond: trainSeconds > 0 ? totals.images / trainSeconds : 0,
        best: improved,
        weights: useEma ? 'ema' : 'raw',
      };
      const previousArraysFile = state.arraysFile;
      state = {
        ...state,
        epoch,
        globalStep: totals.globalStep,
        bestEpoch: improved ? epoch : state.bestEpoch,
        bestMetric: improved ? evalValue : state.bestMetric,
        earlyStopping: earlyStopping.getState(),
        history: [...state.history, record],
        arraysFile: stateArraysFileName(epoch),
        epochCheckpoints,
        trainImages: state.trainImages + totals.images,
        trainSeconds: state.trainSeconds + trainSeconds,
        stoppedEarly: stopNow,
      };
      if (checkpointDir) {
        // Arrays first, then the JSON pointing at them: a crash in between leaves the previous
        // state intact and consistent. Only then are superseded files removed.
        await writeResumeArrays(join(checkpointDir, state.arraysFile), resumable);
        await writeTrainerState(checkpointDir, state);
        if (previousArraysFile && previousArraysFile !== state.arraysFile) {
          await rm(join(checkpointDir, previousArraysFile), { force: true });
        }
        for (const old of pruned) {
          await rm(join(checkpointDir, epochCheckpointName(old)), { recursive: true, force: true });
        }
      }

      bar?.done(
        `epoch ${epoch}: loss ${metrics['train/loss']!.toFixed(4)} val/top1 ${metrics['val/top1']!.toFixed(4)}${improved ? ' (best)' : ''}`,
      );
      await options.onEpochEnd?.({
        epoch,
        epochs: config.epochs,
        metrics,
        durationMs: record.durationMs,
        imagesPerSecond: record.imagesPerSecond,
        best: improved,
      });
      if (stopNow) {
        logger?.info(
          `Early stopping after epoch ${epoch}: ${earlyStopKey} did not improve for ${config.earlyStopping.patience} epochs`,
        );
      }
    }

    const bestRecord = state.history.find((r) => r.epoch === state.bestEpoch);
    return {
      epochs: state.epoch,
      bestEpoch: state.bestEpoch,
      bestMetrics: bestRecord ? { ...bestRecord.metrics } : {},
      history: state.history,
      imagesPerSecond: state.trainSeconds > 0 ? state.trainImages / state.trainSeconds : 0,
      stoppedEarly: state.stoppedEarly,
      aborted,
      learningRate,
    };
  } finally {
    freezer?.unfreeze();
    optimizer.dispose();
    ema?.dispose();
  }
}
