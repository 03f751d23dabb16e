import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type MlopsPlugin } from '../../src/plugin/plugin.js';
import { DataSource } from '../../src/services/data-source.js';
import { Engine } from '../../src/services/engine.js';
import { Exporter } from '../../src/services/exporter.js';

/** Calls made to the test engine, to assert which stages really ran. */
export interface EngineCalls {
  build: number;
  train: number;
  evaluate: number;
  export: number;
}

/**
 * A test-only engine: "trains" by computing class frequencies, so the whole lifecycle (data source,
 * store, cache, registry, tracker, report) runs for real without a neural network.
 */
export function countingEnginePlugin(calls: EngineCalls, options: { failIn?: string } = {}): MlopsPlugin {
  return definePlugin({
    name: 'test-engine',
    version: '1.0.0',
    apply(api) {
      api.provide(DataSource, {
        name: 'generated',
        async prepare(ctx) {
          const root = join(ctx.workDir, 'generated');
          for (const split of ['train', 'validation', 'test']) {
            for (const label of ['cat', 'dog']) {
              await mkdir(join(root, split, label), { recursive: true });
              for (let i = 0; i < 3; i++)
                await writeFile(join(root, split, label, `${i}.png`), `${split}-${label}-${i}`);
            }
          }
          return root;
        },
      });
      api.provide(Engine, {
        name: 'counting',
        async buildModel(ctx) {
          calls.build += 1;
          const data = ctx.input('data');
          const model = await ctx.store.putBytes(
            new TextEncoder().encode(JSON.stringify({ classes: data.classes })),
          );
          return {
            model,
            architecture: 'counter',
            parameters: 2,
            inputShape: [1, 1, 1],
            numClasses: data.classes.length,
          };
        },
        async train(ctx) {
          calls.train += 1;
          if (options.failIn === 'train') throw new Error('diverged');
          const epochs = ctx.config.train.epochs;
          const progress = ctx.progress(epochs, 'train');
          for (let epoch = 1; epoch <= epochs; epoch++) {
            await ctx.epochEnd({
              epoch,
              epochs,
              metrics: { 'train/loss': 1 / epoch, 'val/top1': 0.5 + epoch / 100, lr: 0.01 },
              durationMs: 1,
              imagesPerSecond: 100,
              best: true,
            });
            progress.tick(1);
            if (ctx.signal.aborted) throw ctx.signal.reason;
          }
          progress.done();
          const model = await ctx.store.putBytes(
            new TextEncoder().encode(`trained ${ctx.config.train.lr ?? 'default'}`),
          );
          const history = await ctx.store.putBytes(new TextEncoder().encode('{}'));
          return {
            model,
            history,
            epochs,
            bestEpoch: epochs,
            metrics: { top1: 0.9 },
            backend: 'test',
            imagesPerSecond: 100,
          };
        },
        async evaluate(ctx) {
          calls.evaluate += 1;
          const classes = ctx.input('data').classes;
          return {
            split: 'test',
            metrics: { top1: 0.91, top5: 1, loss: 0.3 },
            confusionMatrix: [
              [3, 0],
              [1, 2],
            ],
            classes,
            roc: classes.map((label) => ({ label, auc: 0.9, fpr: [0, 1], tpr: [0, 1] })),
          };
        },
      });
      api.provide(Exporter, {
        format: 'tfjs',
        async export(ctx) {
          calls.export += 1;
          return [{ format: 'tfjs', artifact: ctx.input('train').model, details: {} }];
        },
      });
    },
  });
}

/** Options of {@link resumableEnginePlugin}. */
export interface ResumableEngineOptions {
  /** Wall time of each epoch, ms. Default 0. */
  epochDelayMs?: number;
  /** Called at the end of each epoch (after its checkpoint is written). */
  onEpoch?: (epoch: number) => void;
}

/**
 * A test engine that trains like the tfjs trainer resumes: a checkpoint (`state.json` in the train
 * stage's directory) after every epoch, a resumed run continuing after the last one, and a model
 * artifact that depends only on the config, so a resumed run reproduces an uninterrupted one's.
 */
export function resumableEnginePlugin(options: ResumableEngineOptions = {}): MlopsPlugin {
  const counting = countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 });
  return definePlugin({
    name: 'resumable-engine',
    version: '1.0.0',
    async apply(api) {
      await counting.apply(api);
      const engine = api.container.resolve(Engine);
      api.provide(Engine, {
        ...engine,
        name: 'resumable',
        buildModel: (ctx) => engine.buildModel(ctx),
        evaluate: (ctx) => engine.evaluate(ctx),
        async train(ctx) {
          const statePath = join(ctx.workDir, 'state.json');
          type EpochRecord = {
            epoch: number;
            metrics: Record<string, number>;
            durationMs: number;
            imagesPerSecond: number;
          };
          let history: EpochRecord[] = [];
          if (ctx.run.resumed) {
            history = JSON.parse(await readFile(statePath, 'utf8').catch(() => '{"history":[]}')).history;
          }
          const epochs = ctx.config.train.epochs;
          for (let epoch = history.length + 1; epoch <= epochs; epoch++) {
            await new Promise((resolve) => setTimeout(resolve, options.epochDelayMs ?? 0));
            const record = {
              epoch,
              metrics: { 'train/loss': 1 / epoch, 'val/top1': 0.5 + epoch / 100 },
              durationMs: options.epochDelayMs ?? 0,
              imagesPerSecond: 100,
            };
            history.push(record);
            await writeFile(statePath, JSON.stringify({ history }));
            await ctx.epochEnd({ ...record, epochs, best: true });
            options.onEpoch?.(epoch);
            if (ctx.signal.aborted) throw ctx.signal.reason;
          }
          const encode = (text: string) => new TextEncoder().encode(text);
          return {
            model: await ctx.store.putBytes(
              encode(`model lr=${ctx.config.train.lr ?? 'default'} epochs=${epochs}`),
            ),
            history: await ctx.store.putBytes(encode(history.map((r) => JSON.stringify(r)).join('\n'))),
            epochs,
            bestEpoch: epochs,
            metrics: { top1: 0.9 },
            backend: 'test',
            imagesPerSecond: 100,
          };
        },
      });
    },
  });
}
