import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { io } from '@tensorflow/tfjs-core';
import { tfjsErrors } from '../errors.js';
import { writeDirectoryAtomically } from './atomic-dir.js';
import { sha256Hex } from './integrity.js';
import type { ModelMetadata } from './metadata.js';
import { MODEL_JSON_FILE, toModelJson, WEIGHTS_BIN_FILE } from './model-json.js';

/** Options for `fileSystemSaver`. */
export interface FileSystemSaverOptions {
  /** Merged over the model's own user-defined metadata (these keys win). */
  userDefinedMetadata?: ModelMetadata;
  /**
   * Extra files (e.g. `labels.json`) written into the model directory in the same atomic commit,
   * so they can never disagree with the weights. Names must be plain and not clash with ours.
   */
  extraFiles?: Readonly<Record<string, string | Uint8Array>>;
}

/**
 * The saved directory replaces whatever is at `dir`, so refuse a non-empty directory that is not
 * a saved model: a mistyped path (`.` or a home directory) must not be wiped.
 */
async function assertReplaceable(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR')
      throw tfjsErrors.create(
        'MLOPS_TFJS_ERR_SAVE_TARGET',
        `Cannot save model to ${dir}: it exists and is not a directory`,
        { file: dir },
      );
    throw err;
  }
  if (entries.length > 0 && !entries.includes(MODEL_JSON_FILE)) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_SAVE_TARGET',
      `Refusing to replace ${dir}: it is not empty and holds no ${MODEL_JSON_FILE}`,
      {
        file: dir,
        hint: 'Save into an empty folder or one holding an earlier model; a mistyped path must not be wiped.',
      },
    );
  }
}

function weightBytes(artifacts: io.ModelArtifacts): Uint8Array {
  return artifacts.weightData
    ? new Uint8Array(io.CompositeArrayBuffer.join(artifacts.weightData))
    : new Uint8Array();
}

/**
 * A tfjs `IOHandler` that saves to a directory as `model.json` + `weights.bin`, in the format of
 * tfjs-node's `file://` handler (which we cannot use without tfjs-node), plus a SHA-256 of the
 * weights in an extra `model.json` key that other loaders ignore. The directory is replaced
 * atomically (see `writeDirectoryAtomically`); it belongs to the model — other files in an
 * existing model directory are not kept unless passed again as `extraFiles`.
 */
export function fileSystemSaver(dir: string, options: FileSystemSaverOptions = {}): io.IOHandler {
  const target = resolve(dir);
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error(`Cannot save model to ${target}: binary (graph) topologies are not supported`);
      }
      const extraFiles = Object.entries(options.extraFiles ?? {});
      for (const [name] of extraFiles) {
        if (name === MODEL_JSON_FILE || name === WEIGHTS_BIN_FILE) {
          throw tfjsErrors.create(
            'MLOPS_TFJS_ERR_SAVE_TARGET',
            `Extra file name '${name}' clashes with the model's own files`,
            { hint: "Rename the extra file: model.json and weights files are the model's own." },
          );
        }
      }
      const merged = { ...artifacts };
      if (options.userDefinedMetadata) {
        merged.userDefinedMetadata = { ...artifacts.userDefinedMetadata, ...options.userDefinedMetadata };
      }
      const weights = weightBytes(merged);
      const modelJson = toModelJson(merged, sha256Hex(weights));
      await assertReplaceable(target);
      await writeDirectoryAtomically(target, [
        { name: MODEL_JSON_FILE, data: JSON.stringify(modelJson) },
        { name: WEIGHTS_BIN_FILE, data: weights },
        ...extraFiles.map(([name, data]) => ({ name, data })),
      ]);
      return { modelArtifactsInfo: io.getModelArtifactsInfoForJSON(merged) };
    },
  };
}
