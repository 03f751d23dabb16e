/**
 * Environment and secrets of the service and the job. Plain `--env KEY=VALUE` pairs are refused
 * for names that look like credentials (`WANDB_API_KEY`, `*_TOKEN`, `*_SECRET`, ...): a plain value
 * is readable by anyone who can read the service or the job, and would sit in the request log.
 * Those come from Secret Manager instead, `--secret KEY=<secret>[:<version>]`: Cloud Run resolves
 * them itself (`valueSource.secretKeyRef`), the Vertex job resolves them at start
 * (`secretmanager.versions.access`, see `vertex/job-entry.ts`). Before sending, the command checks
 * that each secret exists (`secretmanager.projects.secrets.get`, metadata only: the value is never
 * read on the submitting machine).
 */
import { MlopsError } from '@mlops/core';
import type { GoogleApiClient } from '../google-api/google-api-client.js';

/** A secret an env var is read from. */
export interface SecretRef {
  /** The env var, e.g. `WANDB_API_KEY`. */
  env: string;
  /** Project holding the secret. */
  project: string;
  /** Secret id, e.g. `wandb-api-key`. */
  secret: string;
  /** Version: `latest` or a number. */
  version: string;
}

/** Env names treated as credentials. */
export const CREDENTIAL_NAME =
  /(^|_)(API_?KEY|ACCESS_KEY|PRIVATE_KEY|SECRET_KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$/i;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Flag values as a list: repeated flags and comma-separated lists both work. */
export function listFlag(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return items
    .flatMap((item) => String(item).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `KEY=VALUE` pairs; credentials by name are refused (see the module comment). */
export function parseEnvPairs(pairs: readonly string[], flag = '--env'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!ENV_NAME.test(name)) {
      throw new MlopsError('MLOPS_ERR_USAGE', `${flag} expects KEY=VALUE, got "${pair}"`, {
        hint: `e.g. ${flag} LOG_LEVEL=debug`,
      });
    }
    env[name] = pair.slice(eq + 1);
  }
  refuseCredentials(env, flag);
  return env;
}

/** Throws when a plain env var is named like a credential. */
export function refuseCredentials(env: Record<string, string>, where: string): void {
  for (const name of Object.keys(env)) {
    if (CREDENTIAL_NAME.test(name)) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `${name} looks like a credential; it may not be passed as a plain value (${where})`,
        {
          hint: `Store it in Secret Manager (printf %s "$${name}" | gcloud secrets create ${secretIdFor(name)} --data-file=-) and pass --secret ${name}=${secretIdFor(name)}.`,
        },
      );
    }
  }
}

/**
 * `ENV=secret[:version]` or `ENV=projects/<p>/secrets/<s>[/versions/<v> | :<v>]`; a short name is
 * a secret of `project`.
 */
export function parseSecretPairs(pairs: readonly string[], project: string): SecretRef[] {
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    const env = eq > 0 ? pair.slice(0, eq) : '';
    const ref = pair.slice(eq + 1);
    const full = /^projects\/([^/]+)\/secrets\/([^/:]+)(?:\/versions\/([^/]+)|:([A-Za-z0-9_-]+))?$/.exec(ref);
    const short = /^([A-Za-z0-9_-]+)(?::([A-Za-z0-9_-]+))?$/.exec(ref);
    if (!ENV_NAME.test(env) || (!full && !short)) {
      throw new MlopsError('MLOPS_ERR_USAGE', `--secret expects ENV=SECRET[:VERSION], got "${pair}"`, {
        hint: 'e.g. --secret WANDB_API_KEY=wandb-api-key (the latest version) or WANDB_API_KEY=wandb-api-key:3',
      });
    }
    if (full) {
      return {
        env,
        project: full[1] as string,
        secret: full[2] as string,
        version: full[3] ?? full[4] ?? 'latest',
      };
    }
    return { env, project, secret: (short as RegExpExecArray)[1] as string, version: short?.[2] ?? 'latest' };
  });
}

/** `projects/<p>/secrets/<s>/versions/<v>`. */
export function secretVersionName(ref: SecretRef): string {
  return `projects/${ref.project}/secrets/${ref.secret}/versions/${ref.version}`;
}

/** Raises a clear error for the first secret Secret Manager does not have. */
export async function checkSecretsExist(
  client: GoogleApiClient,
  refs: readonly SecretRef[],
  baseUrl: string,
): Promise<void> {
  for (const ref of refs) {
    const name = `projects/${ref.project}/secrets/${ref.secret}`;
    const found = await client.request<{ name?: string }>(
      'GET',
      `${baseUrl}/${name}`,
      undefined,
      `look up the secret ${name}`,
      { allowNotFound: true, role: 'roles/secretmanager.viewer' },
    );
    if (!found) {
      throw new MlopsError('MLOPS_ERR_USAGE', `the secret ${name} (for ${ref.env}) does not exist`, {
        hint: `Create it: printf %s "$${ref.env}" | gcloud secrets create ${ref.secret} --project ${ref.project} --data-file=- ; the service account that runs the service or job needs roles/secretmanager.secretAccessor on it.`,
      });
    }
  }
}

/** Values of credentials set in this environment: none of them may end up in an image. */
export function credentialValues(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .filter(
      ([name, value]) =>
        CREDENTIAL_NAME.test(name) &&
        name !== 'GOOGLE_APPLICATION_CREDENTIALS' && // a path, not a credential value
        typeof value === 'string' &&
        value.length >= 12,
    )
    .map(([, value]) => value as string);
}

function secretIdFor(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}
