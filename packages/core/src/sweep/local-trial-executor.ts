/**
 * Core's executor: each trial is an ordinary `Pipeline.run` in this process (recorded in the run
 * store, its stages cached like any run's), one trial at a time. Early stopping taps the trial's
 * `epochEnd` hook and aborts the run when the sweep says to prune, with a `MLOPS_ERR_RUN_PRUNED`
 * reason: the trainer stops at the next epoch boundary and the run is recorded `pruned` (final,
 * never resumed), not `interrupted`.
 */
import { isMlopsError, MlopsError } from '../errors.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { Logger } from '../services/logger.js';
import type { TrialExecutor, TrialOutcome } from './trial-executor.js';

/** The tap name of the sweep's hooks on a trial's pipeline. */
const TAP = 'mlops:sweep';

/** Core's local executor; see the module comment. */
export function localTrialExecutor(options: { logger?: Logger } = {}): TrialExecutor {
  return {
    target: 'local',
    description: 'this machine, one trial after another',
    maxConcurrency: 1,
    async run(request, control): Promise<TrialOutcome> {
      const logger = options.logger ?? control.logger;
      const pipeline = await Pipeline.create({ config: request.config, logger });
      const prune = new AbortController();
      const signal = AbortSignal.any([control.signal, prune.signal]);
      let runId: string | undefined;
      pipeline.hooks.runStart.tapPromise(TAP, async ({ run }) => {
        runId = run.id;
        await control.runStarted(run.id);
      });
      pipeline.hooks.epochEnd.tapPromise(TAP, async (event) => {
        if (prune.signal.aborted) return;
        const decision = await control.epochEnd(event.epoch, event.epochs, event.metrics);
        if (decision.prune) {
          prune.abort(
            new MlopsError('MLOPS_ERR_RUN_PRUNED', decision.reason, {
              hint: 'a pruned trial is final; `mlops sweep` reports it, and a new run with its --set values starts over',
            }),
          );
        }
      });
      const run = (resume?: string) =>
        pipeline.run({
          stages: request.stages,
          signal,
          sweep: request.sweep,
          argv: ['sweep', ...request.overrides.flatMap((o) => ['--set', o])],
          ...(resume ? { resume } : {}),
        });
      try {
        let result: Awaited<ReturnType<typeof run>>;
        try {
          result = await run(request.resumeRunId);
        } catch (error) {
          // The run a killed sweep left may be gone or not resumable: the trial starts over.
          if (!request.resumeRunId || runId !== undefined || !isMlopsError(error)) throw error;
          logger.warn(
            `trial ${request.sweep.trial}: run ${request.resumeRunId} cannot be resumed (${error.message}); starting it again`,
          );
          result = await run();
        }
        return { runId: result.run.id, metrics: result.run.metrics ?? {} };
      } catch (error) {
        if (prune.signal.aborted && !control.signal.aborted && isMlopsError(error, 'MLOPS_ERR_RUN_PRUNED')) {
          return { ...(runId ? { runId } : {}), metrics: {}, pruned: true };
        }
        throw error;
      }
    },
  };
}
