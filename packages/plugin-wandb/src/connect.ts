import { MlopsError } from '@mlops/core';
import { resolveApiKey } from './auth/credentials.js';
import { WandbClient } from './http/wandb-client.js';
import type { WandbPluginOptions, WandbSettings } from './settings.js';

/** Makes a client from the key in the environment or ~/.netrc; undefined when there is none. */
export async function connectWandb(
  settings: Pick<WandbSettings, 'baseUrl'>,
  options: Pick<WandbPluginOptions, 'retry' | 'netrcPath'> = {},
): Promise<WandbClient | undefined> {
  const key = await resolveApiKey({
    baseUrl: settings.baseUrl,
    ...(options.netrcPath ? { netrcPath: options.netrcPath } : {}),
  });
  if (!key) return undefined;
  return new WandbClient({
    baseUrl: settings.baseUrl,
    apiKey: key.key,
    ...(options.retry ? { retry: options.retry } : {}),
  });
}

/** The error when an online operation needs a key and there is none. */
export function missingKeyError(baseUrl: string): MlopsError {
  return new MlopsError('MLOPS_ERR_REMOTE_AUTH', `no W&B API key for ${baseUrl}`, {
    hint: `Set WANDB_API_KEY, or add "machine ${new URL(baseUrl).host} login user password <key>" to ~/.netrc.`,
  });
}
