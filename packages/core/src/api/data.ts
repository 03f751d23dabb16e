import { resolve } from 'node:path';
import { type DataStatus, dataAdd, dataCheckout, dataStatus } from '../data/data-commands.js';
import { LocalArtifactStore } from '../store/local-artifact-store.js';
import { loadProject, type ProjectOptions } from './context.js';

/** Result of {@link dataAddCommand}. */
export interface DataAddSummary {
  /** Data version (tree hash). */
  version: string;
  /** Files recorded. */
  files: number;
  /** Images per split. */
  splits: Record<string, number>;
  /** Manifest written (commit it to git). */
  manifestPath: string;
}

/** `mlops data add <dir>`: records a data version in the project's store. */
export async function dataAddCommand(
  dir: string,
  options: ProjectOptions & { classMap?: string; output?: string } = {},
): Promise<DataAddSummary> {
  const { storePath } = await loadProject(options);
  const cwd = options.cwd ?? process.cwd();
  const result = await dataAdd(resolve(cwd, dir), {
    store: new LocalArtifactStore(storePath),
    ...(options.classMap ? { classMap: resolve(cwd, options.classMap) } : {}),
    ...(options.output ? { output: resolve(cwd, options.output) } : {}),
  });
  return {
    version: result.version,
    files: result.manifest.files.length,
    splits: result.manifest.splits,
    manifestPath: result.manifestPath,
  };
}

/** `mlops data status <dir>`: added, removed and modified files since the manifest. */
export async function dataStatusCommand(
  dir: string,
  options: ProjectOptions & { manifest?: string } = {},
): Promise<DataStatus> {
  const { storePath } = await loadProject(options);
  const cwd = options.cwd ?? process.cwd();
  return dataStatus(resolve(cwd, dir), options.manifest ? resolve(cwd, options.manifest) : undefined, {
    cacheDir: resolve(storePath, 'cache'),
  });
}

/** `mlops data checkout <manifest> [dest]`: restores a data version from the store. */
export async function dataCheckoutCommand(
  manifest: string,
  dest: string | undefined,
  options: ProjectOptions & { force?: boolean } = {},
): Promise<{ dir: string; version: string; files: number }> {
  const { storePath } = await loadProject(options);
  const cwd = options.cwd ?? process.cwd();
  const result = await dataCheckout(
    resolve(cwd, manifest),
    new LocalArtifactStore(storePath),
    dest ? resolve(cwd, dest) : undefined,
    { ...(options.force ? { force: true } : {}) },
  );
  return { dir: result.dest, version: result.version, files: result.files };
}
