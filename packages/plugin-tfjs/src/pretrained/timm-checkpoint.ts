import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MlopsError } from '@mlops/core';
import { getArchitecture } from '../models/registry.js';
import { type HubSettings, hubFile, hubSettingsFromEnv, parseHubSpec } from './hf-hub.js';
import { readTimmConfig, type TimmModelConfig } from './timm-config.js';

/** File names of timm's Hub layout (`save_for_hf`). */
export const TIMM_WEIGHTS_FILE = 'model.safetensors';
/** See {@link TIMM_WEIGHTS_FILE}. */
export const TIMM_CONFIG_FILE = 'config.json';

/** Where a timm checkpoint's files are, once resolved. */
export interface TimmCheckpointLocation {
  /** The spec as the user wrote it (`hf-hub:…` or a path). */
  readonly spec: string;
  /** Fetches (if needed) and returns the local `model.safetensors`. */
  weights(): Promise<string>;
  /** Fetches (if needed) and returns the local `config.json`, or undefined when the checkpoint has none. */
  configFile(): Promise<string | undefined>;
}

/** Options of {@link locateTimmCheckpoint}. */
export interface LocateOptions {
  /** Directory relative paths resolve against (the config file's). */
  readonly root: string;
  /** Hub settings; default from the environment. */
  readonly hub?: HubSettings;
  /** Progress lines (downloads). */
  readonly log?: (message: string) => void;
}

/**
 * The checkpoint a model config asks for: `initialCheckpoint` when set, else timm's default
 * pretrained weights of the architecture when `pretrained` is true; undefined when neither.
 */
export function checkpointSpecOf(model: {
  readonly architecture?: unknown;
  readonly initialCheckpoint?: unknown;
  readonly pretrained?: unknown;
}): string | undefined {
  if (typeof model.initialCheckpoint === 'string' && model.initialCheckpoint) return model.initialCheckpoint;
  if (model.pretrained !== true) return undefined;
  const architecture = String(model.architecture ?? '');
  const repo = getArchitecture(architecture).info.pretrainedHubId;
  if (!repo) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `model.pretrained: ${architecture} has no pretrained weights`,
      {
        hint: 'pick a timm architecture of the zoo (mobilenetv4_conv_small, mobilenetv4_conv_small_050, …) or set model.initialCheckpoint to a checkpoint',
      },
    );
  }
  return `hf-hub:${repo}`;
}

/**
 * Whether `spec` names a timm checkpoint (as opposed to a saved tfjs model, `registry:` or
 * `store:`): `hf-hub:…`, a `.safetensors` file, or a folder holding `model.safetensors`.
 */
export function isTimmCheckpointSpec(spec: string, root: string): boolean {
  if (spec.startsWith('hf-hub:')) return true;
  if (spec.startsWith('registry:') || spec.startsWith('store:')) return false;
  const path = resolve(root, spec);
  if (path.endsWith('.safetensors')) return true;
  return existsSync(join(path, TIMM_WEIGHTS_FILE)) && !existsSync(join(path, 'model.json'));
}

/**
 * Locates a timm checkpoint: `hf-hub:<repo>[@rev]` (downloaded into the Hugging Face cache on
 * first use), a `model.safetensors` file (with `config.json` beside it when there is one), or a
 * folder holding both. A local path that does not exist is an error naming it.
 */
export function locateTimmCheckpoint(spec: string, options: LocateOptions): TimmCheckpointLocation {
  const hubRef = parseHubSpec(spec);
  if (hubRef) {
    const settings = options.hub ?? hubSettingsFromEnv();
    const log = options.log ?? (() => {});
    return {
      spec,
      weights: () => hubFile(hubRef, TIMM_WEIGHTS_FILE, settings, log),
      configFile: () => hubFile(hubRef, TIMM_CONFIG_FILE, settings, log),
    };
  }
  const path = resolve(options.root, spec);
  if (!existsSync(path)) {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `model.initialCheckpoint: ${path} does not exist`, {
      file: path,
      hint: 'point it at a timm model.safetensors (or its folder with config.json), hf-hub:<repo>, a saved tfjs model folder, or registry:<model>@<alias>',
    });
  }
  const folder = statSync(path).isDirectory() ? path : dirname(path);
  const weights = statSync(path).isDirectory() ? join(path, TIMM_WEIGHTS_FILE) : path;
  if (!existsSync(weights)) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `model.initialCheckpoint: no ${TIMM_WEIGHTS_FILE} in ${folder}`,
      {
        file: folder,
        hint: `a timm checkpoint folder holds ${TIMM_WEIGHTS_FILE} and ${TIMM_CONFIG_FILE}; a tfjs one holds model.json`,
      },
    );
  }
  const config = join(folder, TIMM_CONFIG_FILE);
  return {
    spec,
    weights: async () => weights,
    configFile: async () =>
      existsSync(config) && basename(weights) !== TIMM_CONFIG_FILE ? config : undefined,
  };
}

/** Reads a located checkpoint's `config.json`, or undefined when it has none. */
export async function readCheckpointConfig(
  location: TimmCheckpointLocation,
): Promise<TimmModelConfig | undefined> {
  const file = await location.configFile();
  return file ? readTimmConfig(file) : undefined;
}
