import { silentLogger } from '../logging/silent-logger.js';
import type { Logger } from '../services/logger.js';
import type { RunStatus, TrackedRun, Tracker } from '../services/tracker.js';
import type { Json, JsonObject } from '../util/json.js';

/** Tracker methods whose failures are counted separately. */
type TrackerMethod =
  | 'start'
  | 'logParams'
  | 'logMetrics'
  | 'logImage'
  | 'logHistogram'
  | 'logTable'
  | 'logSummary'
  | 'finish';

/** One wrapped tracker and what went wrong with it. */
interface Member {
  readonly tracker: Tracker;
  /** False once `start` failed: a tracker that never started is not called again. */
  active: boolean;
  /** Failures per method; only the first of each is logged in full. */
  readonly failures: Map<TrackerMethod, number>;
}

/**
 * Presents several trackers as one (what stages see as `ctx.tracker`). Every call goes to each
 * tracker in turn; a tracker that throws (or rejects) is logged and skipped for that call, and
 * never stops the others or the run: tracking is an observer, not part of the training.
 * A tracker whose `start` fails is left out for the rest of the run.
 */
export class CompositeTracker implements Tracker {
  /** {@inheritDoc Tracker.name} */
  readonly name: string;
  readonly #members: Member[];
  readonly #logger: Logger;

  /**
   * @param trackers the trackers to fan out to, called in this order.
   * @param logger where tracker failures are reported.
   */
  constructor(trackers: readonly Tracker[], logger: Logger = silentLogger) {
    this.#members = trackers.map((tracker) => ({ tracker, active: true, failures: new Map() }));
    this.#logger = logger;
    this.name = `composite(${trackers.map((t) => t.name).join(',')})`;
  }

  /** The wrapped trackers. */
  get trackers(): readonly Tracker[] {
    return this.#members.map((m) => m.tracker);
  }

  /** {@inheritDoc Tracker.start} */
  async start(run: TrackedRun): Promise<void> {
    await Promise.all(
      this.#members.map(async (member) => {
        try {
          await member.tracker.start(run);
        } catch (error) {
          member.active = false;
          this.#logger.error(`tracker ${member.tracker.name} failed to start; it is off for this run`, {
            tracker: member.tracker.name,
            error,
          });
        }
      }),
    );
  }

  /** {@inheritDoc Tracker.logParams} */
  logParams(params: JsonObject): void {
    this.#each('logParams', (t) => t.logParams(params));
  }

  /** {@inheritDoc Tracker.logMetrics} */
  logMetrics(metrics: Record<string, number>, step: number): void {
    this.#each('logMetrics', (t) => t.logMetrics(metrics, step));
  }

  /** {@inheritDoc Tracker.logImage} */
  logImage(key: string, png: Uint8Array, options?: { step?: number; caption?: string }): void {
    this.#each('logImage', (t) => t.logImage(key, png, options));
  }

  /** {@inheritDoc Tracker.logHistogram} */
  logHistogram(key: string, values: ArrayLike<number>, step: number): void {
    this.#each('logHistogram', (t) => t.logHistogram(key, values, step));
  }

  /** {@inheritDoc Tracker.logTable} Trackers without `logTable` are skipped. */
  logTable(key: string, value: Json): void {
    this.#each('logTable', (t) => t.logTable?.(key, value));
  }

  /** {@inheritDoc Tracker.logSummary} */
  logSummary(summary: Record<string, Json>): void {
    this.#each('logSummary', (t) => t.logSummary(summary));
  }

  /** {@inheritDoc Tracker.finish} Finishes all started trackers in parallel; never rejects. */
  async finish(status: RunStatus): Promise<void> {
    await Promise.all(
      this.#members
        .filter((m) => m.active)
        .map(async (member) => {
          try {
            await member.tracker.finish(status);
          } catch (error) {
            this.#recordFailure(member, 'finish', error);
          }
        }),
    );
    for (const member of this.#members) this.#reportRepeatedFailures(member);
  }

  #each(method: TrackerMethod, call: (tracker: Tracker) => unknown): void {
    for (const member of this.#members) {
      if (!member.active) continue;
      try {
        const result = call(member.tracker);
        // A tracker written with `async` methods returns a promise despite the `void` type;
        // its rejection must be caught here or it would crash the process as unhandled.
        if (isPromiseLike(result))
          result.then(undefined, (error) => this.#recordFailure(member, method, error));
      } catch (error) {
        this.#recordFailure(member, method, error);
      }
    }
  }

  #recordFailure(member: Member, method: TrackerMethod, error: unknown): void {
    const count = (member.failures.get(method) ?? 0) + 1;
    member.failures.set(method, count);
    // Log the first failure of each method in full; a per-step failure would otherwise flood
    // the log. The count of the rest is reported when the run finishes.
    if (count === 1) {
      this.#logger.warn(`tracker ${member.tracker.name} failed in ${method}`, {
        tracker: member.tracker.name,
        method,
        error,
      });
    }
  }

  #reportRepeatedFailures(member: Member): void {
    for (const [method, count] of member.failures) {
      if (count > 1) {
        this.#logger.warn(`tracker ${member.tracker.name} failed ${count} times in ${method}`, {
          tracker: member.tracker.name,
          method,
          failures: count,
        });
      }
    }
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
