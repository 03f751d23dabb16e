/**
 * `mlops sweep --remote vertex`: each trial is a Vertex AI custom job, several at once. A trial is
 * submitted exactly as `mlops train --remote vertex` submits a run (the same command, bound to the
 * trial's resolved config, so its job package, `--set` overrides, data versions and read-back
 * checks are the ones a single remote run gets); the sweep's `concurrency` says how many jobs are
 * in flight, capped by `maxConcurrency` (Vertex AI quotas). The project image is built once,
 * before the first trial; every trial then finds it by its content-hash tag. The trial's metrics
 * are the remote run's (`result.json`). Early stopping needs epoch metrics while a trial runs,
 * which a job does not stream back: on Vertex AI, trials run to the end.
 */
import { randomBytes } from 'node:crypto';
import type { Logger, PluginApi, TrialExecutor } from '@mlops/core';
import { planProjectImage } from '../build/project-image.js';
import { configFileName } from '../commands/deploy-command.js';
import { checkSecretsThenBuild } from '../commands/prepare-image.js';
import { vertexTrainCommand } from '../commands/vertex-train-command.js';
import { GcpContext } from '../gcp-context.js';
import { readJobResult } from '../vertex/job-files.js';

/** Default cap on trials in flight: Vertex AI's default custom-training quota is small per region. */
export const DEFAULT_VERTEX_TRIAL_CONCURRENCY = 8;

/** Options of {@link vertexTrialExecutor}. */
export interface VertexTrialExecutorOptions {
  /** Most jobs in flight at once. Default {@link DEFAULT_VERTEX_TRIAL_CONCURRENCY}. */
  maxConcurrency?: number;
}

/** The `vertex` trial executor, bound to the plugin's options and its API. */
export function vertexTrialExecutor(
  context: GcpContext,
  api: PluginApi,
  options: VertexTrialExecutorOptions = {},
): TrialExecutor {
  const withLogger = (logger: Logger, config = api.config): PluginApi => ({ ...api, config, logger });
  return {
    target: 'vertex',
    description: 'Vertex AI custom jobs',
    maxConcurrency: options.maxConcurrency ?? DEFAULT_VERTEX_TRIAL_CONCURRENCY,
    async prepare(config, logger) {
      const defaults = context.options.vertex ?? {};
      if (defaults.image) return; // brought their own image: nothing to build
      const base = new GcpContext(context.options, config);
      const project = base.requireProject(undefined);
      const region = base.region(undefined);
      const plan = await planProjectImage(base, {
        project,
        region,
        configFile: defaults.configFile ?? configFileName(config.sources, config.root),
        variant: defaults.acceleratorType ? 'gpu' : 'cpu',
      });
      await checkSecretsThenBuild(base, [], plan, { logger, rebuild: false });
    },
    async run(request, control) {
      const trialContext = new GcpContext(context.options, request.config);
      const slug = request.sweep.id
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .slice(0, 40);
      const jobId = `${slug}-t${request.sweep.trial}-${randomBytes(2).toString('hex')}`;
      control.logger.info(`trial ${request.sweep.trial}: Vertex AI job ${jobId}`);
      const submitted = (await vertexTrainCommand(trialContext).action(
        [],
        { stages: request.stages, jobId },
        withLogger(control.logger, request.config),
      )) as { job: string; runId: string; metrics?: Record<string, number> };
      const remote = trialContext.requireRemote('mlops sweep --remote vertex');
      const result = await readJobResult(trialContext.storage(), remote, jobId);
      return {
        runId: submitted.runId,
        // The run's own metrics (`val/top1`, `test/top1`…), like a local trial's; older job
        // images report only the evaluation's.
        metrics: result.runMetrics ?? result.metrics ?? submitted.metrics ?? {},
        executor: { jobId, job: submitted.job },
      };
    },
  };
}
