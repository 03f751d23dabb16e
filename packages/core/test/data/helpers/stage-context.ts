import 'reflect-metadata';
import { join } from 'node:path';
import { container as rootContainer } from 'tsyringe';
import type { DataConfig, ResolvedConfig } from '../../../src/config/types.js';
import type { Progress, StageContext } from '../../../src/pipeline/stage-context.js';
import type { StageName, StageOutputs } from '../../../src/pipeline/stage-outputs.js';
import type { ArtifactInfo, ArtifactStore } from '../../../src/services/artifact-store.js';
import type { Logger } from '../../../src/services/logger.js';
import type { Tracker } from '../../../src/services/tracker.js';

/** Log lines a {@link fakeDataContext} collected. */
export interface Collected {
  logs: { level: string; message: string }[];
  artifacts: ArtifactInfo[];
  progress: { label: string; total: number; ticks: number; done?: string }[];
}

/** A StageContext<'data'> good enough for the data stage, over a real tsyringe child container. */
export function fakeDataContext(
  root: string,
  store: ArtifactStore,
  data: Partial<DataConfig>,
): { ctx: StageContext<'data'>; collected: Collected } {
  const collected: Collected = { logs: [], artifacts: [], progress: [] };
  const logger: Logger = {
    debug: (message) => collected.logs.push({ level: 'debug', message }),
    info: (message) => collected.logs.push({ level: 'info', message }),
    warn: (message) => collected.logs.push({ level: 'warn', message }),
    error: (message) => collected.logs.push({ level: 'error', message }),
    child: () => logger,
  };
  const config = {
    project: 'test',
    root,
    sources: [],
    store: { path: '.mlops' },
    plugins: [],
    data: {
      source: 'imagefolder',
      splits: { train: 'train', validation: 'validation', test: 'test' },
      validationFraction: 0.1,
      onCorrupt: 'skip',
      ...data,
    },
  } as unknown as ResolvedConfig;
  const ctx: StageContext<'data'> = {
    stage: 'data',
    run: { id: 'run-1', dir: join(root, '.mlops/runs/run-1'), resumed: false },
    config,
    container: rootContainer.createChildContainer(),
    store,
    logger,
    tracker: {} as Tracker,
    inputs: {},
    workDir: join(root, '.mlops/runs/run-1/data'),
    signal: new AbortController().signal,
    input<K extends StageName>(stage: K): StageOutputs[K] {
      throw new Error(`no input ${stage}`);
    },
    progress(total: number, label: string): Progress {
      const entry: Collected['progress'][number] = { label, total, ticks: 0 };
      collected.progress.push(entry);
      return {
        tick: (n = 1) => {
          entry.ticks += n;
        },
        done: (summary) => {
          entry.done = summary ?? '';
        },
      };
    },
    epochEnd: async () => {},
    artifact: async (info) => {
      collected.artifacts.push(info);
    },
  };
  return { ctx, collected };
}
