import { MlopsError } from '@mlops/core';
import type { io } from '@tensorflow/tfjs-core';
import { INTEGRITY_KEY, type IntegrityRecord } from './integrity.js';

/** File name of the topology + manifest file, as tfjs's `file://` handler writes it. */
export const MODEL_JSON_FILE = 'model.json';
/** File name of the weights file, as tfjs's `file://` handler writes it. */
export const WEIGHTS_BIN_FILE = 'weights.bin';

/** `model.json` as we write it: tfjs's `ModelJSON` plus our optional integrity record. */
export interface StoredModelJson extends io.ModelJSON {
  [INTEGRITY_KEY]?: IntegrityRecord;
}

/**
 * Builds `model.json` the way tfjs-node's `NodeFileSystem.save` does (one manifest group whose
 * single path is `weights.bin`), so tfjs-node, the browser `http` loader and our loader all read it.
 */
export function toModelJson(artifacts: io.ModelArtifacts, weightsSha256: string): StoredModelJson {
  const json: StoredModelJson = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN_FILE], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature != null) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer != null) json.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature != null) json.initializerSignature = artifacts.initializerSignature;
  json[INTEGRITY_KEY] = { sha256: { [WEIGHTS_BIN_FILE]: weightsSha256 } };
  return json;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkManifest(manifest: unknown, fail: (what: string) => never): void {
  if (!Array.isArray(manifest)) fail('"weightsManifest" must be an array');
  manifest.forEach((group: unknown, g) => {
    if (!isRecord(group)) fail(`weightsManifest[${g}] must be an object`);
    const { paths, weights } = group;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      fail(`weightsManifest[${g}].paths must be an array of strings`);
    }
    if (!Array.isArray(weights)) fail(`weightsManifest[${g}].weights must be an array`);
    weights.forEach((w: unknown, i) => {
      const ok =
        isRecord(w) &&
        typeof w.name === 'string' &&
        typeof w.dtype === 'string' &&
        Array.isArray(w.shape) &&
        w.shape.every((d) => Number.isInteger(d) && d >= 0);
      if (!ok) fail(`weightsManifest[${g}].weights[${i}] needs a name, a dtype and an integer shape`);
    });
  });
}

/**
 * Parses and structurally validates `model.json` text. Errors name the file and what is wrong,
 * instead of surfacing later as an obscure failure inside tfjs deserialisation.
 */
export function parseModelJson(text: string, path: string): StoredModelJson {
  const fail = (what: string): never => {
    throw new MlopsError('MLOPS_ERR_STORE_CORRUPT', `Corrupt model file ${path}: ${what}`, {
      file: path,
      hint: 'Save or export the model again (mlops run export --force); the saved files are incomplete or were changed.',
    });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail(`not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(parsed)) return fail('expected a JSON object');
  if (!isRecord(parsed.modelTopology)) fail('missing or invalid "modelTopology"');
  checkManifest(parsed.weightsManifest, fail);
  const integrity = parsed[INTEGRITY_KEY];
  if (integrity !== undefined && !(isRecord(integrity) && isRecord(integrity.sha256))) {
    fail(`invalid "${INTEGRITY_KEY}" record`);
  }
  return parsed as unknown as StoredModelJson;
}
