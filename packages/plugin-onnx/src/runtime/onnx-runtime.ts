import {
  type ArtifactRef,
  type ArtifactStore,
  type LoadedModel,
  MlopsError,
  type ModelVersion,
  type Runtime,
} from '@mlops/core';
import { onnxErrors } from '../errors.js';
import { decodeMetadata, type OnnxModelMetadata } from '../metadata.js';
import { readMetadata } from '../onnx/serialize.js';
import { OnnxLoadedModel } from './onnx-loaded-model.js';
import { createSession, type SessionThreads } from './session.js';

/** Registry role of the fp32 model. */
export const ONNX_ARTIFACT = 'onnx';

/** Registry role of the int8 model. */
export const ONNX_INT8_ARTIFACT = 'onnx-int8';

/** Options of {@link OnnxRuntime}. */
export interface OnnxRuntimeOptions {
  /** Where the versions' artifacts live. */
  store: ArtifactStore;
  /**
   * Which model to serve when a version has both; the other is the fallback. Default: the
   * version's served format (set by `export.budget`), else `fp32`.
   */
  precision?: 'fp32' | 'int8';
  /** Session threads. */
  threads?: SessionThreads;
}

function corrupt(source: string, message: string, cause?: unknown): MlopsError {
  return new MlopsError('MLOPS_ERR_STORE_CORRUPT', `${source}: ${message}`, {
    file: source,
    hint: 'Re-export the model (mlops run export --force) and register it again; the stored ONNX file is damaged or belongs to another model.',
    ...(cause === undefined ? {} : { cause }),
  });
}

function sameList(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Serves registry versions with an `onnx` or `onnx-int8` artifact on onnxruntime-node (CPU).
 * Priority 10: the serve stage prefers it to the tfjs runtime whenever a version has ONNX files.
 * Inputs get the model's own preprocessing, read from the file's metadata, through the same code
 * the tfjs runtime uses, so both runtimes see identical pixels.
 */
export class OnnxRuntime implements Runtime {
  /** Runtime name. */
  readonly name = 'onnx';
  /** Outranks the tfjs runtime (0) for versions with an ONNX file. */
  readonly priority = 10;

  constructor(private readonly options: OnnxRuntimeOptions) {}

  supports(version: ModelVersion): boolean {
    return this.pick(version) !== undefined;
  }

  /**
   * The artifact to serve: the `serve` option's precision when set, else the version's served
   * format (the smallest inside `export.budget`; a non-ONNX one is left to its runtime), else fp32;
   * the other ONNX file is the fallback.
   */
  private pick(version: ModelVersion): { role: string; ref: ArtifactRef } | undefined {
    const served = version.metadata.servedFormat;
    if (this.options.precision === undefined && typeof served === 'string') {
      if (served !== ONNX_ARTIFACT && served !== ONNX_INT8_ARTIFACT) return undefined;
      const ref = version.artifacts[served];
      if (ref) return { role: served, ref };
    }
    const order =
      this.options.precision === 'int8'
        ? [ONNX_INT8_ARTIFACT, ONNX_ARTIFACT]
        : [ONNX_ARTIFACT, ONNX_INT8_ARTIFACT];
    for (const role of order) {
      const ref = version.artifacts[role];
      if (ref) return { role, ref };
    }
    return undefined;
  }

  async load(version: ModelVersion): Promise<LoadedModel> {
    const picked = this.pick(version);
    if (!picked) {
      throw onnxErrors.create(
        'MLOPS_ONNX_ERR_NO_ARTIFACT',
        `Model ${version.model} v${version.version} has no '${ONNX_ARTIFACT}' or '${ONNX_INT8_ARTIFACT}' artifact`,
      );
    }
    const source = `${version.model} v${version.version} ${picked.role} (${picked.ref.hash.slice(0, 12)})`;
    const bytes = new Uint8Array(await this.options.store.getBytes(picked.ref));
    let metadata: OnnxModelMetadata;
    try {
      metadata = decodeMetadata(readMetadata(bytes), source);
    } catch (error) {
      if (error instanceof MlopsError) throw error;
      throw corrupt(source, `is not an ONNX model (${(error as Error).message})`, error);
    }
    const registered = version.metadata.labels;
    if (registered !== undefined && !sameList(registered, metadata.labels)) {
      throw corrupt(
        source,
        `labels [${metadata.labels.join(', ')}] do not match the registry version's [${String(registered)}]`,
      );
    }
    const session = await createSession(bytes, source, this.options.threads);
    if (
      !session.inputNames.includes(metadata.inputName) ||
      !session.outputNames.includes(metadata.outputName)
    ) {
      await session.release();
      throw corrupt(
        source,
        `graph has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}], metadata names ${metadata.inputName} → ${metadata.outputName}`,
      );
    }
    const loaded = new OnnxLoadedModel(version, metadata, session);
    try {
      // Warm-up: one zero image through the graph (allocations, kernel selection), and a check
      // that the output has one probability per label.
      const { size, channels } = metadata.preprocessing;
      const out = await loaded.forward(new Float32Array(size * size * channels), 1);
      if (out.length !== metadata.labels.length) {
        throw corrupt(source, `emits ${out.length} values per image for ${metadata.labels.length} labels`);
      }
    } catch (error) {
      await loaded.dispose();
      if (error instanceof MlopsError) throw error;
      throw corrupt(source, `fails on a warm-up image (${(error as Error).message})`, error);
    }
    return loaded;
  }
}
