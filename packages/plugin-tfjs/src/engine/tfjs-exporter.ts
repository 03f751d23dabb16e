import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ExportedModel,
  type Exporter,
  type InputPreprocessing,
  preprocessingOf,
  type StageContext,
} from '@mlops/core';

/** What a runtime needs besides the weights, written as `preprocessing.json` beside the model. */
export type TfjsPreprocessing = InputPreprocessing;

/**
 * Exports the trained model in TensorFlow.js format: `model/` (model.json + weights.bin, loadable
 * by tfjs in Node and the browser), `labels.json` and `preprocessing.json`.
 */
export class TfjsExporter implements Exporter {
  readonly format = 'tfjs';

  async export(ctx: StageContext<'export'>): Promise<ExportedModel[]> {
    const { config } = ctx;
    const data = ctx.input('data');
    const trained = await ctx.store.localPath(ctx.input('train').model);
    const dir = await mkdtemp(join(ctx.workDir, 'tfjs-'));
    try {
      await mkdir(join(dir, 'model'));
      await cp(trained, join(dir, 'model'), { recursive: true });
      const preprocessing: TfjsPreprocessing = preprocessingOf(config);
      await writeFile(join(dir, 'labels.json'), `${JSON.stringify(data.classes, null, 2)}\n`);
      await writeFile(join(dir, 'preprocessing.json'), `${JSON.stringify(preprocessing, null, 2)}\n`);
      const artifact = await ctx.store.putDir(dir, { name: 'tfjs' });
      await ctx.artifact({ ref: artifact, stage: 'export', meta: { format: 'tfjs' } });
      return [
        {
          format: 'tfjs',
          artifact,
          details: {
            files: ['model/model.json', 'model/weights.bin', 'labels.json', 'preprocessing.json'],
            bytes: artifact.size,
          },
        },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
