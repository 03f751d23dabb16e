/**
 * The command a Vertex job's container runs (`node node_modules/@mlops/plugin-gcp/dist/job-main.js
 * <mlops arguments>`). Vertex AI has no secret env vars, so the entry reads the secrets named in
 * `MLOPS_GCP_SECRETS` (`ENV=projects/<p>/secrets/<s>/versions/<v>,...`) from Secret Manager
 * (`versions.access`, with the job's service account) into the environment, then runs the mlops
 * CLI with those arguments in a child process and exits with its code. The values exist only in
 * that process's memory: never in the image, the request, or the job's definition.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MlopsError } from '@mlops/core';
import { GOOGLE_API_BASES } from '../google-api/endpoints.js';
import type { GoogleApiClient } from '../google-api/google-api-client.js';
import { SECRETS_ENV } from './custom-job.js';

/** One secret of `MLOPS_GCP_SECRETS`. */
export interface JobSecret {
  /** Env var to set. */
  env: string;
  /** `projects/<p>/secrets/<s>/versions/<v>`. */
  version: string;
}

/** Parses `MLOPS_GCP_SECRETS`. */
export function parseJobSecrets(value: string | undefined): JobSecret[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const eq = item.indexOf('=');
      const version = item.slice(eq + 1);
      if (eq <= 0 || !/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/.test(version)) {
        throw new MlopsError(
          'MLOPS_ERR_CONFIG_INVALID',
          `${SECRETS_ENV}: "${item}" is not ENV=projects/<p>/secrets/<s>/versions/<v>`,
          {
            hint: 'The job was submitted by another version of @mlops/plugin-gcp; submit it again.',
          },
        );
      }
      return { env: item.slice(0, eq), version };
    });
}

/** Reads each secret's value (see the module comment). */
export async function resolveJobSecrets(
  client: GoogleApiClient,
  secrets: readonly JobSecret[],
  baseUrl: string = GOOGLE_API_BASES.secretManager,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const secret of secrets) {
    const answer = (await client.request<{ payload?: { data?: string } }>(
      'GET',
      `${baseUrl}/${secret.version}:access`,
      undefined,
      `read the secret ${secret.version} (for ${secret.env})`,
      { role: 'roles/secretmanager.secretAccessor for the job’s service account' },
    )) as { payload?: { data?: string } };
    env[secret.env] = Buffer.from(answer.payload?.data ?? '', 'base64').toString('utf8');
  }
  return env;
}

/** Options of {@link runJobEntry}. */
export interface JobEntryOptions {
  /** The API client (its token source: the job's service account). */
  client: GoogleApiClient;
  /** Secret Manager base URL. */
  secretManager?: string;
  /** The mlops CLI script; default `@mlops/core/bin/mlops.js` as resolved from the working directory. */
  cli?: string;
}

/** Resolves the secrets, runs `mlops <args>` and returns its exit code. */
export async function runJobEntry(args: readonly string[], options: JobEntryOptions): Promise<number> {
  const secrets = await resolveJobSecrets(
    options.client,
    parseJobSecrets(process.env[SECRETS_ENV]),
    options.secretManager,
  );
  const cli = options.cli ?? mlopsCli();
  const env = { ...process.env, ...secrets };
  delete env[SECRETS_ENV];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolvePromise(code ?? (signal ? 128 + 15 : 1));
    });
  });
}

/** `@mlops/core`'s CLI script, as installed in the project the job runs in. */
function mlopsCli(): string {
  const require = createRequire(join(process.cwd(), 'package.json'));
  return join(dirname(require.resolve('@mlops/core/package.json')), 'bin', 'mlops.js');
}
