import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { type LoadedConfig, resolveUserConfig } from '../config/load-config.js';
import { CLASSES_FILE, makeClassesFile } from '../data/classes-file.js';
import { MlopsError } from '../errors.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { DataOutput } from '../pipeline/stage-outputs.js';
import { LocalModelRegistry } from '../registry/local-model-registry.js';
import { defaultRegistryActor } from '../registry/model-file-ops.js';
import { sameDataEvidence } from '../registry/same-data-evaluation.js';
import { ArtifactStore } from '../services/artifact-store.js';
import { Engine } from '../services/engine.js';
import type { Logger } from '../services/logger.js';
import {
  type AliasMove,
  ModelRegistry,
  type ModelSummary,
  type ModelVersion,
} from '../services/model-registry.js';
import { loadProject, type ProjectOptions } from './context.js';

/**
 * The project's registry: the one its plugins provide (W&B artifacts, a bucket), as runs and
 * `mlops serve` use it, so `mlops registry promote` moves the alias the server reads; the local
 * registry when the config has no plugins (or there is no config).
 */
export async function projectRegistry(
  options: ProjectOptions = {},
): Promise<{ registry: ModelRegistry; loaded?: LoadedConfig; pipeline?: Pipeline }> {
  const { storePath, loaded } = await loadProject(options);
  if (!loaded || loaded.config.plugins.length === 0) {
    return { registry: new LocalModelRegistry(storePath), ...(loaded ? { loaded } : {}) };
  }
  const config = { ...loaded.config, store: { ...loaded.config.store, path: storePath } };
  const pipeline = await Pipeline.create({ config });
  return { registry: pipeline.container.resolve(ModelRegistry), loaded, pipeline };
}

/** `mlops registry list`. */
export async function listModels(options: ProjectOptions = {}): Promise<ModelSummary[]> {
  return (await projectRegistry(options)).registry.listModels();
}

/** `mlops registry show <model>`: versions and alias history. */
export async function showModel(
  model: string,
  options: ProjectOptions = {},
): Promise<{ versions: ModelVersion[]; history: AliasMove[] }> {
  const { registry } = await projectRegistry(options);
  return { versions: await registry.listVersions(model), history: await registry.history(model) };
}

/** Options of {@link promoteModel}. */
export interface PromoteCommandOptions extends ProjectOptions {
  /** Skip the evaluation gate. */
  force?: boolean;
  /** Reason recorded in the history. */
  reason?: string;
  /** Where the measurement of both versions on the same data is reported. */
  logger?: Logger;
}

/**
 * `mlops registry promote <model> <version> <alias>`, gated by `registry.gate` from the config.
 * When the alias's holder was evaluated on other data than the candidate, and the project's
 * plugins can load and decode (a runtime, an image decoder), both are measured on the candidate's
 * evaluation split first, so the gate compares like with like.
 */
export async function promoteModel(
  model: string,
  version: number,
  alias: string,
  options: PromoteCommandOptions = {},
): Promise<AliasMove> {
  const { registry, loaded, pipeline } = await projectRegistry(options);
  const gate = loaded?.config.registry.gate;
  const evidence =
    gate && pipeline && !options.force
      ? await sameDataEvidence({
          registry,
          container: pipeline.container,
          candidate: await registry.resolve(model, { version }),
          alias,
          gate,
          ...(options.logger ? { logger: options.logger } : {}),
        })
      : undefined;
  return registry.promote(model, version, alias, {
    ...(gate ? { gate } : {}),
    ...(evidence ? { evidence } : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
    actor: defaultRegistryActor(),
  });
}

/** Options of {@link importCheckpoint}. */
export interface ImportCheckpointOptions extends ProjectOptions {
  /** Registry model to register it under. Default: the project's `registry.model`. */
  model?: string;
  /** Alias to point at the new version (e.g. `production`), with no gate: it has no evaluation. */
  alias?: string;
  /** Logger for the run. */
  logger?: Logger;
}

/** What {@link importCheckpoint} registered. */
export interface ImportedCheckpoint {
  /** Registry model. */
  model: string;
  /** The new version. */
  version: number;
  /** Aliases now pointing at it. */
  aliases: string[];
  /** The checkpoint's architecture. */
  architecture: string;
  /** The labels it was registered with. */
  labels: string[];
  /** The run that made the exports. */
  runId: string;
}

/**
 * `mlops registry import <checkpoint>`: registers a pretrained checkpoint (a timm
 * `model.safetensors` and its `config.json`, or `hf-hub:<repo>`) as a new version, untrained, so
 * `mlops serve` answers with it at once. The checkpoint decides the architecture, labels and
 * preprocessing; the project gives the store, the plugins (engine, exporters, registry) and the
 * export formats. It is a recorded run: the data stage is *provided* (the checkpoint's labels, no
 * images), `train.epochs` is 0, evaluation is skipped, and every export passes its parity gate.
 */
export async function importCheckpoint(
  checkpoint: string,
  options: ImportCheckpointOptions = {},
): Promise<ImportedCheckpoint> {
  const { loaded, storePath } = await loadProject(options);
  if (!loaded) {
    throw new MlopsError('MLOPS_ERR_CONFIG_NOT_FOUND', 'mlops registry import needs a project config', {
      hint: 'run it next to mlops.config.ts (its plugins provide the engine and the exporters), or pass --config',
    });
  }
  const base = loaded.config;
  const configFile = base.sources.find((source) =>
    /mlops\.config\.[cm]?[jt]s$|mlops\.config\.ya?ml$/.test(source),
  );
  const model = options.model ?? base.registry.model;
  const { config } = await resolveUserConfig(
    {
      project: base.project,
      store: { ...base.store, path: storePath },
      plugins: base.plugins,
      model: {
        initialCheckpoint:
          isAbsolute(checkpoint) || checkpoint.startsWith('hf-hub:')
            ? checkpoint
            : resolve(options.cwd ?? process.cwd(), checkpoint),
      },
      train: { epochs: 0, backend: base.train.backend },
      export: base.export,
      registry: { model, aliases: options.alias ? [options.alias] : [] },
      serve: base.serve,
    },
    { file: configFile ?? join(base.root, 'mlops.config.ts') },
  );
  const pipeline = await Pipeline.create({ config, ...(options.logger ? { logger: options.logger } : {}) });
  const engine = pipeline.resolve(Engine);
  if (!engine.describeCheckpoint) {
    throw new MlopsError('MLOPS_ERR_SERVICE_MISSING', `the ${engine.name} engine cannot read checkpoints`, {
      hint: 'add @mlops/plugin-tfjs to plugins',
    });
  }
  const described = await engine.describeCheckpoint(config);
  if (described.placeholderLabels) {
    (options.logger ?? console).warn(
      `${checkpoint} has no label names; registered with ${described.labels[0]}…${described.labels.at(-1)}`,
    );
  }
  const store = pipeline.resolve(ArtifactStore);
  const tree = await mkdtemp(join(tmpdir(), 'mlops-import-'));
  let data: DataOutput;
  try {
    const classMap = Object.fromEntries(described.labels.map((label, i) => [label, [`class_${i}`]]));
    await writeFile(
      join(tree, CLASSES_FILE),
      `${JSON.stringify(makeClassesFile(described.labels, classMap), null, 2)}\n`,
    );
    const dataset = await store.putDir(tree, { name: 'dataset' });
    data = { dataset, version: dataset.hash, classes: described.labels, splits: {}, counts: {}, skipped: [] };
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
  const result = await pipeline.run({
    stages: ['export'],
    provided: { data },
    skip: ['evaluate'],
    argv: ['registry', 'import', checkpoint, ...(options.alias ? ['--alias', options.alias] : [])],
  });
  const registered = result.outputs.export?.registered;
  if (!registered) {
    throw new MlopsError('MLOPS_ERR_STAGE_NO_OUTPUT', `${checkpoint} was exported but not registered`, {
      hint: 'a plugin replaced the export stage without registering; check the plugins',
    });
  }
  return {
    model: registered.model,
    version: registered.version,
    aliases: registered.aliases,
    architecture: described.architecture,
    labels: described.labels,
    runId: result.run.id,
  };
}
