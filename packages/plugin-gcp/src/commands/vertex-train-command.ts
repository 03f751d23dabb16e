/**
 * `mlops vertex train [--dry-run]` (and `mlops train --remote vertex`, through
 * `vertexRemoteRunner`): builds the project image with Cloud Build unless `--image` names one
 * (reused when the project has not changed), packages the run (resolved config, data versions and
 * their manifests, code version) into the bucket as `jobs/<id>/job.json`, submits the Vertex AI
 * CustomJob (machine and accelerators checked first, env and secrets, a timeout), prints its
 * console and logs links, streams its state, cancels it on Ctrl-C, and when it succeeds registers
 * the version it produced in the project's registry like a local run. `--dry-run` prints the
 * requests and sends none.
 *
 * A job with an accelerator and no `--image` runs the GPU variant of the project image (CUDA 11.2
 * + cuDNN 8 with `@tensorflow/tfjs-node-gpu`, tag `ctx-<hash>-gpu`; see `build/gpu-dockerfile.ts`)
 * with `--set train.backend=tensorflow`, and the accelerator must be one CUDA 11.2 drives.
 * `--dry-run` then also prints that Dockerfile.
 */
import { randomBytes } from 'node:crypto';
import { relative, resolve } from 'node:path';
import {
  configToJson,
  formatGitSha,
  gitInfo,
  isMlopsError,
  type Logger,
  loadConfig,
  MlopsError,
  ModelRegistry,
  type PluginCommand,
  type ResolvedConfig,
} from '@mlops/core';
import { GPU_TRAIN_BACKEND } from '../build/gpu-dockerfile.js';
import { describeImagePlan, planProjectImage } from '../build/project-image.js';
import { pushDataVersion } from '../data/data-remote.js';
import { listFlag, parseEnvPairs, refuseCredentials } from '../deploy/secrets.js';
import type { GcpContext } from '../gcp-context.js';
import { checkGpuImageAccelerator } from '../vertex/accelerators.js';
import { adoptRemoteVersion } from '../vertex/adopt-remote-version.js';
import { configOverrides } from '../vertex/config-drift.js';
import { buildVertexJobRequest, type VertexCustomJob } from '../vertex/custom-job.js';
import { readJobResult, writeJobFile } from '../vertex/job-files.js';
import { runVertexJob } from '../vertex/run-vertex-job.js';
import { configFileName, secretRefs, warnings } from './deploy-command.js';
import { stringFlag, withCancelOnInterrupt } from './interrupt.js';
import { checkSecretsThenBuild } from './prepare-image.js';

/** The command, bound to the plugin's resources. */
export function vertexTrainCommand(context: GcpContext): PluginCommand {
  return {
    name: 'vertex train',
    description:
      'run training as a Vertex AI custom job with this config, building the image with Cloud Build unless --image is given; --dry-run prints the requests',
    options: [
      ['--dry-run', 'print the build and CustomJob requests without sending them'],
      ['--image <image>', 'run this image (bring your own) instead of building the project with Cloud Build'],
      ['--rebuild', 'build the image even when the registry has one for this state of the project'],
      ['--machine-type <type>', 'machine type (default n1-standard-8; an L4 needs g2-*, an A100 a2-*)'],
      [
        '--accelerator <type>',
        'accelerator type, e.g. NVIDIA_TESLA_T4, NVIDIA_TESLA_V100; without --image the job runs the GPU image (CUDA 11.2, tfjs-node-gpu): T4, V100, P100, P4, A100',
      ],
      ['--accelerator-count <n>', 'accelerators per machine (default 1, or what the machine type fixes)'],
      ['--data <manifests>', 'comma-separated data manifests the job restores before the run'],
      ['--env <pairs...>', 'plain env vars KEY=VALUE for the job (repeatable or comma-separated)'],
      ['--secret <pairs...>', 'env vars from Secret Manager ENV=SECRET[:VERSION], read by the job at start'],
      ['--timeout <duration>', 'longest run time, e.g. 6h, 90m, 3600s (default 24h)'],
      ['--service-account <email>', 'service account the job runs as'],
      ['--project <id>', 'Google Cloud project (default GOOGLE_CLOUD_PROJECT)'],
      ['--region <region>', 'region (default us-central1)'],
      ['--job-id <id>', 'job id (default: time and random suffix)'],
    ],
    action: async (_args, flags, api) => {
      const opt = (key: string) => stringFlag(flags, key);
      const defaults = context.options.vertex ?? {};
      const { config } = context;
      const remote = context.requireRemote('mlops vertex train');
      const project = context.requireProject(opt('project'));
      const region = context.region(opt('region'));
      const baseUrl = context.endpoint('vertex', region);
      const jobId = opt('jobId') ?? newJobId();
      const manifests = (opt('data') ?? defaults.checkout?.join(',') ?? '')
        .split(',')
        .filter(Boolean)
        .map((m) => resolve(config.root, m));
      const count = opt('acceleratorCount');
      const accelerator = opt('accelerator') ?? defaults.acceleratorType;
      const timeout = opt('timeout');
      const serviceAccount = opt('serviceAccount') ?? defaults.serviceAccount;
      refuseCredentials(defaults.env ?? {}, 'gcp({ vertex: { env } })');
      const env = { ...(defaults.env ?? {}), ...parseEnvPairs(listFlag(flags.env)) };
      const secrets = secretRefs(defaults.secrets, listFlag(flags.secret), project);
      const configFile = defaults.configFile ?? configFileName(config.sources, config.root);
      // The run asked for is the config file plus this command's --set overrides: pass those on,
      // as given on the command line (`--remote vertex` and plugin commands both see them), else
      // recovered from the resolved config (a config given programmatically).
      const cliSets = Array.isArray(flags.set) ? flags.set.map(String) : await cliOverrides(config);
      const byo = opt('image') ?? defaults.image;
      // An accelerator without --image: the GPU variant of the project image, on the tensorflow backend.
      const gpu = !byo && accelerator !== undefined;
      if (gpu) checkGpuImageAccelerator(accelerator);
      const remoteSets = [...(defaults.set ?? []), ...(gpu ? gpuBackendOverrides(config, api.logger) : [])];
      const plan = byo
        ? undefined
        : await planProjectImage(context, { project, region, configFile, variant: gpu ? 'gpu' : 'cpu' });
      const image = byo ?? (plan as NonNullable<typeof plan>).image;
      const request = buildVertexJobRequest(
        {
          ...defaults,
          project,
          region,
          image,
          remote,
          jobId,
          projectName: config.project,
          configFile,
          set: [...cliSets, ...remoteSets],
          env,
          secrets,
          ...(opt('machineType') ? { machineType: opt('machineType') } : {}),
          ...(accelerator ? { acceleratorType: accelerator } : {}),
          ...(count ? { acceleratorCount: positiveInt(count, '--accelerator-count') } : {}),
          ...(timeout ? { timeoutSeconds: parseDuration(timeout) } : {}),
          ...(serviceAccount ? { serviceAccount } : {}),
          checkout: manifests.map((m) => relative(config.root, m).split('\\').join('/')),
          ...(Array.isArray(flags.stages) ? { stages: flags.stages as string[] } : {}),
          ...(flags.force === true ? { force: true } : {}),
        },
        baseUrl,
      );
      warnings(context, api, secrets, env);
      if (gpu) gpuWarnings(config, request.body, api.logger);
      if (flags.dryRun) {
        const secretManager = context.endpoint('secretManager');
        if (plan?.variant === 'gpu') {
          api.logger.info(
            `GPU image Dockerfile (${plan.dockerfile.path} in the build context):\n${plan.dockerfile.text}`,
          );
        }
        return {
          jobId,
          image,
          ...(plan ? { build: describeImagePlan(plan) } : {}),
          ...(plan?.variant === 'gpu' ? { dockerfile: plan.dockerfile.text } : {}),
          ...(secrets.length
            ? {
                secretChecks: secrets.map((s) => ({
                  method: 'GET',
                  url: `${secretManager}/projects/${s.project}/secrets/${s.secret}`,
                })),
              }
            : {}),
          request,
        };
      }

      const client = context.apiClient();
      const built = await checkSecretsThenBuild(context, secrets, plan, {
        logger: api.logger,
        rebuild: flags.rebuild === true,
      });
      const store = context.remoteStore('mlops vertex train');
      const data: Record<string, string> = {};
      const manifestObjects: Record<string, string> = {};
      for (const manifest of manifests) {
        const pushed = await pushDataVersion(manifest, store);
        const key = relative(config.root, manifest).split('\\').join('/');
        data[key] = pushed.version;
        manifestObjects[key] = (await store.putFile(manifest, { name: key })).hash;
        api.logger.info(
          `data version ${pushed.version.slice(0, 12)}: ${pushed.transferred} object(s) uploaded`,
        );
      }
      const git = await gitInfo(config.root);
      const packageUrl = await writeJobFile(context.storage(), remote, jobId, 'job.json', {
        format: 'mlops-vertex-job/1',
        jobId,
        createdAt: new Date().toISOString(),
        config: configToJson(config),
        ...(remoteSets.length ? { remoteOverrides: remoteSets } : {}),
        data,
        manifests: manifestObjects,
        ...(git ? { gitSha: formatGitSha(git) } : {}),
        image,
        request: request.body,
      });
      api.logger.info(`job package: ${packageUrl}`);
      let job: Awaited<ReturnType<typeof runVertexJob>>;
      try {
        job = await withCancelOnInterrupt(`Vertex AI job ${jobId}`, (signal) =>
          runVertexJob(client, request, {
            baseUrl,
            project,
            signal,
            pollIntervalMs: context.options.pollIntervalMs ?? 15_000,
            onSubmitted: (status, links) => {
              api.logger.info(`submitted ${status.name}`);
              if (links.console) api.logger.info(`console: ${links.console}`);
              if (links.logs) api.logger.info(`logs: ${links.logs}`);
            },
            onCancel: (status) =>
              api.logger.warn(`cancelling ${status.name}; waiting for Vertex AI to stop it`),
            onState: (state, status) => api.logger.info(`${status.name}: ${state.replace('JOB_STATE_', '')}`),
          }),
        );
      } catch (error) {
        // The job's own account of why it stopped (a config or data mismatch) beats "exit status 1".
        const reported = await readJobResult(context.storage(), remote, jobId, true).catch(() => undefined);
        if (reported?.error && isMlopsError(error)) {
          throw new MlopsError(error.code, `${error.message}; the job said: ${reported.error}`, {
            ...(error.hint ? { hint: error.hint } : {}),
            cause: error,
          });
        }
        throw error;
      }
      const result = await readJobResult(context.storage(), remote, jobId);
      if (!result.verified) {
        api.logger.warn(
          `the job's image did not confirm job.json (its @mlops/plugin-gcp predates the check): the run may not match the config and data submitted; rebuild the image`,
        );
      }
      const remoteRegistry = context.remoteRegistry();
      const localRegistry = api.container.resolve(ModelRegistry);
      const adopted = await adoptRemoteVersion({
        result,
        remoteRegistry,
        localRegistry: context.registryPlacement === 'bucket' ? remoteRegistry : localRegistry,
        remoteStore: store,
        registry: config.registry,
        jobName: job.name,
        logger: api.logger,
      });
      if (!adopted) {
        api.logger.warn(
          `Vertex AI job ${jobId} registered no model: its run ${result.runId} stopped before the export stage; \`mlops run --remote vertex\` trains, evaluates and registers`,
        );
      }
      return {
        jobId,
        job: job.name,
        state: job.state,
        image,
        built: built?.built ?? false,
        runId: result.runId,
        metrics: result.metrics ?? {},
        ...(result.verified ? { verified: result.verified } : {}),
        registered: adopted ?? null,
      };
    },
  };
}

/**
 * The `--set` the GPU job adds: `train.backend=tensorflow` (the backend tfjs-node-gpu registers),
 * unless the config already says so. A config that asks for another backend is overridden, with a
 * warning: the GPU image exists for this one.
 */
function gpuBackendOverrides(config: ResolvedConfig, logger: Logger): string[] {
  const backend = config.train.backend;
  if (backend === GPU_TRAIN_BACKEND) return [];
  if (backend !== 'auto') {
    logger.warn(
      `train.backend is "${backend}" in the config; the GPU job runs with train.backend=${GPU_TRAIN_BACKEND} (tfjs-node-gpu), as the GPU image is built for it`,
    );
  }
  return [`train.backend=${GPU_TRAIN_BACKEND}`];
}

/** What a GPU job cannot use, said before it is queued. */
function gpuWarnings(config: ResolvedConfig, job: VertexCustomJob, logger: Logger): void {
  const machine = job.jobSpec.workerPoolSpecs[0]?.machineSpec;
  if ((machine?.acceleratorCount ?? 1) > 1) {
    logger.warn(
      `the job gets ${machine?.acceleratorCount} × ${machine?.acceleratorType}, but tfjs-node-gpu trains on one GPU: the others stay idle`,
    );
  }
  if (!config.plugins.some((p) => p.name === '@mlops/plugin-tfjs')) {
    logger.warn(
      'the GPU image runs TensorFlow.js (tfjs-node-gpu), and this config has no @mlops/plugin-tfjs: nothing will use the GPU',
    );
  }
}

/**
 * The `--set` overrides of the command line, recovered as the difference between the resolved
 * config and the config file loaded without them. Empty when the file cannot be loaded again
 * (a config given programmatically).
 */
async function cliOverrides(config: ResolvedConfig): Promise<string[]> {
  const file = config.sources.find((s) => /mlops\.config\.([cm]?[jt]s|ya?ml)$/.test(s));
  if (!file) return [];
  try {
    const base = await loadConfig({ configFile: file });
    return configOverrides(configToJson(config), configToJson(base.config));
  } catch {
    return [];
  }
}

/** `6h`, `90m`, `3600s`, `3600` or `1d` in seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!match) {
    throw new MlopsError(
      'MLOPS_ERR_USAGE',
      `--timeout expects a duration like 6h, 90m or 3600s, not "${value}"`,
      {
        hint: 'e.g. --timeout 6h',
      },
    );
  }
  const factor = { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  const seconds = Math.round(Number(match[1]) * factor);
  if (seconds < 1) {
    throw new MlopsError('MLOPS_ERR_USAGE', `--timeout ${value} is shorter than a second`, {
      hint: 'e.g. --timeout 6h',
    });
  }
  return seconds;
}

function newJobId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new MlopsError(
      'MLOPS_ERR_USAGE',
      `${flag} must be a positive integer, not ${JSON.stringify(value)}`,
      {
        hint: `e.g. ${flag} 1`,
      },
    );
  }
  return n;
}
