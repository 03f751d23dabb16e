/**
 * Test helpers: temp directories, and child processes that run TypeScript sources directly with
 * jiti (the package is not built during tests), for crash and multi-process tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const jitiCli = join(
  dirname(createRequire(import.meta.url).resolve('jiti/package.json')),
  'lib',
  'jiti-cli.mjs',
);

/** A fresh temp directory and the function that removes it. */
export async function makeTempDir(
  prefix = 'mlops-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts `node <jiti> <script> ...args` with extra environment variables. */
export function spawnTs(script: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [jitiCli, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Output and exit of a finished child. */
export interface ChildResult {
  /** Exit code, null when killed by a signal. */
  code: number | null;
  /** Signal that killed it, if any. */
  signal: NodeJS.Signals | null;
  /** Everything it wrote to stdout. */
  stdout: string;
  /** Everything it wrote to stderr. */
  stderr: string;
}

/** Collects a child's output until it exits. */
export function waitForExit(child: ChildProcess): Promise<ChildResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs a TS script to completion; rejects with its stderr when it fails. */
export async function runTs(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<string> {
  const result = await waitForExit(spawnTs(script, args, env));
  if (result.code !== 0)
    throw new Error(`${script} exited with ${result.code ?? result.signal}:\n${result.stderr}`);
  return result.stdout;
}

/** Resolves when the child prints a line containing `marker` on stdout. */
export function waitForLine(child: ChildProcess, marker: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`no "${marker}" within ${timeoutMs} ms; stderr:\n${stderr}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before "${marker}"; stderr:\n${stderr}`));
    });
  });
}
