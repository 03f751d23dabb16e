import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MlopsError } from '@mlops/core';
import type { HeadPlan } from './timm-weights.js';

/**
 * What a timm checkpoint's `config.json` says about its model (timm's `save_for_hf` writes it;
 * the Hub serves it next to `model.safetensors`): the architecture, the classes, and the
 * `pretrained_cfg` the weights were trained and evaluated with.
 */
export interface TimmModelConfig {
  /** timm architecture name, e.g. `mobilenetv4_conv_small`. */
  readonly architecture: string;
  /** Classifier outputs. */
  readonly numClasses: number;
  /** Class names in classifier order, when the checkpoint has them (`label_names`). */
  readonly labelNames?: readonly string[];
  /** Name of the classifier module (`pretrained_cfg.classifier`); default `classifier`. */
  readonly classifier: string;
  /** Input channels (`pretrained_cfg.input_size[0]`). */
  readonly inputChannels: number;
  /** Square input size (`pretrained_cfg.input_size[2]`). */
  readonly inputSize: number;
  /** Resize filter (`pretrained_cfg.interpolation`). */
  readonly interpolation: 'bilinear' | 'bicubic';
  /** Eval crop fraction (`pretrained_cfg.crop_pct`). */
  readonly cropPct: number;
  /** Normalization (`pretrained_cfg.mean` / `std`), per channel, for pixels in [0, 1]. */
  readonly mean: readonly number[];
  /** See {@link TimmModelConfig.mean}. */
  readonly std: readonly number[];
  /**
   * Channel multiplier the model was created with, when `model_args.channel_multiplier` records
   * one (a checkpoint of a custom width; the zoo's named variants carry theirs in the name).
   */
  readonly channelMultiplier?: number;
}

/** timm's ImageNet defaults (`IMAGENET_DEFAULT_MEAN` / `_STD`), used when a config omits them. */
export const IMAGENET_DEFAULT_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** See {@link IMAGENET_DEFAULT_MEAN}. */
export const IMAGENET_DEFAULT_STD: readonly number[] = [0.229, 0.224, 0.225];

function invalid(file: string, why: string, cause?: unknown): MlopsError {
  return new MlopsError('MLOPS_ERR_CHECKPOINT_INVALID', `${file}: not a timm model config: ${why}`, {
    file,
    hint: 'use the config.json timm wrote with the weights (save_for_hf / the Hub), or remove it and set model.architecture, model.inputSize and data.normalize yourself',
    ...(cause === undefined ? {} : { cause }),
  });
}

function numberList(value: unknown): number[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v))
    ? (value as number[])
    : undefined;
}

/** Parses a timm `config.json` object; `file` names it in errors. */
export function parseTimmConfig(raw: unknown, file: string): TimmModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(file, 'not a JSON object');
  const config = raw as Record<string, unknown>;
  const cfg = (config.pretrained_cfg ?? {}) as Record<string, unknown>;
  const architecture = config.architecture ?? config.model_name;
  if (typeof architecture !== 'string' || !architecture) throw invalid(file, 'no "architecture"');
  const numClasses = config.num_classes ?? cfg.num_classes;
  if (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 1) {
    throw invalid(file, `"num_classes" must be a positive integer, got ${JSON.stringify(numClasses)}`);
  }
  const labelNames = config.label_names ?? cfg.label_names;
  if (labelNames !== undefined) {
    if (!Array.isArray(labelNames) || !labelNames.every((l) => typeof l === 'string')) {
      throw invalid(file, '"label_names" must be a list of strings');
    }
    if (labelNames.length !== numClasses) {
      throw invalid(file, `"label_names" has ${labelNames.length} names for ${numClasses} classes`);
    }
  }
  const inputSize = numberList(cfg.input_size) ?? [3, 224, 224];
  if (inputSize.length !== 3) throw invalid(file, `"pretrained_cfg.input_size" must be [C, H, W]`);
  const [channels, height, width] = inputSize as [number, number, number];
  if (height !== width) throw invalid(file, `non-square input_size ${height}×${width} is not supported`);
  const interpolation = cfg.interpolation ?? 'bicubic';
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') {
    throw invalid(file, `interpolation "${String(interpolation)}" is not supported (bilinear or bicubic)`);
  }
  const cropPct = typeof cfg.crop_pct === 'number' ? cfg.crop_pct : 0.875;
  if (!(cropPct > 0 && cropPct <= 1)) throw invalid(file, `crop_pct ${cropPct} must be in (0, 1]`);
  if (cfg.crop_mode !== undefined && cfg.crop_mode !== 'center') {
    throw invalid(file, `crop_mode "${String(cfg.crop_mode)}" is not supported (center)`);
  }
  const mean = numberList(cfg.mean) ?? [...IMAGENET_DEFAULT_MEAN];
  const std = numberList(cfg.std) ?? [...IMAGENET_DEFAULT_STD];
  const classifier = typeof cfg.classifier === 'string' ? cfg.classifier : 'classifier';
  const modelArgs = (config.model_args ?? {}) as Record<string, unknown>;
  const multiplier = modelArgs.channel_multiplier;
  if (multiplier !== undefined && !(typeof multiplier === 'number' && multiplier > 0)) {
    throw invalid(
      file,
      `"model_args.channel_multiplier" must be a positive number, got ${JSON.stringify(multiplier)}`,
    );
  }
  return {
    architecture,
    numClasses,
    ...(labelNames ? { labelNames: labelNames as string[] } : {}),
    classifier,
    inputChannels: channels,
    inputSize: width,
    interpolation,
    cropPct,
    mean,
    std,
    ...(typeof multiplier === 'number' ? { channelMultiplier: multiplier } : {}),
  };
}

/**
 * Parsed `config.json`s by resolved path, with the file's mtime and size when it was read. A run
 * needs a checkpoint's config twice in one process (the `configDefaults` hook while the config
 * loads, then the model stage that loads the weights; registering a checkpoint, a third time): it
 * is read and parsed once, and again only when the file changed. Oldest entries go first.
 */
const parsedConfigs = new Map<string, { mtimeMs: number; size: number; config: TimmModelConfig }>();
const MAX_PARSED_CONFIGS = 16;

/**
 * Reads and parses a timm `config.json`, once per version of the file (see {@link parsedConfigs}).
 * The result is frozen: every caller of the same file shares it.
 */
export async function readTimmConfig(file: string): Promise<TimmModelConfig> {
  const path = resolve(file);
  const cantRead = (error: unknown) =>
    invalid(
      file,
      `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      error,
    );
  let version: { mtimeMs: number; size: number };
  try {
    const stats = await stat(path);
    version = { mtimeMs: stats.mtimeMs, size: stats.size };
  } catch (error) {
    throw cantRead(error);
  }
  const cached = parsedConfigs.get(path);
  if (cached && cached.mtimeMs === version.mtimeMs && cached.size === version.size) return cached.config;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw cantRead(error);
  }
  let config: TimmModelConfig;
  try {
    config = frozen(parseTimmConfig(JSON.parse(text), file));
  } catch (error) {
    if (error instanceof SyntaxError) throw invalid(file, `invalid JSON (${error.message})`, error);
    throw error;
  }
  parsedConfigs.delete(path);
  parsedConfigs.set(path, { ...version, config });
  for (const oldest of parsedConfigs.keys()) {
    if (parsedConfigs.size <= MAX_PARSED_CONFIGS) break;
    parsedConfigs.delete(oldest);
  }
  return config;
}

/** A config and its lists frozen, so a shared one cannot be changed by a caller. */
function frozen(config: TimmModelConfig): TimmModelConfig {
  for (const list of [config.labelNames, config.mean, config.std]) if (list) Object.freeze(list);
  return Object.freeze(config);
}

/**
 * The old system's `infer_classcount`, made exact: the classifier is kept when the dataset's
 * classes are the checkpoint's labels — re-ordered when their order differs — and re-initialized
 * otherwise (other classes, another count, or a checkpoint without label names), or when asked.
 */
export function planHead(
  datasetClasses: readonly string[],
  checkpoint: Pick<TimmModelConfig, 'numClasses' | 'labelNames'>,
  resetHead = false,
): HeadPlan & { readonly reason: string } {
  if (resetHead) return { mode: 'reset', reason: 'model.resetHead is set' };
  const labels = checkpoint.labelNames;
  if (!labels) {
    return {
      mode: 'reset',
      reason: `the checkpoint has no label names (${checkpoint.numClasses} classes) to match against the dataset's`,
    };
  }
  if (labels.length !== datasetClasses.length) {
    return {
      mode: 'reset',
      reason: `the checkpoint has ${labels.length} classes, the dataset ${datasetClasses.length}`,
    };
  }
  const index = new Map(labels.map((label, i) => [label, i]));
  const order = datasetClasses.map((name) => index.get(name));
  if (order.some((i) => i === undefined)) {
    const unknown = datasetClasses.filter((name) => !index.has(name));
    return { mode: 'reset', reason: `the checkpoint's labels lack ${unknown.slice(0, 5).join(', ')}` };
  }
  if (order.every((from, to) => from === to))
    return { mode: 'keep', reason: "the dataset's classes are the checkpoint's labels" };
  return {
    mode: 'reorder',
    order: order as number[],
    reason: "the dataset's classes are the checkpoint's labels in another order; classifier rows re-ordered",
  };
}
