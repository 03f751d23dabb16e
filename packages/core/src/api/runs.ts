import {
  type CompareRunsOptions,
  compareRuns as compareRecords,
  type RunComparison,
} from '../runs/compare-runs.js';
import type { RunRecord } from '../runs/run-record.js';
import { RunStore } from '../runs/run-store.js';
import { loadProject, type ProjectOptions } from './context.js';

/** `mlops runs list`: newest first. */
export async function listRuns(options: ProjectOptions & { limit?: number } = {}): Promise<RunRecord[]> {
  const { storePath } = await loadProject(options);
  return new RunStore(storePath).list({ limit: options.limit ?? 20 });
}

/** `mlops runs show <id|latest>`. */
export async function showRun(id: string, options: ProjectOptions = {}): Promise<RunRecord> {
  const { storePath } = await loadProject(options);
  return new RunStore(storePath).get(id);
}

/**
 * `mlops runs compare <a> <b>`: config, metric, data and code differences. Metrics are all listed
 * (equal ones too) with `includeUnchanged`, as the side-by-side table wants them.
 */
export async function compareRuns(
  a: string,
  b: string,
  options: ProjectOptions & CompareRunsOptions = {},
): Promise<RunComparison> {
  const { storePath } = await loadProject(options);
  const store = new RunStore(storePath);
  return compareRecords(await store.get(a), await store.get(b), {
    ...(options.includeUnchanged ? { includeUnchanged: true } : {}),
  });
}
