import { resolve } from 'node:path';
import { MlopsError } from '../errors.js';
import type { StageContext } from '../pipeline/stage-context.js';
import type { DataOutput } from '../pipeline/stage-outputs.js';
import { DataSource, ImageInspector } from '../services/data-source.js';
import { localCacheDir } from './cache-dir.js';
import { datasetTreeEntries } from './dataset-tree.js';
import { imageFolderSource } from './image-folder-source.js';
import { inspectImages } from './inspect-images.js';
import type { InspectionResult } from './inspection-cache.js';
import {
  IMAGE_EXTENSIONS,
  type ScannedImage,
  type ScanResult,
  scanImageFolder,
} from './scan-image-folder.js';
import { putTreeMemoized } from './tree-memo.js';

/** How many unreadable paths an `onCorrupt: 'error'` message lists. */
const MAX_LISTED = 20;

/**
 * Core's data stage: prepares the configured {@link DataSource}, scans the ImageFolder tree it
 * returns, checks every image with the registered {@link ImageInspector} (results cached by
 * content hash in `<store>/cache/inspected.json`), and stores the accepted images as one tree
 * (`<split>/<class folder>/<image>` plus `classes.json`). The tree hash is the data version.
 * Unreadable images are skipped and reported, or fail the stage with
 * `MLOPS_ERR_DATA_CORRUPT_IMAGE` when `data.onCorrupt` is `error`.
 */
export async function runDataStage(ctx: StageContext<'data'>): Promise<DataOutput> {
  const { data } = ctx.config;
  const source = findDataSource(ctx);
  const root = await source.prepare(ctx);
  const scan = await scanImageFolder(root, {
    splits: { train: data.splits.train, validation: data.splits.validation, test: data.splits.test },
    optionalSplits: ['test'],
    classMap: data.classMap,
    classes: data.classes,
    limitPerClass: data.limitPerClass,
    baseDir: ctx.config.root,
  });

  const inspector = ctx.container.isRegistered(ImageInspector, true)
    ? ctx.container.resolve(ImageInspector)
    : undefined;
  if (!inspector) ctx.logger.debug('no ImageInspector registered: images are stored without a decode check');
  const progress = ctx.progress(scan.files.length, 'checking images');
  const results = await inspectImages(
    scan.files.map((f) => f.path),
    { inspector, cacheDir: cacheDirOf(ctx), onImage: () => progress.tick() },
  );

  const accepted: { image: ScannedImage; info: InspectionResult | undefined }[] = [];
  const skipped: DataOutput['skipped'] = [];
  scan.files.forEach((image, i) => {
    const info = results[i];
    if (info && !info.ok)
      skipped.push({ path: image.path, reason: info.reason, split: image.split, label: image.label });
    else accepted.push({ image, info });
  });
  progress.done(`${accepted.length} images ok, ${skipped.length} unreadable`);
  if (skipped.length > 0) {
    if (data.onCorrupt === 'error') throw corruptImagesError(skipped);
    // A class left without training images cannot be learnt: stop here, not in the trainer.
    const lost = classesWithoutTrainingImages(
      scan,
      accepted.map((a) => a.image),
    );
    if (lost.length > 0) throw unreadableClassesError(lost, skipped);
    ctx.logger.warn(
      `skipping ${skipped.length} unreadable image(s):\n${skipped.map((s) => `  ${s.path}: ${s.reason}`).join('\n')}`,
    );
  }
  if (scan.ignored > 0) {
    ctx.logger.warn(
      `ignored ${scan.ignored} file(s) in class folders that are not images (${IMAGE_EXTENSIONS.join(', ')})`,
      { root },
    );
  }

  const entries = await datasetTreeEntries(
    scan,
    accepted.map((a) => a.image),
    ctx.workDir,
  );
  const dataset = await putTreeMemoized(ctx.store, entries, { cacheDir: cacheDirOf(ctx), name: 'dataset' });

  const counts: DataOutput['counts'] = {};
  const splits: DataOutput['splits'] = {};
  for (const split of Object.keys(scan.splits)) {
    counts[split] = Object.fromEntries(scan.classes.map((label) => [label, 0]));
    splits[split] = 0;
  }
  for (const { image } of accepted) {
    const perClass = counts[image.split];
    if (perClass) perClass[image.label] = (perClass[image.label] ?? 0) + 1;
    splits[image.split] = (splits[image.split] ?? 0) + 1;
  }
  const output: DataOutput = {
    dataset,
    version: dataset.hash,
    classes: scan.classes,
    splits,
    counts,
    skipped,
  };
  if (scan.ignored > 0) output.ignored = scan.ignored;
  const shape = uniformShape(accepted.map((a) => a.info));
  if (shape) output.imageShape = shape;
  await ctx.artifact({
    ref: dataset,
    stage: 'data',
    meta: { version: dataset.hash, classes: scan.classes, splits },
  });
  ctx.logger.info(`data version ${dataset.hash.slice(0, 12)}`, {
    root,
    splits,
    classes: scan.classes.length,
  });
  return output;
}

/**
 * The data source named by `data.source`: the last registered one of that name (so a plugin can
 * replace a built-in), with core's `imagefolder` available even when nothing registered it.
 */
function findDataSource(ctx: StageContext<'data'>): DataSource {
  const registered = ctx.container.isRegistered(DataSource, true) ? ctx.container.resolveAll(DataSource) : [];
  const sources = [imageFolderSource, ...registered];
  const name = ctx.config.data.source;
  const found = sources.findLast((s) => s.name === name);
  if (found) return found;
  const names = [...new Set(sources.map((s) => s.name))].sort().join(', ');
  throw new MlopsError(
    'MLOPS_ERR_CONFIG_INVALID',
    `data.source "${name}" is not a registered data source (registered: ${names})`,
    {
      hint: 'Set data.source to one of those, or add the plugin that provides it (fashion-mnist and mnist come with @mlops/plugin-tfjs).',
    },
  );
}

function cacheDirOf(ctx: StageContext<'data'>): string {
  return localCacheDir(ctx.store) ?? resolve(ctx.config.root, ctx.config.store.path, 'cache');
}

function corruptImagesError(skipped: DataOutput['skipped']): MlopsError {
  const listed = skipped
    .slice(0, MAX_LISTED)
    .map((s) => `  ${s.path}: ${s.reason}`)
    .join('\n');
  const more = skipped.length > MAX_LISTED ? `\n  ... and ${skipped.length - MAX_LISTED} more` : '';
  return new MlopsError(
    'MLOPS_ERR_DATA_CORRUPT_IMAGE',
    `${skipped.length} image(s) cannot be decoded:\n${listed}${more}`,
    {
      file: skipped[0]?.path,
      hint: "Delete or replace those files, or set data.onCorrupt: 'skip' to leave them out of the dataset.",
    },
  );
}

/** Labels that had training images, none of which could be read. */
function classesWithoutTrainingImages(scan: ScanResult, accepted: readonly ScannedImage[]): string[] {
  const readable = new Set(accepted.filter((image) => image.split === 'train').map((image) => image.label));
  return scan.classes.filter((label) => (scan.counts.train?.[label] ?? 0) > 0 && !readable.has(label));
}

function unreadableClassesError(labels: string[], skipped: DataOutput['skipped']): MlopsError {
  const sections = labels.map((label) => {
    const files = skipped.filter((s) => s.label === label && s.split === 'train');
    const listed = files
      .slice(0, MAX_LISTED)
      .map((s) => `    ${s.path}: ${s.reason}`)
      .join('\n');
    const more = files.length > MAX_LISTED ? `\n    ... and ${files.length - MAX_LISTED} more` : '';
    return `  class "${label}": all ${files.length} training image(s) are unreadable:\n${listed}${more}`;
  });
  return new MlopsError(
    'MLOPS_ERR_DATA_CORRUPT_IMAGE',
    `${labels.length === 1 ? `class "${labels[0]}" has` : `${labels.length} classes have`} no readable training image:\n${sections.join('\n')}`,
    {
      file: skipped.find((s) => s.label === labels[0])?.path,
      hint: `Replace those files with readable images, or leave the class out (data.classes / data.classMap).`,
    },
  );
}

function uniformShape(infos: (InspectionResult | undefined)[]): [number, number, number] | undefined {
  let shape: [number, number, number] | undefined;
  for (const info of infos) {
    if (!info?.ok) return undefined;
    if (!shape) shape = [info.height, info.width, info.channels];
    else if (shape[0] !== info.height || shape[1] !== info.width || shape[2] !== info.channels)
      return undefined;
  }
  return shape;
}
