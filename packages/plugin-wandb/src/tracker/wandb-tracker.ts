import {
  isMlopsError,
  type Json,
  type JsonObject,
  type Logger,
  type RunStatus,
  silentLogger,
  type TrackedRun,
  type Tracker,
} from '@mlops/core';
import type { WandbClient } from '../http/wandb-client.js';
import { stringifyExtendedJson } from '../json/extended-json.js';
import { RunSpool, type SpooledRun } from '../spool/run-spool.js';
import { sweepOfRun } from '../sweep/wandb-sweep.js';
import { noteAnswer, type UploadReport, uploadSpooledRun } from '../sync/run-uploader.js';
import { histogramValue, imageValue, tablePicture, tableValue } from './history-values.js';

/**
 * The exit code W&B gets for a run's final status; W&B derives the run's state from it (0 is
 * `finished`, any other code `failed`; `killed` and `crashed` are set by the server only, for a
 * stop asked from the UI or a sweep cancel and for lost heartbeats, never from a code). Hence:
 * - `succeeded` and `pruned` give 0. A pruned trial was stopped on purpose by the sweep's early
 *   stopping, and its history up to the rung is a complete, valid result: W&B's own guidance is
 *   that a run ending as intended exits 0 (docs.wandb.ai/models/sweeps/signal-handling-sweep-runs,
 *   "Exit code 0: ... completed successfully"), and showing stopped trials as failed or crashed is
 *   what made W&B's Bayes search treat Hyperband-stopped runs as the worst value
 *   (github.com/wandb/sweeps/pull/59). Its summary says `mlops_status: pruned`, to filter on.
 * - `interrupted` gives 255, what the W&B SDK records for a run stopped by Ctrl-C
 *   (`wandb/sdk/lib/exit_hooks.py`, `ExitHooks.exc_handler`): `failed`, and resumable.
 * - `failed` (and a run still `running`) gives 1, what the SDK records for an uncaught exception.
 */
function wandbExitCode(status: RunStatus): number {
  switch (status) {
    case 'succeeded':
    case 'pruned':
      return 0;
    case 'interrupted':
      return 255;
    default:
      return 1;
  }
}

/** Options of {@link WandbTracker}. */
export interface WandbTrackerOptions {
  /** Entity (user or team). */
  entity: string;
  /** Project. */
  project: string;
  /** `online` streams while training; `offline` only spools for `mlops wandb sync`. */
  mode: 'online' | 'offline';
  /** Spool root, `<store>/wandb/spool`. */
  spoolRoot: string;
  /** Makes the client when going online; undefined when there is no API key. */
  connect: () => Promise<WandbClient | undefined>;
  /** Group of the run. */
  group?: string;
  /** Tags added to the run's own. */
  tags?: string[];
  /** Job type. Default `train`. */
  jobType?: string;
  /** Milliseconds between background writes of what was logged to the spool (local disk). Default 2000. */
  flushIntervalMs?: number;
  /**
   * Least milliseconds between two upload passes that stream new data to W&B. Default 15000,
   * wandb-core's `defaultTransmitInterval`: what was logged in between goes in one batch, which
   * keeps a run well under W&B's rate limits.
   */
  transmitIntervalMs?: number;
  /**
   * After this many milliseconds without a `file_stream` request, a heartbeat (`{}`) is sent, so
   * W&B does not mark a run whose epoch is long as crashed. Default 30000, wandb-core's
   * `defaultHeartbeatInterval` (W&B may change it with `limits.heartbeat_seconds`, unless set here).
   */
  heartbeatIntervalMs?: number;
  /**
   * Called once when W&B asks for the run to stop (`stopped: true` in a `file_stream` answer,
   * e.g. the Stop button in the W&B UI), after a warning says so. Default: what Ctrl-C does — the
   * `SIGINT` handlers of this process run (mlops stops the run after the current step and records
   * it as interrupted); with no `SIGINT` handler the run goes on and the warning says so.
   */
  onStopRequested?: (message: string) => void;
  /** After W&B could not be reached, wait this long before trying again. Default 30000. */
  reconnectIntervalMs?: number;
  /** Most history lines per request. Default 500. */
  batchLines?: number;
  /** How long `start` waits for W&B to create the run before training goes on. Default 15000. */
  startTimeoutMs?: number;
  /** Logger. */
  logger?: Logger;
  /** Clock (epoch ms). */
  now?: () => number;
}

/** The row being filled: values logged at one step are sent as one history row. */
interface OpenRow {
  step: number;
  values: JsonObject;
}

/**
 * {@link Tracker} for Weights & Biases. Logging calls only touch memory; a timer writes what was
 * logged to the run's spool (see {@link RunSpool}) and, online, streams the spool to W&B with
 * batching and retries. When W&B cannot be reached, or rejects the key, the tracker warns once and
 * keeps spooling, trying again now and then; `finish` flushes and, online, waits for the upload,
 * never failing the run over W&B. Values logged at the same step make one history row, the way
 * `wandb.log` commits a step.
 */
export class WandbTracker implements Tracker {
  /** {@inheritDoc @mlops/core#Tracker.name} */
  readonly name = 'wandb';

  readonly #options: WandbTrackerOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  #spool: RunSpool | undefined;
  #run: SpooledRun | undefined;
  #client: WandbClient | undefined;
  #startedAt = 0;
  #open: OpenRow | undefined;
  /** Step of the last committed row (-1: none yet). */
  #lastStep = -1;
  #lines: string[] = [];
  #files: { name: string; bytes: Uint8Array }[] = [];
  #historySummary: JsonObject = {};
  #explicitSummary: JsonObject = {};
  #summaryDirty = false;
  #runDirty = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #uploading: Promise<void> | undefined;
  #offlineSince: number | undefined;
  #finished = false;
  /** The run exists on W&B (a pass succeeded), so heartbeats may be sent. */
  #created = false;
  /** When the last upload pass started, and the last `file_stream` request was answered (clock ms). */
  #lastPassAt = Number.NEGATIVE_INFINITY;
  #lastStreamAt = Number.NEGATIVE_INFINITY;
  #heartbeatMs: number;
  #stopRequested = false;

  /** A tracker; it touches nothing until {@link WandbTracker.start}. */
  constructor(options: WandbTrackerOptions) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ tracker: 'wandb' });
    this.#now = options.now ?? Date.now;
    this.#heartbeatMs = options.heartbeatIntervalMs ?? 30_000;
  }

  /** Whether W&B asked for this run to stop. */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /** The spool directory of the current run. */
  get spoolDir(): string | undefined {
    return this.#spool?.dir;
  }

  /** {@inheritDoc @mlops/core#Tracker.start} */
  async start(run: TrackedRun): Promise<void> {
    const spool = new RunSpool(this.#options.spoolRoot, run.id);
    this.#spool = spool;
    this.#startedAt = this.#now();
    const previous = run.resumed ? await spool.readRun() : undefined;
    await spool.create();
    if (previous) await spool.reopen();
    this.#run = {
      format: 'mlops-wandb-run/1',
      entity: this.#options.entity,
      project: this.#options.project,
      runId: run.id,
      ...(run.name ? { displayName: run.name } : {}),
      ...(this.#options.group ? { group: this.#options.group } : {}),
      jobType: this.#options.jobType ?? 'train',
      ...sweepOfRun(run, this.#options.entity, this.#options.project),
      tags: [...new Set([...(run.tags ?? []), ...(this.#options.tags ?? [])])],
      config: { ...(previous?.config ?? {}), ...toWandbConfig(run.config) },
      // Resumed on the server too when W&B may have history this spool does not.
      resumed: Boolean(run.resumed),
      startedAt: previous?.startedAt ?? new Date(this.#startedAt).toISOString(),
    };
    if (run.resumed) this.#explicitSummary = (await spool.readSummary()) ?? {};
    await spool.writeRun(this.#run);

    if (this.#options.mode === 'online') {
      this.#client = await this.#options.connect();
      if (!this.#client) {
        this.#goOffline(
          'no W&B API key (set WANDB_API_KEY or log in so ~/.netrc has one)',
          /* retry */ false,
        );
      } else {
        // Create the run before training starts: a model registered later in this run names it
        // as its producer. But a W&B that does not answer must not hold the run back: after
        // `startTimeoutMs` the run starts and the upload goes on in the background.
        const created = this.#upload().then(() => true);
        const waited = await Promise.race([
          created,
          sleep(this.#options.startTimeoutMs ?? 15_000).then(() => false),
        ]);
        if (!waited) {
          this.#logger.warn(
            `W&B has not answered within ${this.#options.startTimeoutMs ?? 15_000} ms; run ${run.id} starts anyway and is streamed once it does`,
          );
        }
      }
    }
    const tickMs = Math.min(
      this.#options.flushIntervalMs ?? 2000,
      this.#options.transmitIntervalMs ?? 15_000,
      this.#heartbeatMs,
    );
    this.#timer = setInterval(() => void this.#tick(), tickMs);
    this.#timer.unref();
  }

  /** {@inheritDoc @mlops/core#Tracker.logParams} */
  logParams(params: JsonObject): void {
    if (this.#finished || !this.#run) return;
    Object.assign(this.#run.config, toWandbConfig(structuredClone(params)));
    this.#runDirty = true;
  }

  /** {@inheritDoc @mlops/core#Tracker.logMetrics} */
  logMetrics(metrics: Record<string, number>, step: number): void {
    if (this.#finished) return;
    const row = this.#rowAt(step);
    // NaN and ±Infinity stay numbers: the row is written in W&B's extended JSON (bare `NaN`).
    for (const [key, value] of Object.entries(metrics)) row[key] = value;
  }

  /** {@inheritDoc @mlops/core#Tracker.logImage} */
  logImage(key: string, png: Uint8Array, options: { step?: number; caption?: string } = {}): void {
    if (this.#finished) return;
    const step = options.step ?? this.#open?.step ?? 0;
    const image = imageValue(key, new Uint8Array(png), step, options.caption);
    this.#files.push({ name: image.file, bytes: image.bytes });
    this.#rowAt(step)[key] = image.value;
  }

  /** {@inheritDoc @mlops/core#Tracker.logHistogram} */
  logHistogram(key: string, values: ArrayLike<number>, step: number): void {
    if (this.#finished) return;
    this.#rowAt(step)[key] = histogramValue(values);
  }

  /** {@inheritDoc @mlops/core#Tracker.logTable} */
  logTable(key: string, value: Json): void {
    if (this.#finished) return;
    const table = tableValue(key, value);
    this.#files.push({ name: table.file, bytes: table.bytes });
    this.#explicitSummary[key] = table.value;
    this.#summaryDirty = true;
    const picture = tablePicture(value);
    // On the row being filled (evaluation right after the last epoch lands on that epoch's row),
    // else on a new step: W&B drops values logged at a step it has already committed.
    if (picture) this.logImage(`${key}_plot`, picture, { step: this.#open?.step ?? this.#lastStep + 1 });
  }

  /** {@inheritDoc @mlops/core#Tracker.logSummary} */
  logSummary(summary: Record<string, Json>): void {
    if (this.#finished) return;
    Object.assign(this.#explicitSummary, structuredClone(summary));
    this.#summaryDirty = true;
  }

  /** Writes what was logged to the spool (not the open row); resolves when it is on disk. */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#writeSpool()).catch((error) => this.#warnWrite(error));
    return this.#writing;
  }

  /**
   * Closes the run: the last row, the summary and the exit code go to the spool and, online, to
   * W&B. Never rejects over W&B; what could not be sent stays spooled for `mlops wandb sync`.
   */
  async finish(status: RunStatus): Promise<void> {
    if (this.#finished || !this.#spool) return;
    this.#finished = true;
    clearInterval(this.#timer);
    this.#commitOpenRow();
    // W&B shows a pruned run as finished (see wandbExitCode): the summary tells it from a full one.
    if (status === 'pruned') {
      this.#explicitSummary.mlops_status = status;
      this.#summaryDirty = true;
    }
    await this.flush();
    await this.#spool.writeExit({
      exitcode: wandbExitCode(status),
      status,
      finishedAt: new Date(this.#now()).toISOString(),
    });
    await this.#uploading;
    // One last pass even after a failure: the network may be back, and the run should end complete.
    if (this.#client) await this.#upload(this.#offlineSince !== undefined);
    if (this.#options.mode === 'offline' || this.#offlineSince !== undefined) {
      this.#logger.info(
        `W&B run ${this.#run?.runId} is spooled in ${this.#spool.dir}; upload it with: mlops wandb sync ${this.#run?.runId}`,
      );
    }
  }

  #rowAt(step: number): JsonObject {
    if (this.#open && this.#open.step !== step) this.#commitOpenRow();
    this.#open ??= { step, values: {} };
    return this.#open.values;
  }

  #commitOpenRow(): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    this.#lastStep = Math.max(this.#lastStep, open.step);
    const now = this.#now();
    const row: JsonObject = {
      ...open.values,
      _step: open.step,
      _runtime: (now - this.#startedAt) / 1000,
      _timestamp: now / 1000,
    };
    this.#lines.push(stringifyExtendedJson(row));
    for (const [key, value] of Object.entries(open.values)) this.#historySummary[key] = value;
    this.#summaryDirty = true;
  }

  async #writeSpool(): Promise<void> {
    const spool = this.#spool;
    if (!spool || !this.#run) return;
    const files = this.#files;
    this.#files = [];
    // Files first: a row must never reach the server before the file it points at.
    for (const file of files) await spool.writeFile(file.name, file.bytes);
    const lines = this.#lines;
    this.#lines = [];
    await spool.appendHistory(lines);
    if (this.#summaryDirty) {
      this.#summaryDirty = false;
      await spool.writeSummary({ ...this.#historySummary, ...this.#explicitSummary });
    }
    if (this.#runDirty) {
      this.#runDirty = false;
      await spool.writeRun(this.#run);
    }
  }

  /**
   * Every tick writes the spool. Streaming follows wandb-core's cadence: a pass at most every
   * `transmitIntervalMs` (its data batched), a heartbeat after `heartbeatIntervalMs` of silence,
   * nothing while W&B's `Retry-After` runs, and every `reconnectIntervalMs` while unreachable.
   */
  async #tick(): Promise<void> {
    await this.flush();
    const client = this.#client;
    if (!client || this.#uploading || this.#finished) return;
    const now = this.#now();
    const retryAfter = this.#options.reconnectIntervalMs ?? 30_000;
    if (this.#offlineSince !== undefined && now - this.#offlineSince < retryAfter) return;
    if (client.coolingDownMs('file_stream') > 0 || client.coolingDownMs('graphql') > 0) return;
    const transmitDue = now - this.#lastPassAt >= (this.#options.transmitIntervalMs ?? 15_000);
    const heartbeatDue = this.#created && now - this.#lastStreamAt >= this.#heartbeatMs;
    if (!transmitDue && !heartbeatDue) return;
    await this.#upload(this.#offlineSince !== undefined, heartbeatDue);
  }

  /** One upload pass (and a heartbeat when one is due and nothing else was sent); a failure switches to spooling. Never rejects. */
  #upload(retrying = false, heartbeat = false): Promise<void> {
    const client = this.#client;
    const spool = this.#spool;
    const run = this.#run;
    if (!client || !spool || !run) return Promise.resolve();
    const pass = (async () => {
      try {
        this.#lastPassAt = this.#now();
        const report = await uploadSpooledRun(client, spool, { batchLines: this.#options.batchLines ?? 500 });
        this.#created = true;
        if (report.streamRequests > 0) {
          this.#lastStreamAt = this.#now();
        } else if (heartbeat && !report.completed) {
          const answer = await client.fileStream(
            { entity: run.entity, project: run.project, run: run.runId },
            {},
          );
          this.#lastStreamAt = this.#now();
          noteAnswer(report, answer);
        }
        this.#readAnswers(report);
        if (retrying && this.#offlineSince !== undefined) {
          this.#offlineSince = undefined;
          this.#logger.info('W&B is reachable again; streaming the spooled run');
        }
      } catch (error) {
        if (this.#offlineSince === undefined) {
          const reason = error instanceof Error ? error.message : String(error);
          this.#goOffline(reason, !isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH'));
        } else {
          this.#offlineSince = this.#now();
        }
      }
    })();
    this.#uploading = pass.finally(() => {
      this.#uploading = undefined;
    });
    return this.#uploading;
  }

  /** Acts on what W&B said in its `file_stream` answers: a new heartbeat period, a stop request. */
  #readAnswers(report: UploadReport): void {
    if (report.heartbeatSeconds !== undefined && this.#options.heartbeatIntervalMs === undefined)
      this.#heartbeatMs = Math.max(1000, report.heartbeatSeconds * 1000);
    if (!report.stopRequested || this.#stopRequested || this.#finished) return;
    this.#stopRequested = true;
    const id = this.#run?.runId;
    const message = `W&B asked to stop run ${id} (stopped from the W&B UI or API); stopping it after the current step, as Ctrl-C does`;
    this.#logger.warn(message);
    if (this.#options.onStopRequested) {
      this.#options.onStopRequested(message);
    } else if (process.listenerCount('SIGINT') > 0) {
      process.emit('SIGINT', 'SIGINT');
    } else {
      this.#logger.warn(
        `W&B: nothing in this process handles SIGINT, so run ${id} goes on; stop it yourself if W&B should not get more of it`,
      );
    }
  }

  #goOffline(reason: string, retry: boolean): void {
    this.#offlineSince = this.#now();
    if (!retry) this.#client = undefined;
    this.#logger.warn(
      `W&B: ${reason}; spooling run ${this.#run?.runId} to ${this.#spool?.dir} (upload later with \`mlops wandb sync\`)`,
    );
  }

  #warnWrite(error: unknown): void {
    this.#logger.warn('W&B: could not write the spool', { error });
  }
}

/** mlops config (plain JSON) in W&B's config shape: each top-level key `{ value, desc }`. */
export function toWandbConfig(config: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, { value, desc: null }]));
}

/** Resolves after `ms` without keeping the process alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
