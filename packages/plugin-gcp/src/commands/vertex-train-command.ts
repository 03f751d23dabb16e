/**
 * `mlops vertex train [--dry-run]`: packages the run (resolved config, data versions, code
 * version), builds the Vertex AI CustomJob and either prints it (`--dry-run`) or pushes the data
 * versions, writes the package to the bucket, submits the job, streams its state and, when it
 * succeeds, registers the version it produced in the project's registry like a local run.
 *
 * `mlops train --remote vertex` (core's `--remote`, through `vertexRemoteRunner`) runs the
 * same action with the stages of the local command.
 */
import { randomBytes } from 'node:crypto';
import { relative, resolve } from 'node:path';
import {
  configToJson,
  formatGitSha,
  gitInfo,
  MlopsError,
  ModelRegistry,
  type PluginCommand,
} from '@mlops/core';
import { pushDataVersion } from '../data/data-remote.js';
import type { GcpContext } from '../gcp-context.js';
import { adoptRemoteVersion } from '../vertex/adopt-remote-version.js';
import { buildVertexJobRequest, vertexApiBase } from '../vertex/custom-job.js';
import { readJobResult, writeJobFile } from '../vertex/job-files.js';
import { runVertexJob } from '../vertex/run-vertex-job.js';

/** The command, bound to the plugin's resources. */
export function vertexTrainCommand(context: GcpContext): PluginCommand {
  return {
    name: 'vertex train',
    description: 'run training as a Vertex AI custom job with this config; --dry-run prints the request',
    options: [
      ['--dry-run', 'print the CustomJob request without sending it'],
      ['--image <image>', 'training image (the project and its dependencies)'],
      ['--machine-type <type>', 'machine type (default n1-standard-8)'],
      ['--accelerator <type>', 'accelerator type, e.g. NVIDIA_TESLA_V100, NVIDIA_L4'],
      ['--accelerator-count <n>', 'accelerators per machine (default 1)'],
      ['--data <manifests>', 'comma-separated data manifests the job restores before the run'],
      ['--project <id>', 'Google Cloud project (default GOOGLE_CLOUD_PROJECT)'],
      ['--region <region>', 'region (default us-central1)'],
      ['--job-id <id>', 'job id (default: time and random suffix)'],
    ],
    action: async (_args, flags, api) => {
      const opt = (key: string) => (typeof flags[key] === 'string' ? (flags[key] as string) : undefined);
      const defaults = context.options.vertex ?? {};
      const image = opt('image') ?? defaults.image;
      if (!image) {
        throw new MlopsError('MLOPS_ERR_USAGE', 'mlops vertex train needs the training image', {
          hint: 'Build an image of the project (its package.json, lockfile and mlops.config.ts) and push it to Artifact Registry, then pass --image <URI> or set gcp({ vertex: { image } }).',
        });
      }
      const { config } = context;
      const remote = context.requireRemote('mlops vertex train');
      const region = context.region(opt('region'));
      const baseUrl = context.options.endpoints?.vertex ?? vertexApiBase(region);
      const jobId = opt('jobId') ?? newJobId();
      const manifests = (opt('data') ?? defaults.checkout?.join(',') ?? '')
        .split(',')
        .filter(Boolean)
        .map((m) => resolve(config.root, m));
      const count = opt('acceleratorCount');
      const accelerator = opt('accelerator') ?? defaults.acceleratorType;
      const request = buildVertexJobRequest(
        {
          ...defaults,
          project: context.requireProject(opt('project')),
          region,
          image,
          remote,
          jobId,
          projectName: config.project,
          ...(opt('machineType') ? { machineType: opt('machineType') } : {}),
          ...(accelerator ? { acceleratorType: accelerator } : {}),
          ...(count ? { acceleratorCount: positiveInt(count, '--accelerator-count') } : {}),
          checkout: manifests.map((m) => relative(config.root, m).split('\\').join('/')),
          ...(Array.isArray(flags.stages) ? { stages: flags.stages as string[] } : {}),
          ...(flags.force === true ? { force: true } : {}),
        },
        baseUrl,
      );
      if (flags.dryRun) return { jobId, request };

      const store = context.remoteStore('mlops vertex train');
      const data: Record<string, string> = {};
      for (const manifest of manifests) {
        const pushed = await pushDataVersion(manifest, store);
        data[relative(config.root, manifest)] = pushed.version;
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
        data,
        ...(git ? { gitSha: formatGitSha(git) } : {}),
        request: request.body,
      });
      api.logger.info(`job package: ${packageUrl}`);
      const job = await runVertexJob(context.apiClient(), request, {
        baseUrl,
        pollIntervalMs: context.options.pollIntervalMs ?? 15_000,
        onState: (state, status) => api.logger.info(`${status.name}: ${state.replace('JOB_STATE_', '')}`),
      });
      const result = await readJobResult(context.storage(), remote, jobId);
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
        runId: result.runId,
        metrics: result.metrics ?? {},
        registered: adopted ?? null,
      };
    },
  };
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
