import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { downloadFileToCacheDir, HubApiError } from '@huggingface/hub';
import { isMlopsError, MlopsError } from '@mlops/core';

/** Where the Hub is and how to reach it; every field defaults from the environment as Python's `huggingface_hub` does. */
export interface HubSettings {
  /** Hub URL: `HF_ENDPOINT` (a mirror), else `https://huggingface.co`. */
  readonly endpoint: string;
  /** Access token for private or gated repos: `HF_TOKEN` (or `HUGGING_FACE_HUB_TOKEN`). */
  readonly token?: string;
  /** Never touch the network (`HF_HUB_OFFLINE=1`): only the cache is read. */
  readonly offline: boolean;
  /**
   * The cache, shared with Python's `huggingface_hub` (same layout:
   * `models--<org>--<name>/{blobs,snapshots/<commit>,refs/<revision>}`): `HF_HUB_CACHE`, else
   * `HF_HOME/hub`, else `XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`.
   */
  readonly cacheDir: string;
}

/** A repo on the Hub and the revision to read. */
export interface HubRepoRef {
  /** `org/name`, e.g. `timm/mobilenetv4_conv_small.e2400_r224_in1k`. */
  readonly repo: string;
  /** Branch, tag or commit; default `main`. */
  readonly revision: string;
}

const TRUE_VALUES = new Set(['1', 'true', 'yes', 'on']);
const COMMIT_RE = /^[0-9a-f]{40}$/;

/** Hub settings from the environment (see {@link HubSettings}). */
export function hubSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  const token = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  return {
    endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    offline: TRUE_VALUES.has((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
    cacheDir: env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(home, 'hub'),
  };
}

/** Parses `hf-hub:<org>/<name>[@<revision>]` (timm's spelling); undefined for anything else. */
export function parseHubSpec(spec: string): HubRepoRef | undefined {
  if (!spec.startsWith('hf-hub:')) return undefined;
  const rest = spec.slice('hf-hub:'.length);
  const at = rest.lastIndexOf('@');
  const repo = at > 0 ? rest.slice(0, at) : rest;
  const revision = at > 0 ? rest.slice(at + 1) : 'main';
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo) || !revision) {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `"${spec}": expected hf-hub:<org>/<name>[@<revision>]`, {
      hint: 'for example hf-hub:timm/mobilenetv4_conv_small.e2400_r224_in1k',
    });
  }
  return { repo, revision };
}

/** The cache folder of a repo: `<cacheDir>/models--<org>--<name>`. */
export function repoCacheDir(settings: Pick<HubSettings, 'cacheDir'>, repo: string): string {
  return join(settings.cacheDir, `models--${repo.split('/').join('--')}`);
}

/** The cached copy of `file` at `revision`, if the cache holds one (no network). */
export async function cachedHubFile(
  settings: Pick<HubSettings, 'cacheDir'>,
  ref: HubRepoRef,
  file: string,
): Promise<string | undefined> {
  const folder = repoCacheDir(settings, ref.repo);
  let commit: string | undefined;
  if (COMMIT_RE.test(ref.revision)) {
    commit = ref.revision;
  } else {
    try {
      commit = (await readFile(join(folder, 'refs', ref.revision), 'utf8')).trim();
    } catch {
      commit = undefined;
    }
  }
  if (commit) {
    const path = join(folder, 'snapshots', commit, file);
    return existsSync(path) ? path : undefined;
  }
  return undefined;
}

function unavailable(
  settings: HubSettings,
  ref: HubRepoRef,
  file: string,
  why: string,
  cause?: unknown,
): MlopsError {
  const folder = repoCacheDir(settings, ref.repo);
  return new MlopsError(
    'MLOPS_ERR_CHECKPOINT_UNAVAILABLE',
    `hf-hub:${ref.repo}@${ref.revision}: cannot get ${file}: ${why}`,
    {
      file: folder,
      hint:
        `place the repo's files by hand: put ${file} (and config.json) in ${join(folder, 'snapshots', '<any-name>')}/ and write <any-name> to ${join(folder, 'refs', ref.revision)}; ` +
        'or download the folder on a machine with network and set model.initialCheckpoint to its path; ' +
        'a mirror is used with HF_ENDPOINT=<url>, a private repo needs HF_TOKEN',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** True for errors that mean "the network is not there" rather than "the Hub said no". */
function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const codes = [
    'ENOTFOUND',
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'ENETUNREACH',
    'UND_ERR_CONNECT_TIMEOUT',
  ];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (code && codes.includes(code)) return true;
    if (current.message === 'fetch failed') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Writes `refs/<revision>` so an offline run finds the snapshot (Python's cache does the same). */
async function writeRef(settings: HubSettings, ref: HubRepoRef, path: string): Promise<void> {
  if (COMMIT_RE.test(ref.revision)) return;
  const folder = repoCacheDir(settings, ref.repo);
  const parts = relative(join(folder, 'snapshots'), path).split(sep);
  const commit = parts[0];
  if (!commit || commit.startsWith('..')) return;
  const refFile = join(folder, 'refs', ref.revision);
  await mkdir(dirname(refFile), { recursive: true });
  const temp = `${refFile}.${process.pid}.tmp`;
  await writeFile(temp, commit);
  await rename(temp, refFile);
}

/**
 * Returns a local path of `file` from a Hub repo, downloading it into the shared Hugging Face
 * cache when the cache does not hold it yet (`@huggingface/hub`; a blob another revision already
 * brought is not downloaded again). A cached copy is used without asking the network — so every
 * command that reads the config works offline once a checkpoint was fetched; pin a revision
 * (`hf-hub:<repo>@<commit>`) to be exact, or delete the repo's cache folder to refresh a branch.
 * Offline (`HF_HUB_OFFLINE=1`) only the cache is read. Failing all that, one error names the cache
 * folder and how to place the files by hand.
 */
export async function hubFile(
  ref: HubRepoRef,
  file: string,
  settings: HubSettings = hubSettingsFromEnv(),
  log: (message: string) => void = () => {},
): Promise<string> {
  const cached = await cachedHubFile(settings, ref, file);
  if (cached) return cached;
  if (settings.offline) {
    throw unavailable(settings, ref, file, 'HF_HUB_OFFLINE is set and the file is not in the cache');
  }
  try {
    log(
      `downloading ${file} from ${settings.endpoint}/${ref.repo} (revision ${ref.revision}) into ${settings.cacheDir}`,
    );
    const path = await downloadFileToCacheDir({
      repo: { type: 'model', name: ref.repo },
      path: file,
      revision: ref.revision,
      hubUrl: settings.endpoint,
      cacheDir: settings.cacheDir,
      ...(settings.token ? { accessToken: settings.token } : {}),
    });
    await writeRef(settings, ref, path);
    await stat(path);
    return path;
  } catch (error) {
    if (isMlopsError(error)) throw error;
    if (isNetworkError(error)) {
      throw unavailable(
        settings,
        ref,
        file,
        `${settings.endpoint} is unreachable (${(error as Error).message})`,
        error,
      );
    }
    if (error instanceof HubApiError) {
      if (error.statusCode === 401 || error.statusCode === 403) {
        throw new MlopsError(
          'MLOPS_ERR_REMOTE_AUTH',
          `hf-hub:${ref.repo}: the Hub refused access (${error.statusCode})`,
          {
            hint: 'set HF_TOKEN to a token that can read this repo (gated repos need their terms accepted)',
            cause: error,
          },
        );
      }
      if (error.statusCode === 404) {
        throw unavailable(settings, ref, file, `the Hub has no such repo, revision or file (404)`, error);
      }
    }
    throw unavailable(settings, ref, file, (error as Error).message, error);
  }
}
