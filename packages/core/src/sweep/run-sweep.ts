/**
 * `mlops sweep`: runs the config's `sweep` section. Each trial is the base config with the
 * trial's values as `--set` overrides, run as an ordinary run by a {@link TrialExecutor}; the
 * sweep's state is its record in the store, written after every change, so a killed sweep rerun
 * with the same config keeps its finished trials and goes on (see `sweep-record.ts`).
 */
import { loadConfig } from '../config/load-config.js';
import { configKeyPaths } from '../config/schema-keys.js';
import { didYouMean, suggestName } from '../config/suggest.js';
import type { ResolvedConfig } from '../config/types.js';
import { isMlopsError, MlopsError } from '../errors.js';
import { silentLogger } from '../logging/silent-logger.js';
import { interruptSignal } from '../pipeline/interrupt.js';
import { configToJson, Pipeline } from '../pipeline/pipeline.js';
import type { StageName } from '../pipeline/stage-outputs.js';
import type { Logger } from '../services/logger.js';
import type { TrackedSweep } from '../services/tracker.js';
import { hashJson } from '../util/hash.js';
import type { JsonObject } from '../util/json.js';
import { ashaVerdict, rungOf } from './asha.js';
import { gridPoint, gridSize } from './grid.js';
import { localTrialExecutor } from './local-trial-executor.js';
import {
  type ParameterDomain,
  paramsToOverrides,
  samplePrior,
  searchSpace,
  type TrialParams,
  toValue,
} from './search-space.js';
import { seededRandom } from './seeded-random.js';
import { SWEEP_RECORD_FORMAT, type SweepRecord, SweepStore, type TrialRecord } from './sweep-record.js';
import { writeSweepReport } from './sweep-report.js';
import type { SweepSpec, SweepValue } from './sweep-spec.js';
import { suggestTpe, type TpeObservation } from './tpe.js';
import { type EpochDecision, SweepObserver, TrialExecutor } from './trial-executor.js';

/** Options of {@link sweep}. */
export interface SweepOptions {
  /** Working directory holding `mlops.config.ts`. */
  cwd?: string;
  /** Config file (`--config`). */
  config?: string;
  /** `--set` overrides applied to the base config of every trial. */
  set?: string[];
  /** Unknown config keys are warnings (`--lenient`). */
  lenient?: boolean;
  /**
   * Resolves the config with extra overrides (programmatic use and tests); default `loadConfig`
   * with `config`, `set` and the overrides.
   */
  resolveConfig?: (overrides: readonly string[]) => Promise<ResolvedConfig>;
  /** `local` (default) or a plugin's target (`vertex`), or an executor object. */
  executor?: string | TrialExecutor;
  /** Start a new sweep even when one with this spec and config exists. */
  fresh?: boolean;
  /** Overrides `sweep.maxTrials` (a finished sweep can be extended). */
  maxTrials?: number;
  /** Overrides `sweep.concurrency`. */
  concurrency?: number;
  /** Logger. */
  logger?: Logger;
  /** Stops the sweep (default: Ctrl-C); running trials are left resumable. */
  signal?: AbortSignal;
}

/** What {@link sweep} returns. */
export interface SweepResult {
  /** The record as finally written. */
  sweep: SweepRecord;
  /** The sweep's directory. */
  dir: string;
  /** Path of `report.html`. */
  report: string;
  /** The best succeeded trial. */
  best?: TrialRecord;
  /** Trials that ran in this invocation (not those a resumed sweep had finished). */
  ran: number;
}

/** Runs (or resumes) the config's sweep; see the module comment. */
export async function sweep(options: SweepOptions = {}): Promise<SweepResult> {
  const logger = options.logger ?? silentLogger;
  const resolveConfig =
    options.resolveConfig ??
    (async (overrides: readonly string[]) => {
      const loaded = await loadConfig({
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.config ? { configFile: options.config } : {}),
        overrides: [...(options.set ?? []), ...overrides],
        ...(options.lenient ? { lenient: true } : {}),
      });
      return loaded.config;
    });
  const base = await resolveConfig([]);
  const spec = base.sweep;
  const file = base.sources.at(-1) ?? base.root;
  if (!spec) {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `${file}: no \`sweep\` section: nothing to search`, {
      file,
      hint: "add sweep: { method: 'tpe', metric: { name: 'val/top1', goal: 'maximize' }, parameters: { 'train.lr': { distribution: 'log_uniform_values', min: 1e-4, max: 1e-2 } }, maxTrials: 8 } (see the core README, Sweeps)",
    });
  }
  const space = searchSpace(spec);
  await checkParameters(space, file, resolveConfig);

  const host = await Pipeline.create({ config: base, logger });
  const executor = pickExecutor(options.executor ?? 'local', host, logger);
  const observers = host.container.isRegistered(SweepObserver, true)
    ? host.container.resolveAll(SweepObserver)
    : [];
  const store = new SweepStore(host.storePath);
  let record = await openRecord(store, base, spec, options, executor.target);
  const maxTrials = Math.min(
    options.maxTrials ?? spec.maxTrials ?? Number.POSITIVE_INFINITY,
    spec.method === 'grid' ? gridSize(space) : Number.POSITIVE_INFINITY,
  );
  if (spec.method === 'grid' && (options.maxTrials ?? spec.maxTrials ?? maxTrials) > maxTrials)
    logger.info(`grid: ${maxTrials} points; the sweep runs each once`);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? spec.concurrency, executor.maxConcurrency));
  logger.info(
    `sweep ${record.id}: ${spec.method}, ${maxTrials} trials on ${executor.description}${concurrency > 1 ? `, ${concurrency} at a time` : ''}; ${record.trials.filter((t) => t.status !== 'running').length} already done`,
  );

  for (const observer of observers) {
    try {
      const kept = await observer.sweepStart(record);
      if (kept !== undefined)
        record = await store.update(record.id, (r) => {
          r.external[observer.name] = kept;
        });
    } catch (error) {
      logger.warn(`${observer.name}: the sweep was not reported: ${(error as Error).message}`);
    }
  }

  const interrupt = options.signal ? undefined : interruptSignal();
  const signal = options.signal ?? (interrupt as { signal: AbortSignal }).signal;
  // Trials a killed sweep left running run again first, with the same values (and their run resumed).
  const leftovers = record.trials.filter((t) => t.status === 'running').map((t) => t.index);
  let ran = 0;
  let failure: unknown;
  let nextIndex = record.trials.length;
  const latest = (): SweepRecord => store.current(record.id) ?? record;
  try {
    if (executor.prepare && (leftovers.length > 0 || record.trials.length < maxTrials))
      await executor.prepare(base, logger, signal);
    const next = async (): Promise<TrialRecord | undefined> => {
      const leftover = leftovers.shift();
      if (leftover !== undefined) return latest().trials[leftover];
      if (nextIndex >= maxTrials) return undefined;
      const index = nextIndex++; // claimed before any await, so parallel workers take distinct indices
      const params = suggest(spec, space, latest(), index);
      const trial: TrialRecord = {
        index,
        params,
        overrides: paramsToOverrides(params),
        status: 'running',
        epochs: [],
        startedAt: new Date().toISOString(),
      };
      await store.update(record.id, (r) => {
        r.trials[index] = trial;
        r.status = 'running';
      });
      return trial;
    };
    const worker = async (): Promise<void> => {
      for (;;) {
        if (signal.aborted) return;
        const trial = await next();
        if (!trial) return;
        ran += 1;
        const done = await runTrial(trial, {
          spec,
          record: latest,
          store,
          executor,
          resolveConfig,
          signal,
          logger,
        });
        const ended = done.trials[trial.index] as TrialRecord;
        for (const observer of observers) {
          await observer
            .trialEnd?.(done, ended)
            .catch((error: unknown) =>
              logger.warn(
                `${observer.name}: trial ${trial.index} was not reported: ${(error as Error).message}`,
              ),
            );
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } catch (error) {
    failure = error;
  } finally {
    interrupt?.dispose();
  }
  const stopped = signal.aborted || failure !== undefined;
  record = await store.update(record.id, (r) => {
    r.status = stopped || r.trials.some((t) => t.status === 'running') ? 'interrupted' : 'finished';
  });
  const report = await writeSweepReport(record, store.sweepDir(record.id));
  for (const observer of observers) {
    await observer
      .sweepEnd?.(record)
      .catch((error: unknown) =>
        logger.warn(`${observer.name}: the sweep's end was not reported: ${(error as Error).message}`),
      );
  }
  if (failure !== undefined) throw failure;
  if (signal.aborted) {
    throw new MlopsError(
      'MLOPS_ERR_RUN_INTERRUPTED',
      `sweep ${record.id} stopped; its finished trials are kept`,
      {
        hint: 'run `mlops sweep` again with the same config to resume it',
        cause: signal.reason,
      },
    );
  }
  const best = bestTrial(record);
  return { sweep: record, dir: store.sweepDir(record.id), report, ran, ...(best ? { best } : {}) };
}

/** The best succeeded trial by the sweep's metric and goal. */
export function bestTrial(record: SweepRecord): TrialRecord | undefined {
  const sign = record.spec.metric.goal === 'maximize' ? 1 : -1;
  let best: TrialRecord | undefined;
  for (const trial of record.trials) {
    if (trial.status !== 'succeeded' || trial.value === undefined) continue;
    if (!best || sign * trial.value > sign * (best.value as number)) best = trial;
  }
  return best;
}

/** The values of trial `index`: a grid point, a prior draw, or TPE's suggestion from the finished trials. */
export function suggest(
  spec: SweepSpec,
  space: readonly ParameterDomain[],
  record: SweepRecord,
  index: number,
): TrialParams {
  if (spec.method === 'grid') return gridPoint(space, index);
  const maxTrials = spec.maxTrials ?? 1;
  const startup = spec.tpe.startupTrials ?? Math.min(10, Math.max(2, Math.floor(maxTrials / 3)));
  // TPE's start-up trials are the random method's draws: the two differ only where the model acts.
  if (spec.method === 'random' || index < startup) {
    const random = seededRandom(spec.seed, 'random', index);
    return Object.fromEntries(space.map((d) => [d.path, samplePrior(d, random)]));
  }
  const sign = spec.metric.goal === 'maximize' ? -1 : 1;
  const history: TpeObservation[] = record.trials
    .filter((t) => t.status === 'succeeded' || t.status === 'pruned')
    .map((t) => ({
      params: t.params,
      loss: t.status === 'succeeded' && t.value !== undefined ? sign * t.value : undefined,
    }));
  return suggestTpe(space, history, seededRandom(spec.seed, 'tpe', index), spec.tpe);
}

interface TrialEnv {
  spec: SweepSpec;
  record: () => SweepRecord;
  store: SweepStore;
  executor: TrialExecutor;
  resolveConfig: (overrides: readonly string[]) => Promise<ResolvedConfig>;
  signal: AbortSignal;
  logger: Logger;
}

/** Runs one trial and records how it ended; returns the record after it. */
async function runTrial(trial: TrialRecord, env: TrialEnv): Promise<SweepRecord> {
  const { spec, store, executor, logger } = env;
  const id = env.record().id;
  const label = `trial ${trial.index} (${trial.overrides.join(' ')})`;
  logger.info(`${label}: starting${trial.runId ? `, resuming run ${trial.runId}` : ''}`);
  const update = (change: (t: TrialRecord) => void) =>
    store.update(id, (r) => {
      change(r.trials[trial.index] as TrialRecord);
    });
  const tracked: TrackedSweep = {
    id,
    name: env.record().name,
    trial: trial.index,
    params: trial.params as JsonObject,
    external: env.record().external as JsonObject,
  };
  let warnedMissing = false;
  let prunedBecause: string | undefined;
  try {
    const config = await env.resolveConfig(trial.overrides);
    const outcome = await executor.run(
      {
        sweep: tracked,
        overrides: trial.overrides,
        config,
        stages: spec.stages as StageName[],
        ...(trial.runId ? { resumeRunId: trial.runId } : {}),
      },
      {
        signal: env.signal,
        logger,
        runStarted: async (runId, details) => {
          await update((t) => {
            t.runId = runId;
            if (details) t.executor = { ...(t.executor ?? {}), ...details };
          });
        },
        epochEnd: async (epoch, epochs, metrics) => {
          const value = metrics[spec.metric.name];
          if (value === undefined) {
            if (!warnedMissing && spec.earlyStop)
              logger.warn(
                `${label}: epochEnd has no "${spec.metric.name}" (it has ${Object.keys(metrics).join(', ')}); early stopping cannot judge it`,
              );
            warnedMissing = true;
            return { prune: false };
          }
          let decision = { prune: false } as EpochDecision;
          await store.update(id, (r) => {
            const t = r.trials[trial.index] as TrialRecord;
            t.epochs = [...t.epochs.filter((e) => e.epoch !== epoch), { epoch, value }];
            const rung = spec.earlyStop && epoch < epochs ? rungOf(epoch, spec.earlyStop) : undefined;
            if (rung === undefined || !spec.earlyStop) return;
            r.rungs[String(rung)] ??= {};
            const at = r.rungs[String(rung)] as Record<string, number>;
            const others = Object.entries(at)
              .filter(([index]) => index !== String(trial.index))
              .map(([, v]) => v);
            at[String(trial.index)] = value;
            const verdict = ashaVerdict(value, others, spec.earlyStop, spec.metric.goal);
            if (verdict.continues) return;
            const side = spec.metric.goal === 'maximize' ? 'below' : 'above';
            decision = {
              prune: true,
              reason: `pruned by sweep ${id} at epoch ${epoch} (${spec.metric.name} ${value} ${side} rung ${rung}'s cutoff ${verdict.cutoff}: the best ${verdict.kept} of ${verdict.reached} go on)`,
            };
          });
          if (decision.prune) {
            prunedBecause = decision.reason;
            logger.info(`${label}: ${decision.reason}`);
          }
          return decision;
        },
      },
    );
    return await update((t) => {
      if (outcome.runId) t.runId = outcome.runId;
      if (outcome.executor) t.executor = { ...(t.executor ?? {}), ...outcome.executor };
      t.endedAt = new Date().toISOString();
      if (outcome.pruned) {
        t.status = 'pruned';
        if (prunedBecause) t.prunedBecause = prunedBecause;
        const last = t.epochs.at(-1);
        if (last) {
          t.value = last.value;
          t.prunedAt = last.epoch;
        }
        return;
      }
      t.metrics = outcome.metrics;
      const value = outcome.metrics[spec.metric.name] ?? t.epochs.at(-1)?.value;
      if (value === undefined) {
        t.status = 'failed';
        t.error = `the run reported no "${spec.metric.name}" (its metrics: ${Object.keys(outcome.metrics).join(', ') || 'none'}); set sweep.metric.name to one of them`;
        logger.warn(`${label}: ${t.error}`);
        return;
      }
      t.status = 'succeeded';
      t.value = value;
      logger.info(`${label}: ${spec.metric.name} ${value}`);
    });
  } catch (error) {
    if (env.signal.aborted) {
      // Stopped with the sweep: left `running`, so the next `mlops sweep` continues it.
      return env.record();
    }
    const message = isMlopsError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
    logger.warn(`${label}: failed: ${message}`);
    return await update((t) => {
      t.status = 'failed';
      t.error = message;
      t.endedAt = new Date().toISOString();
    });
  }
}

/** The executor for `target`: core's local one, or one a plugin registered. */
function pickExecutor(target: string | TrialExecutor, host: Pipeline, logger: Logger): TrialExecutor {
  if (typeof target !== 'string') return target;
  if (target === 'local') return localTrialExecutor({ logger });
  const executors = host.container.isRegistered(TrialExecutor, true)
    ? host.container.resolveAll(TrialExecutor)
    : [];
  const found = executors.find((e) => e.target === target);
  if (!found) {
    throw new MlopsError('MLOPS_ERR_SERVICE_MISSING', `no plugin runs sweep trials on "${target}"`, {
      hint: executors.length
        ? `targets: local, ${executors.map((e) => `${e.target} (${e.description})`).join(', ')}`
        : 'add gcp() from @mlops/plugin-gcp to plugins for --remote vertex',
    });
  }
  return found;
}

/** The sweep to continue (same key, newest) or a new one. */
async function openRecord(
  store: SweepStore,
  base: ResolvedConfig,
  spec: SweepSpec,
  options: SweepOptions,
  executor: string,
): Promise<SweepRecord> {
  const { sweep: _spec, ...rest } = configToJson(base);
  // The budget and the parallelism may change between reruns: they are not the sweep's identity.
  const { maxTrials: _max, concurrency: _concurrency, ...identity } = spec;
  const key = hashJson({ spec: identity, config: rest, overrides: options.set ?? [] });
  const name = spec.name ?? base.project;
  if (!options.fresh) {
    const existing = (await store.list()).find((r) => r.key === key);
    if (existing) {
      return store.update(existing.id, (r) => {
        r.spec = spec;
        r.executor = executor;
      });
    }
  }
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'sweep';
  let id = `${slug}-${key.slice(0, 8)}`;
  if (await store.find(id)) id = `${id}-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  const now = new Date().toISOString();
  return store.create({
    format: SWEEP_RECORD_FORMAT,
    id,
    key,
    name,
    project: base.project,
    status: 'running',
    spec,
    baseOverrides: options.set ?? [],
    executor,
    trials: [],
    rungs: {},
    external: {},
    createdAt: now,
    updatedAt: now,
  });
}

/**
 * Each parameter names a config key (`--set` paths, same syntax), and its values are valid there:
 * the extremes of each range and every listed value are resolved with the config once, so a bad
 * bound fails before the first trial rather than in the middle of the sweep.
 */
async function checkParameters(
  space: readonly ParameterDomain[],
  file: string,
  resolveConfig: (overrides: readonly string[]) => Promise<ResolvedConfig>,
): Promise<void> {
  const known = new Set(configKeyPaths());
  const problems: string[] = [];
  for (const domain of space) {
    if (known.has(domain.path) || domain.path.startsWith('serve.')) continue;
    const parent = domain.path.split('.').slice(0, -1).join('.');
    const candidates = [...known].filter((k) => k.split('.').slice(0, -1).join('.') === parent);
    const suggestion = suggestName(domain.path, candidates.length ? candidates : known);
    problems.push(`  ${file}: sweep.parameters.${domain.path}: not a config key${didYouMean(suggestion)}`);
  }
  if (problems.length === 0) {
    for (const domain of space) {
      const values: SweepValue[] =
        domain.kind === 'constant'
          ? [domain.value]
          : domain.kind === 'categorical'
            ? domain.choices
            : [toValue(domain, domain.low), toValue(domain, domain.high)];
      for (const value of values) {
        try {
          await resolveConfig(paramsToOverrides({ [domain.path]: value }));
        } catch (error) {
          if (!isMlopsError(error, 'MLOPS_ERR_CONFIG_INVALID')) throw error;
          const detail = error.message.split('\n').slice(1).join(' ').trim() || error.message;
          problems.push(
            `  ${file}: sweep.parameters.${domain.path}: ${JSON.stringify(value)} is not a valid value: ${detail}`,
          );
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `invalid sweep (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}`,
      { file, hint: 'sweep.parameters keys are --set paths such as train.lr, with values that key accepts' },
    );
  }
}
