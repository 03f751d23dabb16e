/**
 * `mlops deploy --target cloud-run [--dry-run]`: writes the server's Dockerfile, builds the Cloud
 * Run v2 request and either prints it (`--dry-run`) or sends it with the user's credentials and
 * waits for the new revision to be ready.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isErrnoException, MlopsError, type PluginCommand } from '@mlops/core';
import { deployToCloudRun } from '../deploy/cloud-run-deploy.js';
import { buildCloudRunRequest, CLOUD_RUN_API } from '../deploy/cloud-run-service.js';
import { renderServerDockerfile } from '../deploy/dockerfile.js';
import type { GcpContext } from '../gcp-context.js';

const DOCKERFILE_MARKER = 'Written by `mlops deploy';

/** The command, bound to the plugin's resources. */
export function deployCommand(context: GcpContext): PluginCommand {
  return {
    name: 'deploy',
    description: 'deploy the inference server (--target cloud-run); --dry-run prints the API request',
    options: [
      ['--target <target>', 'where to deploy: cloud-run'],
      ['--dry-run', 'write the Dockerfile and print the request without sending it'],
      ['--image <image>', 'container image built from the Dockerfile (Artifact Registry URI)'],
      ['--model <name>', 'registry model to serve (default serve.model, else registry.model)'],
      ['--alias <alias>', 'alias the deployment is for (default production)'],
      ['--service <name>', 'Cloud Run service name (default: the model name)'],
      ['--project <id>', 'Google Cloud project (default GOOGLE_CLOUD_PROJECT)'],
      ['--region <region>', 'region (default us-central1)'],
      ['--dockerfile <path>', 'where to write the Dockerfile (default Dockerfile)'],
    ],
    action: async (_args, flags, api) => {
      const opt = (key: string) => (typeof flags[key] === 'string' ? (flags[key] as string) : undefined);
      const target = opt('target');
      if (target !== 'cloud-run') {
        throw new MlopsError('MLOPS_ERR_USAGE', `unknown deploy target ${JSON.stringify(target ?? '')}`, {
          hint: 'Pass --target cloud-run (the only target @mlops/plugin-gcp provides).',
        });
      }
      const defaults = context.options.deploy ?? {};
      const image = opt('image') ?? defaults.image;
      if (!image) {
        throw new MlopsError('MLOPS_ERR_USAGE', 'mlops deploy needs the container image to run', {
          hint: 'Build the written Dockerfile and push it (`gcloud builds submit --tag <region>-docker.pkg.dev/<project>/<repo>/server`), then pass --image <that URI> or set gcp({ deploy: { image } }).',
        });
      }
      const { config } = context;
      const baseUrl = context.options.endpoints?.run ?? CLOUD_RUN_API;
      const alias = opt('alias') ?? defaults.alias;
      const service = opt('service') ?? defaults.service;
      const request = buildCloudRunRequest(
        {
          ...defaults,
          project: context.requireProject(opt('project')),
          region: context.region(opt('region')),
          image,
          model: opt('model') ?? defaults.model ?? config.serve.model ?? config.registry.model,
          remote: context.requireRemote('mlops deploy'),
          configFile: defaults.configFile ?? configFileName(config.sources, config.root),
          ...(alias ? { alias } : {}),
          ...(service ? { service } : {}),
        },
        baseUrl,
      );
      const dockerfile = resolve(config.root, opt('dockerfile') ?? 'Dockerfile');
      await writeDockerfile(dockerfile, request.body.template.containers[0]?.args[1] ?? 'mlops.config.ts');
      if (context.registryPlacement !== 'bucket') {
        api.logger.warn(
          'the service reads models from the bucket registry; register them there (gcp({ registry: "bucket" })) or it will have nothing to serve',
        );
      }
      if (flags.dryRun) return { dockerfile, request };
      const result = await deployToCloudRun(context.apiClient(), request, {
        baseUrl,
        intervalMs: context.options.pollIntervalMs ?? 2000,
        onPoll: (op) => api.logger.info(`${request.body.name}: ${op.done ? 'done' : 'rolling out...'}`),
      });
      return { dockerfile, ...result };
    },
  };
}

/** The config file name relative to the root (the image holds the project at /app). */
function configFileName(sources: string[], root: string): string {
  const file = sources.find((s) => /mlops\.config\.[cm]?[jt]s$/.test(s));
  return file ? file.slice(root.length + 1) : 'mlops.config.ts';
}

/** Writes the Dockerfile unless a different, hand-written one is there. */
async function writeDockerfile(path: string, configFile: string): Promise<void> {
  try {
    const existing = await readFile(path, 'utf8');
    if (!existing.includes(DOCKERFILE_MARKER)) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `${path} exists and was not written by mlops; not overwriting it`,
        {
          file: path,
          hint: 'Pass --dockerfile <other path> (e.g. Dockerfile.server), or delete the file.',
        },
      );
    }
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
  }
  await writeFile(path, renderServerDockerfile({ configFile }));
}
