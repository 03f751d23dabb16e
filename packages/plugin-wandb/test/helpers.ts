import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@mlops/core';
import { afterEach, beforeEach } from 'vitest';
import { FakeWandbServer } from './fake-wandb-server.js';

/** The API key the tests use: distinctive, so a leak is easy to find. */
export const TEST_KEY = 'local-0123456789abcdef0123456789abcdef01234567';

/** Starts a fake W&B server that accepts {@link TEST_KEY}. */
export async function startFake(): Promise<FakeWandbServer> {
  const fake = new FakeWandbServer(TEST_KEY);
  await fake.start();
  return fake;
}

/**
 * Per test: a fresh fake W&B server and temp root, `WANDB_API_KEY` set to {@link TEST_KEY}, no
 * `~/.netrc`, online mode; afterwards the server closes and the environment is restored.
 */
export function useFakeWandb(set: (fake: FakeWandbServer, root: string) => void): void {
  const saved = { ...process.env };
  let fake: FakeWandbServer | undefined;
  beforeEach(async () => {
    fake = await startFake();
    const root = await tempDir();
    process.env.WANDB_API_KEY = TEST_KEY;
    process.env.NETRC = join(root, 'no-netrc');
    delete process.env.WANDB_MODE;
    set(fake, root);
  });
  afterEach(async () => {
    process.env = { ...saved };
    await fake?.close();
  });
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'mlops-wandb-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A logger that keeps every line, fields included, as text. */
export function capturingLogger(lines: string[]): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message}${fields ? ` ${safeJson(fields)}` : ''}`);
  };
  const logger: Logger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: () => logger,
  };
  return logger;
}

function safeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v instanceof Error ? { message: v.message, stack: v.stack, cause: String(v.cause) } : v,
  );
}

/**
 * Every file under `dir` as text (binary files too, which is fine for a substring search), except
 * under directories named in `skip` (e.g. materialized datasets: thousands of images).
 */
export async function readTree(dir: string, skip: readonly string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory() && skip.includes(entry.name)) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.set(path, await readFile(path, 'latin1'));
    }
  };
  await walk(dir);
  return out;
}

/** Fast retries for tests. */
export const FAST_RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 50 } as const;

/** A 1x1 PNG. */
export const PNG_1X1 = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
);
