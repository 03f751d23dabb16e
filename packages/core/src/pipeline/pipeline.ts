import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { configDefaults } from '../config/defaults.js';
import type { ResolvedConfig } from '../config/types.js';
import { imageFolderSource } from '../data/image-folder-source.js';
import { isMlopsError, MlopsError } from '../errors.js';
import { createLifecycleHooks, type LifecycleHooks } from '../hooks/lifecycle-hooks.js';
import { ConsoleLogger } from '../logging/console-logger.js';
import { createProgress } from '../logging/progress.js';
import { applyPlugins } from '../plugin/apply-plugins.js';
import type { MlopsPlugin, PluginApi, PluginCommand } from '../plugin/plugin.js';
import { LocalModelRegistry } from '../registry/local-model-registry.js';
import { formatGitSha, gitInfo } from '../runs/git-info.js';
import { packageVersions } from '../runs/package-versions.js';
import { isAttemptAlive, isServeSession } from '../runs/run-liveness.js';
import type { RunRecord } from '../runs/run-record.js';
import { RunStore } from '../runs/run-store.js';
import { type ArtifactRef, ArtifactStore } from '../services/artifact-store.js';
import { DataSource } from '../services/data-source.js';
import { Engine } from '../services/engine.js';
import { Exporter } from '../services/exporter.js';
import { Logger } from '../services/logger.js';
import { ModelRegistry } from '../services/model-registry.js';
import { type RunEndStatus, type TrackedSweep, Tracker } from '../services/tracker.js';
import { LocalArtifactStore } from '../store/local-artifact-store.js';
import { computeStageKey, StageCache, type StageKeyParts } from '../store/stage-cache.js';
import { ensureStoreRoot } from '../store/store-root.js';
import { CompositeTracker } from '../tracker/composite-tracker.js';
import { LocalTracker } from '../tracker/local-tracker.js';
import { RUN_FILES } from '../tracker/run-files.js';
import { hashJson } from '../util/hash.js';
import type { JsonObject } from '../util/json.js';
import { CORE_TAP_NAME, corePlugin, EXPORTER_PACKAGES } from './core-plugin.js';
import { createPipelineContainer } from './di-container.js';
import { interruptSignal } from './interrupt.js';
import { configDifferences, evaluationPrefix, formatSetOverride, whyStageRan } from './run-explanations.js';
import { RunJournal, recordedOutputs, type StageEntry } from './run-journal.js';
import type { RunInfo, StageContext } from './stage-context.js';
import { callStageHook, setStageOutput } from './stage-hook.js';
import { STAGES, type StageName, type StageOutputs } from './stage-outputs.js';
import { PROVIDER_HINTS, STAGE_RULES, type StageProvider, stageRule } from './stage-rules.js';

/** Options of {@link Pipeline.create}. */
export interface PipelineOptions {
  /** The resolved config. */
  config: ResolvedConfig;
  /** Logger; default a console logger on stderr. */
  logger?: Logger;
}

/** Options of {@link Pipeline.run}. */
export interface RunOptions {
  /**
   * Stages to run. The pipeline runs every stage up to the last one named (earlier ones come from
   * the cache when unchanged). Default: data → export (serve only when named).
   */
  stages?: StageName[];
  /** Rerun these stages (or all with `true`) even when cached. */
  force?: boolean | StageName[];
  /** Continue an interrupted run: its id, or `latest` (the newest run that is not pruned). */
  resume?: string;
  /** Stops the run at the next safe point. Default: Ctrl-C / SIGTERM. */
  signal?: AbortSignal;
  /** Command line recorded in the run. */
  argv?: string[];
  /**
   * Outputs the caller supplies: these stages do not run and are recorded as `provided`
   * (`mlops registry import` provides the data stage's labels from the checkpoint).
   */
  provided?: Partial<StageOutputs>;
  /**
   * Stages to leave out, recorded as `skipped`: their output stays absent for later stages
   * (registration without an evaluation, for a checkpoint imported without data).
   */
  skip?: StageName[];
  /** The sweep this run is a trial of (`mlops sweep`): trackers link the run to it. */
  sweep?: TrackedSweep;
}

/** What a stage did in a run. */
export interface StageReport {
  /** The stage. */
  stage: StageName;
  /** `ran`, `cached`, `provided` by the caller, or `skipped`. */
  status: 'ran' | 'cached' | 'provided' | 'skipped';
  /** Wall time in ms. */
  durationMs: number;
  /** Cache key of its inputs. */
  cacheKey: string;
}

/** Result of {@link Pipeline.run}. */
export interface RunResult {
  /** The run record as finally written. */
  run: RunRecord;
  /** Outputs of every stage that completed. */
  outputs: Partial<StageOutputs>;
  /** Per-stage report, in order. */
  stages: StageReport[];
  /** The run's directory (run.json, metrics.jsonl, report.html). */
  dir: string;
  /**
   * True when `--resume` named a run that had already succeeded: nothing ran and nothing was
   * written; `run`, `outputs` and `stages` are the recorded ones.
   */
  alreadySucceeded?: boolean;
}

/** Stages `mlops run` runs when none are named. */
export const DEFAULT_STAGES: readonly StageName[] = ['data', 'model', 'train', 'evaluate', 'export'];

/**
 * The lifecycle: plugins tap stage hooks and provide services; `run` executes the stages in order,
 * reusing cached outputs whose inputs are unchanged, and records everything in the run store.
 */
export class Pipeline {
  /** The typed hooks. */
  readonly hooks: LifecycleHooks;
  /** The pipeline's DI container (a child of tsyringe's root). */
  readonly container: DependencyContainer;
  /** The resolved config. */
  readonly config: ResolvedConfig;
  /** Commands added by plugins. */
  readonly commands: PluginCommand[] = [];
  /** Plugins in application order (core first). */
  plugins: MlopsPlugin[] = [];
  /** Absolute path of the local store. */
  readonly storePath: string;
  private readonly logger: Logger;

  private constructor(options: PipelineOptions) {
    this.config = options.config;
    this.hooks = createLifecycleHooks();
    this.container = createPipelineContainer();
    this.logger = options.logger ?? new ConsoleLogger();
    this.storePath = resolve(this.config.root, this.config.store.path);
  }

  /** Creates a pipeline: registers core services, then applies the config's plugins. */
  static async create(options: PipelineOptions): Promise<Pipeline> {
    const pipeline = new Pipeline(options);
    await pipeline.setup();
    return pipeline;
  }

  private async setup(): Promise<void> {
    const store = new LocalArtifactStore(this.storePath);
    this.container.register(Logger, { useValue: this.logger });
    this.container.register(ArtifactStore, { useValue: store });
    this.container.register(ModelRegistry, { useValue: new LocalModelRegistry(this.storePath) });
    this.plugins = await applyPlugins([corePlugin(), ...this.config.plugins], (plugin) =>
      this.apiFor(plugin),
    );
  }

  private apiFor(plugin: MlopsPlugin): PluginApi {
    const pipeline = this;
    return {
      hooks: this.hooks,
      container: this.container,
      config: this.config,
      logger: this.logger.child({ plugin: plugin.name }),
      provide<T>(token: InjectionToken<T>, value: T) {
        pipeline.container.register(token, { useValue: value });
      },
      command(command: PluginCommand) {
        pipeline.commands.push(command);
      },
    };
  }

  /** Resolves a service, with a clear error when no plugin provides it. */
  resolve<T>(token: InjectionToken<T>, hint?: string): T {
    if (!this.container.isRegistered(token, true)) {
      throw new MlopsError(
        'MLOPS_ERR_SERVICE_MISSING',
        `no ${String(token).replace(/^Symbol\(mlops\.|\)$/g, '')} service is registered`,
        {
          hint: hint ?? 'add the plugin that provides it to `plugins` in mlops.config.ts',
        },
      );
    }
    return this.container.resolve(token);
  }

  /** Plugin name → version, part of every cache key. */
  pluginVersions(): Record<string, string> {
    return Object.fromEntries(this.plugins.map((plugin) => [plugin.name, plugin.version ?? '0.0.0']));
  }

  /** Runs the lifecycle. */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const wanted = options.stages?.length ? options.stages : DEFAULT_STAGES;
    for (const stage of wanted) {
      if (!STAGES.includes(stage)) {
        throw new MlopsError('MLOPS_ERR_STAGE_UNKNOWN', `unknown stage "${stage}"`, {
          hint: `stages: ${STAGES.join(', ')}`,
        });
      }
    }
    const last = Math.max(...wanted.map((stage) => STAGES.indexOf(stage)));
    // Serving alone reads the registry, not this run's outputs: `mlops serve` trains nothing.
    const serveOnly = wanted.length === 1 && wanted[0] === 'serve';
    const stages: StageName[] = serveOnly ? ['serve'] : STAGES.slice(0, last + 1);
    const forced = (stage: StageName) =>
      options.force === true || (Array.isArray(options.force) && options.force.includes(stage));

    // Every stage this run asks for has a provider: a missing exporter fails now, not after training.
    this.checkProviders(stages, options);

    const store = this.container.resolve(ArtifactStore);
    await ensureStoreRoot(this.storePath);
    const runs = new RunStore(this.storePath);
    const cache = new StageCache(this.storePath, store);

    let opened: { journal: RunJournal; record: RunRecord };
    if (options.resume) {
      const earlier = await this.resumable(runs, options.resume);
      if (earlier.status === 'succeeded') {
        this.logger.info(`run ${earlier.id} already succeeded: nothing to resume`);
        return {
          run: earlier,
          outputs: recordedOutputs(earlier),
          stages: [],
          dir: runs.runDir(earlier.id),
          alreadySucceeded: true,
        };
      }
      opened = await RunJournal.reopen(runs, earlier.id);
    } else {
      opened = await RunJournal.open(runs, {
        project: this.config.project,
        config: configToJson(this.config),
        argv: options.argv ?? process.argv.slice(2),
        git: await gitInfo(this.config.root),
        packages: {
          ...(await packageVersions(['@mlops/core', ...this.plugins.map((p) => p.name)], this.config.root)),
          ...this.pluginVersions(),
        },
        ...(serveOnly ? { kind: 'serve' as const } : {}),
      });
    }
    const { journal, record } = opened;
    const interrupt = options.signal ? undefined : interruptSignal();
    const signal = options.signal ?? (interrupt as { signal: AbortSignal }).signal;
    const run: RunInfo = {
      id: record.id,
      dir: journal.dir,
      resumed: Boolean(options.resume),
      ...(record.git ? { gitSha: formatGitSha(record.git) } : {}),
    };
    const local = new LocalTracker({ dir: run.dir, logger: this.logger });
    const tracker = new CompositeTracker(
      [local, ...(this.container.isRegistered(Tracker, true) ? this.container.resolveAll(Tracker) : [])],
      this.logger,
    );
    const outputs: Partial<StageOutputs> = {};
    const reports: StageReport[] = [];
    const started = Date.now();
    // Earlier runs of the project, read once, for the reasons a stage ran instead of being cached.
    let earlierRuns: Promise<RunRecord[]> | undefined;
    const history = () => {
      earlierRuns ??= runs
        .list({ limit: 200 })
        .then((list) =>
          list.filter((r) => r.id !== run.id && r.project === this.config.project && !isServeSession(r)),
        );
      return earlierRuns;
    };
    // A beat every 30 s besides those of each stage and epoch: where the run's time ends if the
    // process is killed.
    const heartbeat = setInterval(() => void journal.heartbeat().catch(() => undefined), 30_000);
    heartbeat.unref();
    let status: RunEndStatus = 'succeeded';
    let failure: unknown;
    let current: StageName | undefined;

    await tracker.start({
      id: run.id,
      project: this.config.project,
      config: configToJson(this.config),
      dir: run.dir,
      resumed: run.resumed,
      ...(options.sweep ? { sweep: options.sweep } : {}),
    });
    tracker.logParams(configToJson(this.config));
    try {
      // Inside the try: a throwing runStart tap fails the run like a failing stage would.
      await this.hooks.runStart.promise({ run, config: this.config, stages: [...stages] });
      for (const stage of stages) {
        current = stage;
        if (signal.aborted) throw signal.reason;
        const given = options.provided?.[stage];
        if (given !== undefined || options.skip?.includes(stage)) {
          const report = await this.recordNotRun(stage, journal, outputs, given);
          reports.push(report);
          this.logger.info(`${stage}: ${report.status}`);
          continue;
        }
        const report = await this.runStage(stage, {
          run,
          store,
          cache,
          journal,
          tracker,
          outputs,
          signal,
          force: forced(stage),
          history,
          flushLocal: () => local.flush(),
        });
        reports.push(report);
        this.logger.info(
          `${stage}: ${report.status}${report.status === 'ran' ? ` in ${formatDuration(report.durationMs)}` : ' (inputs unchanged)'}`,
        );
      }
    } catch (error) {
      failure = error;
      // A sweep's early stopping aborts with a coded reason: the run is pruned, not interrupted.
      status = !signal.aborted
        ? 'failed'
        : isMlopsError(signal.reason, 'MLOPS_ERR_RUN_PRUNED')
          ? 'pruned'
          : 'interrupted';
      // An observer that fails too must not keep the run from being recorded as ended.
      await this.hooks.error
        .promise({ error, stage: current, run })
        .catch((hookError: unknown) =>
          this.logger.warn(
            `an error hook failed: ${hookError instanceof Error ? hookError.message : String(hookError)}`,
          ),
        );
    } finally {
      interrupt?.dispose();
      clearInterval(heartbeat);
    }
    const ended = new Date();
    // Every attempt's time: a resumed run counts the part before its interruption too.
    const final = await journal.finish({
      status,
      // A pruned run keeps the sweep's reason (which sweep, epoch, cutoff), not what the stage threw.
      error: status === 'pruned' ? signal.reason : failure,
      ...(current ? { stage: current } : {}),
      metrics: runMetrics(outputs, this.config),
      endedAt: ended,
    });
    const durationMs = final.durationMs ?? ended.getTime() - started;
    await this.hooks.runEnd.promise({ run, status, outputs, durationMs });
    await tracker.finish(status);
    if (failure !== undefined) {
      if (status === 'pruned') {
        throw new MlopsError('MLOPS_ERR_RUN_PRUNED', `run ${run.id} ${(signal.reason as Error).message}`, {
          hint: 'a pruned run is final: `mlops run --resume` passes over it',
          cause: failure,
        });
      }
      if (status === 'interrupted') {
        const during = current ? `during ${current}` : 'before its first stage';
        throw new MlopsError('MLOPS_ERR_RUN_INTERRUPTED', `run ${run.id} interrupted ${during}`, {
          hint: `continue it with: mlops run --resume ${run.id}`,
          // The interruption (which signal: the CLI's exit code) caused it; what the stage threw on
          // its way out is in the run's record.
          cause: signal.reason,
        });
      }
      throw failure;
    }
    return { run: final, outputs, stages: reports, dir: run.dir };
  }

  /** Records a stage the caller provided the output of, or asked to skip. */
  private async recordNotRun<S extends StageName>(
    stage: S,
    journal: RunJournal,
    outputs: Partial<StageOutputs>,
    given: StageOutputs[S] | undefined,
  ): Promise<StageReport> {
    if (given !== undefined) setStageOutput(outputs, stage, given);
    await journal.notRun(stage, given);
    return { stage, status: given === undefined ? 'skipped' : 'provided', durationMs: 0, cacheKey: '' };
  }

  /**
   * Runs one stage, or reuses its output, by its rules ({@link STAGE_RULES}): from the stage cache
   * when its inputs are unchanged, from the record when a resumed run had finished it; otherwise
   * its hook runs, and the journal records it running, then failed or ran.
   */
  private async runStage<S extends StageName>(stage: S, env: StageEnv): Promise<StageReport> {
    const { run, cache, journal, outputs } = env;
    const rule = stageRule(stage);
    const upstream = Object.fromEntries(
      Object.entries(outputs).map(([name, output]) => [name, hashJson(output)]),
    );
    const keyParts: StageKeyParts = {
      stage,
      config: rule.configSlice(this.config),
      upstream,
      plugins: this.pluginVersions(),
    };
    const started = Date.now();
    const entry: StageEntry = {
      cacheKey: computeStageKey(keyParts),
      startedAt: new Date(started).toISOString(),
      inputs: upstream,
    };

    const previous =
      rule.cache.by === 'inputs' && !env.force && !run.resumed
        ? await cache.get<StageOutputs[S]>(stage, entry.cacheKey)
        : undefined;
    if (previous) {
      const output = previous.output;
      setStageOutput(outputs, stage, output);
      await journal.cached(stage, entry, output);
      await this.hooks.stageEnd.promise({ stage, run, status: 'cached', durationMs: 0, output });
      return { stage, status: 'cached', durationMs: 0, cacheKey: entry.cacheKey };
    }
    const finished = run.resumed ? await journal.finishedEarlier(stage) : undefined;
    if (finished) {
      setStageOutput(outputs, stage, finished.output);
      return { stage, status: 'cached', durationMs: 0, cacheKey: finished.cacheKey };
    }

    // Why it runs (a stage cached by its output says after it has run).
    if (rule.cache.by === 'inputs') {
      entry.reason = await this.explain(stage, keyParts, entry.cacheKey, env);
      this.logger.info(`${stage}: running: ${entry.reason.join('; ')}`);
    }
    const { config, notes } = rule.adjustConfig?.(this.config, outputs) ?? { config: this.config, notes: [] };
    entry.notes = [...notes];
    for (const note of notes) this.logger.warn(`${stage}: ${note}`);

    await this.hooks.stageStart.promise({ stage, run, cacheKey: entry.cacheKey });
    await journal.running(stage, entry);
    const workDir = join(run.dir, 'stages', stage);
    await mkdir(workDir, { recursive: true });
    const ctx = this.stageContext(stage, { ...env, workDir, config });
    let output: StageOutputs[S];
    try {
      const produced = await callStageHook(this.hooks, stage, ctx);
      if (produced === undefined) {
        throw new MlopsError(
          'MLOPS_ERR_STAGE_NO_OUTPUT',
          `no plugin produced the output of the ${stage} stage`,
          { hint: PROVIDER_HINTS[rule.provider] },
        );
      }
      output = produced;
    } catch (error) {
      await journal.failed(stage, entry, Date.now() - started, error);
      throw error;
    }
    const durationMs = Date.now() - started;
    setStageOutput(outputs, stage, output);
    let status: 'ran' | 'cached' = 'ran';
    if (rule.cache.by === 'output') {
      const ownParts = { ...keyParts, upstream: rule.cache.key(output) };
      entry.cacheKey = computeStageKey(ownParts);
      if (!env.force && (await cache.get(stage, entry.cacheKey))) status = 'cached';
      else {
        entry.reason = await this.explain(stage, ownParts, entry.cacheKey, env);
        this.logger.info(`${stage}: new ${rule.cache.what}: ${entry.reason.join('; ')}`);
      }
    }
    for (const note of rule.outputNotes?.(output, this.config) ?? []) {
      entry.notes.push(note);
      this.logger.warn(`${stage}: ${note}`);
    }
    if (run.resumed) await this.restoreEpochMetrics(rule.epochHistory?.(output), env);
    if (rule.cache.by !== 'never') await cache.put(stage, entry.cacheKey, output, run.id);
    await journal.ran(stage, entry, durationMs, output, status);
    await this.hooks.stageEnd.promise({ stage, run, status, durationMs, output });
    return { stage, status, durationMs, cacheKey: entry.cacheKey };
  }

  /** Why a stage runs instead of coming from the cache (see {@link whyStageRan}). */
  private async explain(
    stage: StageName,
    parts: StageKeyParts,
    cacheKey: string,
    env: StageEnv,
  ): Promise<string[]> {
    if (env.force) return ['forced (--force)'];
    if (env.run.resumed) return ['resumed: the interrupted run had not finished it'];
    return whyStageRan({
      stage,
      parts,
      cacheKey,
      dataVersion: env.outputs.data?.version,
      history: await env.history(),
      configSlice: (config) => STAGE_RULES[stage].configSlice(config),
    });
  }

  /**
   * After a resumed stage with an epoch history (train): epochs finished before the interruption whose metrics never
   * reached `metrics.jsonl` (the process was killed before they were written) are logged from the
   * trainer's history, so the curves and the report start at epoch 1.
   */
  private async restoreEpochMetrics(history: ArtifactRef | undefined, env: StageEnv): Promise<void> {
    if (!history) return;
    await env.flushLocal();
    const logged = new Set<number>();
    const text = await readFile(join(env.run.dir, RUN_FILES.metrics), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const step = parseJsonLine(line)?.step;
      if (typeof step === 'number') logged.add(step);
    }
    let restored = 0;
    const lines = (await env.store.getBytes(history).catch(() => Buffer.alloc(0))).toString('utf8');
    for (const line of lines.split('\n')) {
      const record = parseJsonLine(line);
      const epoch = record?.epoch;
      const metrics = record?.metrics;
      if (typeof epoch !== 'number' || logged.has(epoch) || !isNumberRecord(metrics)) continue;
      env.tracker.logMetrics(
        {
          ...metrics,
          ...(typeof record?.imagesPerSecond === 'number'
            ? { 'perf/images_per_second': record.imagesPerSecond }
            : {}),
          ...(typeof record?.durationMs === 'number'
            ? { 'perf/epoch_seconds': record.durationMs / 1000 }
            : {}),
        },
        epoch,
      );
      restored += 1;
    }
    if (restored > 0) {
      await env.flushLocal();
      this.logger.info(`train: restored the metrics of ${restored} epoch(s) from before the interruption`);
    }
  }

  /**
   * Checks, before anything runs, that every stage of the run has a provider: a data source for
   * `data.source`, an engine for model/train/evaluate, an exporter for each of `export.formats`, a
   * server for `serve`. Stages a plugin replaces (a tap besides core's) are its business.
   */
  private checkProviders(stages: readonly StageName[], options: RunOptions): void {
    const { container, config } = this;
    const pending = stages.filter(
      (stage) =>
        options.provided?.[stage] === undefined &&
        !options.skip?.includes(stage) &&
        !this.hooks[stage].taps.some((tap) => tap.name !== CORE_TAP_NAME),
    );
    const providedBy = (provider: StageProvider, among: readonly StageName[] = pending) =>
      among.filter((stage) => STAGE_RULES[stage].provider === provider);
    const problems: string[] = [];
    const hints: string[] = [];
    if (providedBy('data-source').length > 0) {
      const registered = container.isRegistered(DataSource, true) ? container.resolveAll(DataSource) : [];
      const names = [...new Set([imageFolderSource, ...registered].map((source) => source.name))].sort();
      if (!names.includes(config.data.source)) {
        problems.push(
          `data.source "${config.data.source}" is not a registered data source (registered: ${names.join(', ')})`,
        );
        hints.push(PROVIDER_HINTS['data-source']);
      }
    }
    const engineStages = providedBy('engine');
    if (engineStages.length > 0 && !container.isRegistered(Engine, true)) {
      problems.push(
        `the ${engineStages.join(', ')} stage${engineStages.length > 1 ? 's need' : ' needs'} an engine, and no plugin provides one`,
      );
      hints.push(PROVIDER_HINTS.engine);
    }
    if (providedBy('exporter').length > 0) {
      const formats = (container.isRegistered(Exporter, true) ? container.resolveAll(Exporter) : []).map(
        (e) => e.format,
      );
      for (const format of config.export.formats) {
        if (formats.includes(format)) continue;
        problems.push(
          `export.formats names "${format}", and no plugin exports it (exporters: ${formats.join(', ') || 'none'})`,
        );
        hints.push(
          `${EXPORTER_PACKAGES[format] ? `add ${EXPORTER_PACKAGES[format]} to plugins` : `add the plugin that exports ${format}`}, or remove "${format}" from export.formats`,
        );
      }
    }
    // Serving has no default: some plugin taps its hook, even when it replaces the stage.
    if (providedBy('server', stages).some((stage) => this.hooks[stage].taps.length === 0)) {
      problems.push('serving needs a server, and no plugin provides one');
      hints.push(PROVIDER_HINTS.server);
    }
    if (problems.length === 0) return;
    throw new MlopsError(
      'MLOPS_ERR_SERVICE_MISSING',
      problems.length === 1
        ? (problems[0] as string)
        : `this run cannot finish (${problems.length} problems):\n  ${problems.join('\n  ')}`,
      { hint: `${hints.join('; ')} (nothing ran)` },
    );
  }

  /**
   * The run `--resume` continues: not a serve session, not still running in a live process, and
   * started with this config (resuming with other settings would train something else).
   */
  private async resumable(runs: RunStore, id: string): Promise<RunRecord> {
    // `latest` is the newest run that can be continued: pruned runs are final, serve sessions no runs.
    const record =
      id === 'latest'
        ? ((await runs.list()).find((r) => !isServeSession(r) && r.status !== 'pruned') ??
          (await runs.get(id)))
        : await runs.get(id);
    if (record.status === 'pruned') {
      throw new MlopsError(
        'MLOPS_ERR_RUN_PRUNED',
        `run ${record.id} was pruned${record.error ? ` (${record.error.message})` : ''}: it is final and cannot be resumed`,
        {
          hint: `start a new run instead: mlops run ${(record.argv ?? []).flatMap((arg, i, argv) => (argv[i - 1] === '--set' ? ['--set', arg] : [])).join(' ')}`.trim(),
        },
      );
    }
    if (isServeSession(record)) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `run ${record.id} is an \`mlops serve\` session, not a training run: there is nothing to resume`,
        { hint: '`mlops runs list` shows the runs; `mlops run --resume` continues the latest training run' },
      );
    }
    if (record.status === 'succeeded') return record;
    const owner = record.attempts?.at(-1);
    if (record.status === 'running' && owner && owner.endedAt === null && isAttemptAlive(owner)) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `run ${record.id} is still running (pid ${owner.pid} on ${owner.host})`,
        { hint: `stop that process (Ctrl-C) first, then: mlops run --resume ${record.id}` },
      );
    }
    const differences = configDifferences(
      record.config,
      configToJson(this.config),
      configDefaults() as unknown as JsonObject,
    );
    if (differences.length > 0) {
      const listed = differences
        .slice(0, 10)
        .map(
          (d) =>
            `${d.key}: ${JSON.stringify(d.run) ?? 'unset'} in the run, ${JSON.stringify(d.now) ?? 'unset'} now`,
        )
        .join('; ');
      const sets = differences.filter((d) => d.run !== undefined).map((d) => formatSetOverride(d.key, d.run));
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `run ${record.id} was started with another config (${listed}${differences.length > 10 ? `; and ${differences.length - 10} more` : ''})`,
        { hint: `resume it with its own settings: mlops run --resume ${record.id} ${sets.join(' ')}`.trim() },
      );
    }
    return record;
  }

  private stageContext<S extends StageName>(
    stage: S,
    env: StageEnv & { workDir: string; config: ResolvedConfig },
  ): StageContext<S> {
    const hooks = this.hooks;
    const logger = this.logger.child({ stage });
    return {
      stage,
      run: env.run,
      config: env.config,
      container: this.container,
      store: env.store,
      logger,
      tracker: env.tracker,
      inputs: env.outputs,
      workDir: env.workDir,
      signal: env.signal,
      input<K extends StageName>(name: K): StageOutputs[K] {
        const output = env.outputs[name];
        if (output === undefined) {
          throw new MlopsError(
            'MLOPS_ERR_STAGE_NO_OUTPUT',
            `the ${stage} stage needs the output of the ${name} stage`,
            {
              hint: `run it first: mlops run ${name} ${stage}`,
            },
          );
        }
        return output as StageOutputs[K];
      },
      progress: (total, label) => createProgress(total, label),
      epochEnd: async (event) => {
        env.tracker.logMetrics(
          {
            ...event.metrics,
            'perf/images_per_second': event.imagesPerSecond,
            'perf/epoch_seconds': event.durationMs / 1000,
          },
          event.epoch,
        );
        // Each epoch's metrics reach the disk before the next one starts: a killed run keeps them.
        await env.flushLocal();
        await env.journal.heartbeat().catch(() => undefined);
        await hooks.epochEnd.promise(event, env.run);
      },
      artifact: async (info) => {
        await hooks.artifact.promise(info, env.run);
      },
    };
  }
}

/** What a stage runs with, besides its name. */
interface StageEnv {
  run: RunInfo;
  store: ArtifactStore;
  cache: StageCache;
  journal: RunJournal;
  tracker: Tracker;
  outputs: Partial<StageOutputs>;
  signal: AbortSignal;
  force: boolean;
  /** Earlier runs of the project, newest first (read once per run). */
  history: () => Promise<RunRecord[]>;
  /** Writes what the local tracker buffered. */
  flushLocal: () => Promise<void>;
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isNumberRecord(value: unknown): value is Record<string, number> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'number')
  );
}

/**
 * The run's headline metrics: the evaluation's under the split it used (`test/top1`, or
 * `validation/top1` when the data had no test split), and the validation metrics of train.
 */
function runMetrics(outputs: Partial<StageOutputs>, config: ResolvedConfig): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(outputs.train?.metrics ?? {})) metrics[`val/${key}`] = value;
  const evaluation = outputs.evaluate;
  const prefix = evaluation ? evaluationPrefix(evaluation.split, config) : 'test';
  for (const [key, value] of Object.entries(evaluation?.metrics ?? {})) metrics[`${prefix}/${key}`] = value;
  if (outputs.train) metrics['train/images_per_second'] = outputs.train.imagesPerSecond;
  return metrics;
}

/** The config as JSON for run records and trackers: plugins become `{ name, version }`. */
export function configToJson(config: ResolvedConfig): JsonObject {
  const { plugins, ...rest } = config;
  return JSON.parse(
    JSON.stringify({
      ...rest,
      plugins: plugins.map((plugin) => ({ name: plugin.name, version: plugin.version ?? null })),
    }),
  ) as JsonObject;
}

/** `1m 05s`-style duration. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}
