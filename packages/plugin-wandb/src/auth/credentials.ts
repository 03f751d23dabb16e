import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where an API key was found; reported instead of the key itself. */
export type ApiKeySource = 'WANDB_API_KEY' | 'netrc';

/** A resolved API key. */
export interface ApiKey {
  /** The key. Never log it: pass strings through a {@link Redactor}. */
  key: string;
  /** Where it came from. */
  source: ApiKeySource;
}

/** Inputs of {@link resolveApiKey}. */
export interface ResolveApiKeyOptions {
  /** Environment; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Base URL whose host names the netrc `machine`. */
  baseUrl: string;
  /** The netrc file; default `$NETRC` or `~/.netrc`. */
  netrcPath?: string;
}

/**
 * The W&B API key as the wandb CLI finds it: `WANDB_API_KEY` first, then the `password` of the
 * netrc entry whose `machine` is the API host (`api.wandb.ai`, or `host:port` for a local server).
 * Undefined when neither has one.
 */
export async function resolveApiKey(options: ResolveApiKeyOptions): Promise<ApiKey | undefined> {
  const env = options.env ?? process.env;
  const fromEnv = env.WANDB_API_KEY?.trim();
  if (fromEnv) return { key: fromEnv, source: 'WANDB_API_KEY' };
  const path = options.netrcPath ?? env.NETRC ?? join(homedir(), '.netrc');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined; // no netrc is the common case, not an error
  }
  const url = new URL(options.baseUrl);
  const entries = parseNetrc(text);
  const entry = entries.get(url.host) ?? entries.get(url.hostname);
  return entry?.password ? { key: entry.password, source: 'netrc' } : undefined;
}

/** One `machine` entry of a netrc file. */
export interface NetrcEntry {
  /** `login` value. */
  login?: string;
  /** `password` value. */
  password?: string;
}

/** Parses netrc text into machine → entry (`default` is keyed as `default`; macros are skipped). */
export function parseNetrc(text: string): Map<string, NetrcEntry> {
  const tokens = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .split(/\s+/)
    .filter(Boolean);
  const entries = new Map<string, NetrcEntry>();
  let current: NetrcEntry | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const value = tokens[i + 1];
    if (token === 'machine' && value !== undefined) {
      current = {};
      entries.set(value, current);
      i++;
    } else if (token === 'default') {
      current = {};
      entries.set('default', current);
    } else if ((token === 'login' || token === 'password') && value !== undefined && current) {
      current[token] = value;
      i++;
    } else if (token === 'account' && value !== undefined) {
      i++;
    }
  }
  return entries;
}
