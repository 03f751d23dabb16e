import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CheckpointDescription,
  type DataOutput,
  type Engine,
  type EvaluateOutput,
  MlopsError,
  type ModelInitialization,
  type ModelOutput,
  type ResolvedConfig,
  resizeRecipeOf,
  type StageContext,
  type TrainOutput,
} from '@mlops/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendProbe } from '../backend/choose-fastest-backend.js';
import { type BackendInfo, type BackendPreference, selectBackend } from '../backend/select-backend.js';
import { trainStepProbe } from '../backend/train-step-probe.js';
import { unsupportedAugmentations } from '../data/augment/augment-params.js';
import { loadDecodedSplit } from '../data/dataset-cache.js';
import type { DecodedSplit } from '../data/decoded-split.js';
import { EvalBatchSource } from '../data/eval-batch-source.js';
import { TrainBatchSource } from '../data/train-batch-source.js';
import { evaluateModel } from '../evaluate/evaluator.js';
import { modelParameterCount } from '../model-io/parameter-count.js';
import { loadModel, saveModel } from '../model-io/save-load.js';
import { buildModel, getArchitecture } from '../models/registry.js';
import {
  checkpointSpecOf,
  isTimmCheckpointSpec,
  locateTimmCheckpoint,
  readCheckpointConfig,
} from '../pretrained/timm-checkpoint.js';
import { CHECKPOINT_BEST, CHECKPOINT_LAST } from '../train/checkpoint-files.js';
import { train } from '../train/trainer.js';
import { logEvaluationImages } from './evaluation-images.js';
import { resolveInitialCheckpoint } from './initial-checkpoint.js';
import { pixelReferenceStats, withPredictionStats } from './reference-stats.js';
import { initializeFromTfjs } from './tfjs-initialization.js';
import { initializeFromTimm } from './timm-initialization.js';
import { trackerObserver } from './tracker-observer.js';

/** Options of the TensorFlow.js engine (the `tfjs()` plugin's options). */
export interface TfjsEngineOptions {
  /**
   * Backend preference. A value other than `auto` overrides `train.backend` from the config;
   * `auto` (or none) leaves the choice to `train.backend`, so `--set train.backend=cpu` is honoured
   * with `tfjs({ backend: 'auto' })` in the config file.
   */
  backend?: BackendPreference;
  /**
   * Under `auto`: total time to time the candidate backends' train steps when more than one
   * accelerated backend is available (each gets a warm-up step and up to 2 timed steps). Default 20 s.
   */
  probeBudgetMs?: number;
  /** Augmentation worker threads. Default: 1 (the trainer uses the other core). */
  workers?: number;
  /** Batch size of evaluation passes. Default 256. */
  evalBatchSize?: number;
  /**
   * Send pictures to the trackers: a grid of augmented training samples (`samples/train`, once
   * per run) and the evaluation's confusion matrix and ROC curves as PNGs. Default true.
   */
  logImages?: boolean;
  /**
   * Send per-epoch histograms of every layer's kernel (`weights/<layer>`) and of its gradient on
   * the epoch's first batch (`gradients/<layer>`). Default true.
   */
  logHistograms?: boolean;
}

/**
 * The TensorFlow.js engine: builds models from the zoo, trains them with the resumable trainer on
 * the input pipeline, and evaluates them.
 */
export class TfjsEngine implements Engine {
  readonly name = 'tfjs';
  private backend: BackendInfo | undefined;

  constructor(private readonly options: TfjsEngineOptions = {}) {}

  /**
   * Activates the backend once per process and logs which one and why. Under `auto`, when the
   * model or train stage comes first, several accelerated backends are timed on the run's own
   * train step (see {@link trainingProbe}); an evaluate-only process keeps the fixed order, whose
   * first backend is also the fastest for inference.
   */
  private async ensureBackend(ctx: StageContext): Promise<BackendInfo> {
    if (!this.backend) {
      const own = this.options.backend;
      const preference = own !== undefined && own !== 'auto' ? own : ctx.config.train.backend;
      const probe = preference === 'auto' ? trainingProbe(ctx) : undefined;
      this.backend = await selectBackend(
        preference,
        // The measurement line is the decision itself: worth an info line, the rest is debug.
        (message) => (message.startsWith('auto:') ? ctx.logger.info(message) : ctx.logger.debug(message)),
        probe ? { probe, probeBudgetMs: this.options.probeBudgetMs ?? 20_000 } : {},
      );
      // The reason lists every faster backend that was skipped and why: useful, but long.
      ctx.logger.info(`tfjs backend: ${this.backend.name} (requested: ${this.backend.requested})`);
      ctx.logger.debug(`backend choice: ${this.backend.reason}`);
      if (this.backend.name === 'cpu') {
        ctx.logger.warn(
          'the cpu backend trains convolutions orders of magnitude slower than wasm (tfjs-backend-cpu computes Conv2DBackpropFilter in a scalar loop); set train.backend to wasm or auto',
        );
      }
    }
    return this.backend;
  }

  async buildModel(ctx: StageContext<'model'>): Promise<ModelOutput> {
    await this.ensureBackend(ctx);
    const data = ctx.input('data');
    const spec = ctx.config.model;
    const model = buildConfiguredModel(ctx.config, data.classes.length);
    let initialization: ModelInitialization | undefined;
    const checkpoint = checkpointSpecOf(spec);
    try {
      if (checkpoint && isTimmCheckpointSpec(checkpoint, ctx.config.root)) {
        initialization = await initializeFromTimm(model, checkpoint, {
          root: ctx.config.root,
          architecture: spec.architecture,
          classes: data.classes,
          headLayers: getArchitecture(spec.architecture).info.headLayers,
          resetHead: spec.resetHead ?? false,
          logger: ctx.logger,
        });
      } else if (checkpoint) {
        const dir = await resolveInitialCheckpoint(checkpoint, ctx);
        initialization = await initializeFromTfjs(model, checkpoint, dir, {
          classes: data.classes,
          headLayers: getArchitecture(spec.architecture).info.headLayers,
          resetHead: spec.resetHead ?? false,
          logger: ctx.logger,
        });
      }
      const dir = join(ctx.workDir, 'model');
      await saveModel(model, dir, {
        architecture: spec.architecture,
        classes: data.classes,
        ...(initialization ? { initializedFrom: initialization.source } : {}),
      });
      const ref = await ctx.store.putDir(dir, { name: 'model' });
      return {
        model: ref,
        architecture: spec.architecture,
        parameters: modelParameterCount(model).trainable,
        inputShape: [spec.inputSize, spec.inputSize, spec.inputChannels],
        numClasses: data.classes.length,
        ...(initialization ? { initializedFrom: initialization.source, initialization } : {}),
      };
    } finally {
      model.dispose();
    }
  }

  /** See {@link Engine.describeCheckpoint}: the labels and architecture of a timm checkpoint. */
  async describeCheckpoint(config: ResolvedConfig): Promise<CheckpointDescription> {
    const spec = checkpointSpecOf(config.model);
    if (!spec || !isTimmCheckpointSpec(spec, config.root)) {
      throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `${spec ?? 'no checkpoint'}: not a timm checkpoint`, {
        hint: 'import a timm model.safetensors (with its config.json), its folder, or hf-hub:<repo>',
      });
    }
    const timm = await readCheckpointConfig(locateTimmCheckpoint(spec, { root: config.root }));
    if (!timm) {
      throw new MlopsError('MLOPS_ERR_CHECKPOINT_INVALID', `${spec}: no config.json beside the weights`, {
        hint: 'registering a checkpoint needs its config.json (architecture, classes, preprocessing) as timm writes it',
      });
    }
    const placeholder = !timm.labelNames;
    return {
      labels: timm.labelNames
        ? [...timm.labelNames]
        : Array.from({ length: timm.numClasses }, (_, i) => `class_${i}`),
      architecture: timm.architecture,
      ...(placeholder ? { placeholderLabels: true } : {}),
    };
  }

  async train(ctx: StageContext<'train'>): Promise<TrainOutput> {
    const backend = await this.ensureBackend(ctx);
    const data = ctx.input('data');
    const { config } = ctx;
    if (config.train.epochs === 0) return this.untrained(ctx, backend);
    for (const unsupported of unsupportedAugmentations(config.train.augment)) {
      ctx.logger.warn(`augmentation ${unsupported} is not implemented yet and is ignored`);
    }
    const trainSplit = await decodedSplit(ctx, data, config.data.splits.train);
    const validationSplit = await decodedSplit(ctx, data, config.data.splits.validation);
    const model = await loadModel(await ctx.store.localPath(ctx.input('model').model));
    const trainSource = new TrainBatchSource({
      dataset: trainSplit,
      augment: config.train.augment,
      ...(config.data.normalize ? { normalize: config.data.normalize } : {}),
      seed: config.train.seed,
      workers: this.options.workers ?? 1,
    });
    const validationSource = new EvalBatchSource({
      dataset: validationSplit,
      ...(config.data.normalize ? { normalize: config.data.normalize } : {}),
    });
    const checkpointDir = join(ctx.workDir, 'checkpoints');
    const observer = trackerObserver(ctx.tracker, {
      images: this.options.logImages ?? true,
      histograms: this.options.logHistograms ?? true,
      classes: data.classes,
      logger: ctx.logger,
    });
    try {
      const result = await train({
        model,
        train: trainSource,
        validation: validationSource,
        config: config.train,
        checkpointDir,
        saveModel: (m, dir, metadata) => saveModel(m, dir, { ...metadata, classes: data.classes }),
        resume: ctx.run.resumed,
        signal: ctx.signal,
        progress: (total, label) => ctx.progress(total, label),
        onEpochEnd: (event) => ctx.epochEnd(event),
        logger: ctx.logger,
        evalBatchSize: this.options.evalBatchSize ?? 256,
        headLayers: getArchitecture(config.model.architecture).info.headLayers,
        ...(config.train.lrBaseScale ? { lrScaleRule: config.train.lrBaseScale } : {}),
        ...(observer ? { observer } : {}),
      });
      if (result.aborted) {
        throw new MlopsError(
          'MLOPS_ERR_RUN_INTERRUPTED',
          `training interrupted after epoch ${result.epochs}`,
          {
            hint: `resume with: mlops run --resume ${ctx.run.id}`,
          },
        );
      }
      ctx.logger.info(
        `trained ${result.epochs} epochs at ${Math.round(result.imagesPerSecond)} img/s; best epoch ${result.bestEpoch}: ${formatMetrics(result.bestMetrics)}`,
      );
      const best = await ctx.store.putDir(join(checkpointDir, CHECKPOINT_BEST), { name: 'model' });
      const last = await ctx.store.putDir(join(checkpointDir, CHECKPOINT_LAST), { name: 'last' });
      const historyFile = join(ctx.workDir, 'history.jsonl');
      await writeFile(historyFile, `${result.history.map((record) => JSON.stringify(record)).join('\n')}\n`);
      const history = await ctx.store.putFile(historyFile, {
        name: 'history.jsonl',
        mediaType: 'application/x-ndjson',
      });

      const bestModel = await loadModel(join(checkpointDir, CHECKPOINT_BEST));
      let referenceStats: TrainOutput['referenceStats'];
      try {
        const validation = await evaluateModel(bestModel, validationSource, {
          topK: Math.min(config.evaluate.topK, data.classes.length),
          classes: data.classes,
          batchSize: this.options.evalBatchSize ?? 256,
        });
        const stats = withPredictionStats(pixelReferenceStats(trainSplit), validation.predictionStats);
        referenceStats = await ctx.store.putBytes(new TextEncoder().encode(JSON.stringify(stats)), {
          name: 'reference-stats.json',
          mediaType: 'application/json',
        });
      } finally {
        bestModel.dispose();
      }
      return {
        model: best,
        last,
        history,
        epochs: result.epochs,
        bestEpoch: result.bestEpoch,
        metrics: stripPrefix(result.bestMetrics, 'val/'),
        backend: backend.name,
        backendReason: backend.reason,
        imagesPerSecond: result.imagesPerSecond,
        ...(referenceStats ? { referenceStats } : {}),
      };
    } finally {
      model.dispose();
      await trainSource.close();
      await validationSource.close();
    }
  }

  /**
   * `train.epochs: 0`: the model stage's weights are the result. They are scored on the
   * validation split when the data has one (metrics and drift reference statistics, as after
   * training); a checkpoint registered without data gets neither.
   */
  private async untrained(ctx: StageContext<'train'>, backend: BackendInfo): Promise<TrainOutput> {
    const data = ctx.input('data');
    const { config } = ctx;
    const modelRef = ctx.input('model').model;
    const historyFile = join(ctx.workDir, 'history.jsonl');
    await writeFile(historyFile, '');
    const history = await ctx.store.putFile(historyFile, {
      name: 'history.jsonl',
      mediaType: 'application/x-ndjson',
    });
    const base: TrainOutput = {
      model: modelRef,
      history,
      epochs: 0,
      bestEpoch: 0,
      metrics: {},
      backend: backend.name,
      backendReason: backend.reason,
      imagesPerSecond: 0,
    };
    const validationName = config.data.splits.validation;
    if (!((data.splits[validationName] ?? 0) > 0)) {
      ctx.logger.info(
        'train.epochs is 0 and there is no validation data: the checkpoint is registered as it is',
      );
      return base;
    }
    const validationSplit = await decodedSplit(ctx, data, validationName);
    const source = new EvalBatchSource({
      dataset: validationSplit,
      ...(config.data.normalize ? { normalize: config.data.normalize } : {}),
    });
    const model = await loadModel(await ctx.store.localPath(modelRef));
    try {
      const validation = await evaluateModel(model, source, {
        topK: Math.min(config.evaluate.topK, data.classes.length),
        classes: data.classes,
        batchSize: this.options.evalBatchSize ?? 256,
        signal: ctx.signal,
      });
      ctx.logger.info(
        `train.epochs is 0: the checkpoint as it is scores ${formatMetrics(validation.metrics)} on ${validationName}`,
      );
      const trainName = config.data.splits.train;
      const stats = withPredictionStats(
        pixelReferenceStats(
          (data.splits[trainName] ?? 0) > 0 ? await decodedSplit(ctx, data, trainName) : validationSplit,
        ),
        validation.predictionStats,
      );
      const referenceStats = await ctx.store.putBytes(new TextEncoder().encode(JSON.stringify(stats)), {
        name: 'reference-stats.json',
        mediaType: 'application/json',
      });
      return { ...base, metrics: validation.metrics, referenceStats };
    } finally {
      model.dispose();
      await source.close();
    }
  }

  async evaluate(ctx: StageContext<'evaluate'>): Promise<EvaluateOutput> {
    await this.ensureBackend(ctx);
    const data = ctx.input('data');
    const split = evaluationSplit(ctx.config, data);
    const decoded = await decodedSplit(ctx, data, split);
    const model: LayersModel = await loadModel(await ctx.store.localPath(ctx.input('train').model));
    const source = new EvalBatchSource({
      dataset: decoded,
      ...(ctx.config.data.normalize ? { normalize: ctx.config.data.normalize } : {}),
    });
    try {
      const result = await evaluateModel(model, source, {
        topK: Math.min(ctx.config.evaluate.topK, data.classes.length),
        classes: data.classes,
        batchSize: this.options.evalBatchSize ?? 256,
        signal: ctx.signal,
      });
      const details = await ctx.store.putBytes(
        new TextEncoder().encode(JSON.stringify({ split, ...result })),
        { name: 'evaluation.json', mediaType: 'application/json' },
      );
      ctx.logger.info(`${split} (${result.count} images): ${formatMetrics(result.metrics)}`);
      if (this.options.logImages ?? true) logEvaluationImages(ctx.tracker, { split, ...result }, ctx.logger);
      return {
        split,
        metrics: result.metrics,
        confusionMatrix: result.confusionMatrix,
        classes: result.classes,
        roc: result.roc,
        details,
      };
    } finally {
      model.dispose();
      await source.close();
    }
  }
}

/**
 * Times the run's own train step (model from the config, its batch and input size) for `auto`,
 * in the model and train stages, where training follows. Undefined elsewhere or when the class
 * count is not known yet.
 */
function trainingProbe(ctx: StageContext): BackendProbe | undefined {
  if (ctx.stage !== 'model' && ctx.stage !== 'train') return undefined;
  const numClasses = ctx.inputs.data?.classes.length;
  if (!numClasses) return undefined;
  const trainConfig = ctx.config.train;
  return trainStepProbe({
    build: () => buildConfiguredModel(ctx.config, numClasses),
    batchSize: trainConfig.batchSize,
    numClasses,
    optimizer: trainConfig,
    labelSmoothing: trainConfig.labelSmoothing,
    gradClip: trainConfig.gradClip,
  });
}

/** A fresh model as `config.model` describes it, seeded by `train.seed` (the model stage and the probe build the same). */
function buildConfiguredModel(config: ResolvedConfig, numClasses: number): LayersModel {
  const spec = config.model;
  return buildModel(spec.architecture, {
    numClasses,
    inputSize: spec.inputSize,
    inputChannels: spec.inputChannels,
    widthMultiplier: spec.widthMultiplier,
    dropout: spec.dropout,
    ...(spec.dropPath ? { dropPath: spec.dropPath } : {}),
    seed: config.train.seed,
  });
}

function decodedSplit(ctx: StageContext, data: DataOutput, split: string): Promise<DecodedSplit> {
  return loadDecodedSplit({
    store: ctx.store,
    data,
    split,
    size: ctx.config.model.inputSize,
    channels: ctx.config.model.inputChannels,
    resize: resizeRecipeOf(ctx.config.data),
    progress: (total, label) => ctx.progress(total, label),
  });
}

/** `evaluate.split` when the data has it; else validation, with the reason logged by the caller. */
function evaluationSplit(config: ResolvedConfig, data: DataOutput): string {
  const wanted = config.evaluate.split;
  if ((data.splits[wanted] ?? 0) > 0) return wanted;
  const fallback = config.data.splits.validation;
  if ((data.splits[fallback] ?? 0) > 0) return fallback;
  throw new MlopsError('MLOPS_ERR_DATA_INVALID', `the data has no "${wanted}" split to evaluate on`, {
    hint: `splits present: ${Object.keys(data.splits).join(', ')}; set evaluate.split`,
  });
}

function stripPrefix(metrics: Record<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  }
  return out;
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .filter(([key]) => !key.includes('auc/'))
    .map(([key, value]) => `${key} ${formatValue(value)}`)
    .join(', ');
}

/** 4 decimals, or 3 significant digits for small values such as a learning rate (not `0.0000`). */
function formatValue(value: number): string {
  return value !== 0 && Math.abs(value) < 0.001 ? value.toExponential(2) : value.toFixed(4);
}
