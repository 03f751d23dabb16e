/**
 * Like with like for the promotion gate: when the candidate and the alias's holder were evaluated
 * on different data, both are measured again on the candidate's evaluation split, through the
 * serving runtime, so the gate compares two numbers about the same images.
 */
import { extname } from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import type { ClassesFile } from '../data/classes-file.js';
import { MlopsError } from '../errors.js';
import type { ArtifactRef, ArtifactStore, TreeManifest } from '../services/artifact-store.js';
import { ArtifactStore as ArtifactStoreToken } from '../services/artifact-store.js';
import type { Logger } from '../services/logger.js';
import type { GateEvidence, ModelRegistry, ModelVersion, PromotionGate } from '../services/model-registry.js';
import { ImageDecoder, type ImageInput, type LoadedModel, Runtime } from '../services/runtime.js';
import { sha256 } from '../util/hash.js';
import { mapLimit } from '../util/map-limit.js';
import { incomparability, labelsOf } from './promotion-gate.js';

/** What a version was evaluated on, as registration records it in `metadata.evaluation`. */
export interface EvaluationMetadata {
  /** Split role evaluated: `test`, or `validation` when the data had no test split. */
  split: string;
  /** Data version (the dataset tree's hash). */
  dataVersion: string;
  /** Hash of the evaluated images (their paths and content hashes) and the class map. */
  dataHash: string;
  /** Images evaluated. */
  images: number;
}

/** `metadata.evaluation` of a version evaluated on `split` of the dataset tree `manifest`. */
export function evaluationMetadata(
  manifest: TreeManifest,
  dataVersion: string,
  split: string,
): EvaluationMetadata {
  const entries = manifest.entries.filter((e) => e.path === 'classes.json' || e.path.startsWith(`${split}/`));
  return {
    split,
    dataVersion,
    dataHash: sha256(JSON.stringify(entries.map((e) => [e.path, e.hash]))),
    images: entries.filter((e) => e.path !== 'classes.json').length,
  };
}

/** The gate metric computed from predictions: `top1`, or `top<k>`. */
function topK(metric: string): number | undefined {
  const match = /^top(\d+)$/.exec(metric);
  const k = match ? Number(match[1]) : undefined;
  return k !== undefined && k >= 1 ? k : undefined;
}

const MIME: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/** Options of {@link sameDataEvidence}. */
export interface SameDataEvidenceOptions {
  /** The registry both versions are in. */
  registry: ModelRegistry;
  /** The project's container: the runtimes, the image decoder and the artifact store come from it. */
  container: DependencyContainer;
  /** Version being promoted. */
  candidate: ModelVersion;
  /** Alias it is promoted to. */
  alias: string;
  /** The gate. */
  gate: PromotionGate;
  /** Progress and reasons. */
  logger?: Logger;
  /** Images predicted at once. Default 64. */
  batchSize?: number;
}

/**
 * Measures the gate metric of the candidate and of the alias's holder on the candidate's
 * evaluation split, when their own evaluations cannot be compared (different test data) and they
 * classify the same classes. Undefined, with the reason logged, when there is nothing to measure
 * (no holder, comparable already) or it cannot be done here (other classes, a metric predictions
 * do not give, no runtime, decoder, or dataset in the store): the gate then refuses with its reason.
 */
export async function sameDataEvidence(options: SameDataEvidenceOptions): Promise<GateEvidence | undefined> {
  const { registry, container, candidate, alias, gate, logger } = options;
  const holder = await registry.resolve(candidate.model, { alias }).catch(() => undefined);
  if (!holder || holder.version === candidate.version) return undefined;
  if (typeof holder.metrics[gate.metric] !== 'number') return undefined;
  const reason = incomparability(candidate, holder);
  if (reason === undefined) return undefined;
  const cannot = (why: string) => {
    logger?.info(`v${holder.version} and v${candidate.version} cannot be measured on the same data: ${why}`);
    return undefined;
  };
  const labels = labelsOf(candidate);
  const holderLabels = labelsOf(holder);
  if (
    !labels ||
    !holderLabels ||
    labels.length !== holderLabels.length ||
    !labels.every((l) => holderLabels.includes(l))
  ) {
    return cannot(reason);
  }
  const k = topK(gate.metric);
  if (k === undefined)
    return cannot(`the gate metric "${gate.metric}" is not one predictions give (top1, top<k>)`);
  const evaluation = candidate.metadata.evaluation as Partial<EvaluationMetadata> | undefined;
  const dataVersion = evaluation?.dataVersion ?? candidate.lineage.dataVersion;
  const split = evaluation?.split;
  if (!dataVersion || !split) return cannot(`v${candidate.version} does not record its evaluation data`);
  const runtimes = container.isRegistered(Runtime, true) ? container.resolveAll(Runtime) : [];
  if (!container.isRegistered(ImageDecoder, true)) return cannot('no image decoder (add @mlops/plugin-tfjs)');
  if (!container.isRegistered(ArtifactStoreToken, true)) return cannot('no artifact store');
  const decoder = container.resolve(ImageDecoder);
  const store = container.resolve(ArtifactStoreToken);
  const images = await evaluationImages(store, { hash: dataVersion, kind: 'dir', size: 0 }, split).catch(
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  if (typeof images === 'string')
    return cannot(`the data ${dataVersion.slice(0, 12)} is not in the store (${images})`);
  if (images.length === 0)
    return cannot(`the ${split} split of data ${dataVersion.slice(0, 12)} has no images`);
  const models: LoadedModel[] = [];
  try {
    for (const version of [candidate, holder]) {
      const runtime = pickRuntime(runtimes, version);
      if (!runtime) return cannot(`no runtime can load v${version.version}`);
      models.push(await runtime.load(version));
    }
    logger?.info(
      `measuring v${holder.version} and v${candidate.version} on the ${split} split of data ${dataVersion.slice(0, 12)} (${images.length} images): ${reason}`,
    );
    const correct = [0, 0];
    const batchSize = options.batchSize ?? 64;
    for (let start = 0; start < images.length; start += batchSize) {
      const batch = images.slice(start, start + batchSize);
      const inputs: ImageInput[] = await mapLimit(batch, 8, async (image) =>
        decoder.decode(await store.getBytes(image.hash), MIME[extname(image.path).toLowerCase()]),
      );
      for (const [m, model] of models.entries()) {
        const predictions = await model.predict(inputs, k);
        predictions.forEach((prediction, i) => {
          const label = batch[i]?.label;
          if (prediction.top.slice(0, k).some((p) => p.label === label)) correct[m] = (correct[m] ?? 0) + 1;
        });
      }
    }
    return {
      metric: gate.metric,
      candidateVersion: candidate.version,
      holderVersion: holder.version,
      candidate: (correct[0] ?? 0) / images.length,
      holder: (correct[1] ?? 0) / images.length,
      on: `the ${split} split of data ${dataVersion.slice(0, 12)} (${images.length} images)`,
    };
  } finally {
    await Promise.all(models.map((model) => model.dispose().catch(() => undefined)));
  }
}

/** The highest-priority runtime that supports the version (registration order breaks ties). */
function pickRuntime(runtimes: readonly Runtime[], version: ModelVersion): Runtime | undefined {
  return runtimes
    .map((runtime, index) => ({ runtime, index }))
    .filter(({ runtime }) => runtime.supports(version))
    .sort((a, b) => (b.runtime.priority ?? 0) - (a.runtime.priority ?? 0) || a.index - b.index)[0]?.runtime;
}

/**
 * The images of one split of a stored dataset tree, with their labels (from its `classes.json`),
 * in the tree's path order. The gate measures versions on them; the server's web page offers a few
 * of them as samples.
 */
export async function evaluationImages(
  store: ArtifactStore,
  dataset: ArtifactRef,
  split: string,
): Promise<{ path: string; hash: string; label: string }[]> {
  const manifest = await store.getTree(dataset);
  const classesEntry = manifest.entries.find((e) => e.path === 'classes.json');
  if (!classesEntry) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_CORRUPT',
      `the stored dataset ${dataset.hash.slice(0, 12)} has no classes.json, so its images have no labels`,
      { hint: 'rerun the data stage to store the dataset again: mlops run data --force' },
    );
  }
  const classes = JSON.parse((await store.getBytes(classesEntry.hash)).toString('utf8')) as ClassesFile;
  const labelOf = new Map<string, string>();
  for (const label of classes.classes)
    for (const folder of classes.classMap[label] ?? []) labelOf.set(folder, label);
  return manifest.entries.flatMap((entry) => {
    const [first, folder] = entry.path.split('/');
    const label = folder === undefined ? undefined : labelOf.get(folder);
    return first === split && label !== undefined ? [{ path: entry.path, hash: entry.hash, label }] : [];
  });
}
