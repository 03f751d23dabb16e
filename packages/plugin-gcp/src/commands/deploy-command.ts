/**
 * `mlops deploy --target cloud-run [--dry-run]`: writes the project's Dockerfile (and a matching
 * `.dockerignore`), builds the image with Cloud Build unless `--image` names one (reusing the
 * image when the project has not changed: the tag is the content hash), then creates or updates
 * the Cloud Run service (secrets from Secret Manager, an `updateMask`, a traffic split), sets
 * public access (`--allow-unauthenticated`) and the alert policies (`--alerts`), and prints the
 * service URL and its logs. `--dry-run` prints every request it would send and sends none.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isErrnoException, MlopsError, type PluginApi, type PluginCommand } from '@mlops/core';
import { isWrittenByMlops } from '../build/build-context.js';
import { ALWAYS_EXCLUDED } from '../build/ignore-rules.js';
import {
  contextExclusions,
  describeImagePlan,
  planProjectImage,
  pluginPackages,
} from '../build/project-image.js';
import { deployToCloudRun } from '../deploy/cloud-run-deploy.js';
import { publicAccessRequest } from '../deploy/cloud-run-iam.js';
import { buildCloudRunRequest, cloudRunServiceName } from '../deploy/cloud-run-service.js';
import { renderDockerignore, renderServerDockerfile } from '../deploy/dockerfile.js';
import {
  listFlag,
  parseEnvPairs,
  parseSecretPairs,
  refuseCredentials,
  type SecretRef,
} from '../deploy/secrets.js';
import { parseTraffic } from '../deploy/traffic.js';
import type { GcpContext } from '../gcp-context.js';
import { cloudRunLogsUrl, cloudRunServiceUrl } from '../google-api/console-links.js';
import {
  alertPolicyRequests,
  buildAlertPolicies,
  ensureAlertPolicies,
} from '../monitoring/alert-policies.js';
import { stringFlag } from './interrupt.js';
import { checkSecretsThenBuild } from './prepare-image.js';

/** The command, bound to the plugin's resources. */
export function deployCommand(context: GcpContext): PluginCommand {
  return {
    name: 'deploy',
    description:
      'deploy the inference server (--target cloud-run), building the image with Cloud Build unless --image is given; --dry-run prints the requests',
    options: [
      ['--target <target>', 'where to deploy: cloud-run'],
      [
        '--dry-run',
        'write the Dockerfile and print every request (build, deploy, IAM, alerts) without sending',
      ],
      ['--image <image>', 'run this image (bring your own) instead of building the project with Cloud Build'],
      ['--rebuild', 'build the image even when the registry has one for this state of the project'],
      ['--model <name>', 'registry model to serve (default serve.model, else registry.model)'],
      ['--alias <alias>', 'alias the deployment is for (default production)'],
      ['--service <name>', 'Cloud Run service name (default: the model name)'],
      ['--project <id>', 'Google Cloud project (default GOOGLE_CLOUD_PROJECT)'],
      ['--region <region>', 'region (default us-central1)'],
      ['--dockerfile <path>', 'where to write the Dockerfile (default Dockerfile)'],
      [
        '--env <pairs...>',
        'plain env vars KEY=VALUE (repeatable or comma-separated; credentials are refused)',
      ],
      [
        '--secret <pairs...>',
        'env vars from Secret Manager ENV=SECRET[:VERSION] (repeatable or comma-separated)',
      ],
      ['--allow-unauthenticated', 'let anyone call the service (grants allUsers roles/run.invoker)'],
      ['--no-allow-unauthenticated', 'take allUsers out of the invokers again'],
      [
        '--traffic <splits>',
        'traffic split, e.g. latest=10 (a canary; the rest stays where it is) or latest=100',
      ],
      [
        '--alerts <channels...>',
        'create or update alert policies (5xx ratio, p99 latency, instances, CPU) notifying these channels',
      ],
    ],
    action: async (_args, flags, api) => {
      const opt = (key: string) => stringFlag(flags, key);
      const target = opt('target');
      if (target !== 'cloud-run') {
        throw new MlopsError('MLOPS_ERR_USAGE', `unknown deploy target ${JSON.stringify(target ?? '')}`, {
          hint: 'Pass --target cloud-run (the only target @mlops/plugin-gcp provides).',
        });
      }
      const { config } = context;
      const defaults = context.options.deploy ?? {};
      const project = context.requireProject(opt('project'));
      const region = context.region(opt('region'));
      const baseUrl = context.endpoint('run');
      const model = opt('model') ?? defaults.model ?? config.serve.model ?? config.registry.model;
      const alias = opt('alias') ?? defaults.alias;
      const explicitService = opt('service') ?? defaults.service;
      const service = cloudRunServiceName({
        model,
        ...(explicitService ? { service: explicitService } : {}),
      });
      const configFile = defaults.configFile ?? configFileName(config.sources, config.root);
      refuseCredentials(defaults.env ?? {}, 'gcp({ deploy: { env } })');
      const env = { ...(defaults.env ?? {}), ...parseEnvPairs(listFlag(flags.env)) };
      const secrets = secretRefs(defaults.secrets, listFlag(flags.secret), project);
      const traffic = flags.traffic === undefined ? undefined : parseTraffic(listFlag(flags.traffic));
      const allowUnauthenticated =
        typeof flags.allowUnauthenticated === 'boolean'
          ? flags.allowUnauthenticated
          : defaults.allowUnauthenticated;
      const channels = flags.alerts === undefined ? (defaults.alertChannels ?? []) : listFlag(flags.alerts);
      const remote = context.requireRemote('mlops deploy');

      const dockerfile = resolve(config.root, opt('dockerfile') ?? 'Dockerfile');
      await writeOwnFile(
        dockerfile,
        renderServerDockerfile({
          configFile,
          packages: await pluginPackages(config).catch(() => []),
          ...(context.options.build?.baseImage ? { baseImage: context.options.build.baseImage } : {}),
        }),
        'Dockerfile',
      );
      await writeOwnFile(
        resolve(config.root, '.dockerignore'),
        renderDockerignore([...ALWAYS_EXCLUDED, ...(await contextExclusions(config))]),
        '.dockerignore',
        true,
      );

      const byo = opt('image') ?? defaults.image;
      const plan = byo ? undefined : await planProjectImage(context, { project, region, configFile });
      const image = byo ?? (plan as NonNullable<typeof plan>).image;
      const request = buildCloudRunRequest(
        {
          ...defaults,
          project,
          region,
          image,
          model,
          remote,
          configFile,
          service,
          env,
          secrets,
          ...(alias ? { alias } : {}),
        },
        baseUrl,
      );
      const policies = channels.length
        ? buildAlertPolicies({
            project,
            region,
            service,
            maxInstances: defaults.maxInstances ?? 3,
            channels,
            ...(defaults.alerts ? { thresholds: defaults.alerts } : {}),
          })
        : [];
      warnings(context, api, secrets, env);
      const links = {
        console: cloudRunServiceUrl(project, region, service),
        logs: cloudRunLogsUrl(project, region, service),
      };
      if (flags.dryRun) {
        const secretManager = context.endpoint('secretManager');
        return {
          dockerfile,
          image,
          ...(plan ? { build: describeImagePlan(plan) } : {}),
          ...(secrets.length
            ? {
                secretChecks: secrets.map((s) => ({
                  method: 'GET',
                  url: `${secretManager}/projects/${s.project}/secrets/${s.secret}`,
                })),
              }
            : {}),
          request,
          ...(allowUnauthenticated !== undefined
            ? { iam: publicAccessRequest(request.body.name, allowUnauthenticated, baseUrl) }
            : {}),
          ...(policies.length
            ? { alerts: alertPolicyRequests(project, policies, context.endpoint('monitoring')) }
            : {}),
          notes: [
            'The service is read first (GET); the body is merged with it: labels, annotations, sidecars, volume mounts and env vars set elsewhere are kept, and only the fields in updateMask change.',
            ...(traffic && (traffic.latest < 100 || traffic.revisions.length)
              ? [
                  `traffic: ${traffic.latest}% to the new revision; ${traffic.revisions.length ? traffic.revisions.map((r) => `${r.percent}% to ${r.revision}`).join(', ') : `the other ${100 - traffic.latest}% stays on the revisions serving now, in their current proportions`}`,
                ]
              : []),
            ...(allowUnauthenticated !== undefined
              ? [
                  'iam: the binding is added to (or removed from) the current policy, read with getIamPolicy; other bindings stay.',
                ]
              : []),
          ],
          links,
        };
      }

      const client = context.apiClient();
      const built = await checkSecretsThenBuild(context, secrets, plan, {
        logger: api.logger,
        rebuild: flags.rebuild === true,
      });
      api.logger.info(`deploying ${image} to ${request.body.name}; logs: ${links.logs}`);
      const result = await deployToCloudRun(client, request, {
        baseUrl,
        intervalMs: context.options.pollIntervalMs ?? 2000,
        onPoll: (op) => api.logger.info(`${request.body.name}: ${op.done ? 'done' : 'rolling out...'}`),
        ...(traffic ? { traffic } : {}),
        ...(allowUnauthenticated !== undefined ? { allowUnauthenticated } : {}),
      });
      if (result.publicAccess === 'granted')
        api.logger.info('anyone may call the service now (allUsers has roles/run.invoker)');
      if (result.publicAccess === 'revoked') api.logger.info('allUsers may no longer call the service');
      const alerts = policies.length
        ? await ensureAlertPolicies(client, project, service, policies, context.endpoint('monitoring'))
        : undefined;
      for (const alert of alerts ?? []) api.logger.info(`alert policy ${alert.action}: ${alert.displayName}`);
      api.logger.info(`service URL: ${result.url}`);
      api.logger.info(`logs: ${links.logs}`);
      return {
        dockerfile,
        image,
        built: built?.built ?? false,
        ...(built?.build ? { build: built.build } : {}),
        ...result,
        links,
        ...(alerts ? { alerts } : {}),
      };
    },
  };
}

/** `--secret` values over `gcp({ deploy: { secrets } })`, as references. */
export function secretRefs(
  defaults: Record<string, string> | undefined,
  pairs: string[],
  project: string,
): SecretRef[] {
  const merged = new Map<string, SecretRef>();
  const fromDefaults = Object.entries(defaults ?? {}).map(([env, ref]) => `${env}=${ref}`);
  for (const ref of parseSecretPairs([...fromDefaults, ...pairs], project)) merged.set(ref.env, ref);
  return [...merged.values()];
}

/** Tells when the W&B plugin is configured but its key is not given to the cloud side. */
export function warnings(
  context: GcpContext,
  api: PluginApi,
  secrets: readonly SecretRef[],
  env: Record<string, string>,
): void {
  const wandb = context.config.plugins.some((p) => p.name === '@mlops/plugin-wandb');
  if (wandb && !secrets.some((s) => s.env === 'WANDB_API_KEY') && !('WANDB_API_KEY' in env)) {
    api.logger.warn(
      'the config uses @mlops/plugin-wandb, but no WANDB_API_KEY is given: pass --secret WANDB_API_KEY=<Secret Manager secret> (it is never baked into the image)',
    );
  }
}

/** The config file name relative to the root (the image holds the project at /app). */
export function configFileName(sources: string[], root: string): string {
  const file = sources.find((s) => /mlops\.config\.[cm]?[jt]s$/.test(s));
  return file ? file.slice(root.length + 1) : 'mlops.config.ts';
}

/**
 * Writes a file mlops owns unless a different, hand-written one is there; `keepForeign` leaves a
 * hand-written one alone silently (a user's `.dockerignore`) instead of refusing.
 */
async function writeOwnFile(path: string, text: string, what: string, keepForeign = false): Promise<void> {
  try {
    const existing = await readFile(path, 'utf8');
    if (existing === text) return;
    if (!isWrittenByMlops(existing)) {
      if (keepForeign) return;
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `${path} exists and was not written by mlops; not overwriting it`,
        {
          file: path,
          hint: `Pass --${what === 'Dockerfile' ? 'dockerfile <other path> (e.g. Dockerfile.server)' : 'image'}, or delete the file.`,
        },
      );
    }
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT')) throw error;
  }
  await writeFile(path, text);
}
