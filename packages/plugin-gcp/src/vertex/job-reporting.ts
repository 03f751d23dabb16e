/**
 * The remote side of `mlops train --remote vertex`, active inside the job's container (env
 * `MLOPS_GCP_JOB`). Before the run it reads `jobs/<id>/job.json` back and makes the run the one
 * that was asked for:
 *
 * - **config**: the resolved config must equal the submitted one (root-relative; `store.remote`
 *   aside). An image built from other sources or with other plugin versions fails here, naming
 *   the keys that differ, before any training.
 * - **data**: each data version of the package is restored: the submitted manifest (stored in the
 *   bucket) replaces the image's copy when they differ, its blobs are pulled and checked out, and
 *   the restored version must be the submitted one.
 * - **code**: the image has no `.git`, so the run would record no code version; the package's git
 *   sha goes into the run (its lineage and `run.json`).
 *
 * After the run it writes `jobs/<id>/result.json` with the outcome, the registered version and
 * what it verified; if the checks fail, it writes a failed result with the reason first, so the
 * submitting machine can say why.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { configToJson, dataCheckout, type JsonObject, type PluginApi, RunStore } from '@mlops/core';
import { pullDataVersion } from '../data/data-remote.js';
import { gcpErrors } from '../errors.js';
import type { GcsArtifactStore } from '../gcs/gcs-artifact-store.js';
import { configDifferences } from './config-drift.js';
import { readJobPackage, type VertexJobPackage, type VertexJobResult, writeJobFile } from './job-files.js';

/** What the reporting needs. */
export interface JobReportingOptions {
  /** Job id. */
  jobId: string;
  /** Manifests (relative to the project root) to restore when the package names none (older packages). */
  checkout: string[];
  /** The bucket store. */
  store: GcsArtifactStore;
  /** The client. */
  storage: Storage;
}

/** Taps `runStart` and `runEnd`; see the module comment. */
export function tapJobReporting(api: PluginApi, options: JobReportingOptions): void {
  let verified: VertexJobResult['verified'];
  api.hooks.runStart.tapPromise('@mlops/plugin-gcp:vertex-job', async (event) => {
    const fail = async (message: string, hint: string): Promise<never> => {
      await writeJobFile(options.storage, options.store.location, options.jobId, 'result.json', {
        format: 'mlops-vertex-result/1',
        jobId: options.jobId,
        status: 'failed',
        runId: event.run.id,
        error: message,
      });
      throw gcpErrors.create('MLOPS_GCP_ERR_VERTEX_JOB', message, { hint });
    };
    const pkg = await readJobPackage(options.storage, options.store.location, options.jobId);
    const root = api.config.root;
    const submittedRoot = (pkg.config as { root?: string }).root ?? '';
    const differences = configDifferences(
      pkg.config as JsonObject,
      configToJson(api.config),
      { submitted: submittedRoot, here: root },
      (pkg.remoteOverrides ?? []).map((s) => s.slice(0, Math.max(0, s.indexOf('=')))),
    );
    if (differences.length) {
      await fail(
        `the config in the image is not the one submitted with job ${options.jobId}: ${differences.slice(0, 8).join('; ')}${differences.length > 8 ? `; and ${differences.length - 8} more` : ''}`,
        'Submit without --image so the image is rebuilt from the current project, or rebuild your image from the commit you submit.',
      );
    }
    const data = await restoreData(api, options, pkg, fail);
    if (pkg.gitSha) await recordCodeVersion(api, event.run, pkg.gitSha);
    verified = { data, ...(pkg.gitSha ? { gitSha: pkg.gitSha } : {}), config: true };
  });
  api.hooks.runEnd.tapPromise('@mlops/plugin-gcp:vertex-job', async (event) => {
    const metrics = event.outputs.evaluate?.metrics;
    const registered = event.outputs.export?.registered;
    const runMetrics = await new RunStore(resolve(api.config.root, api.config.store.path))
      .get(event.run.id)
      .then((record) => record.metrics)
      .catch(() => undefined);
    const url = await writeJobFile(options.storage, options.store.location, options.jobId, 'result.json', {
      format: 'mlops-vertex-result/1',
      jobId: options.jobId,
      status: event.status,
      runId: event.run.id,
      ...(registered ? { registered } : {}),
      ...(metrics ? { metrics } : {}),
      ...(runMetrics ? { runMetrics } : {}),
      ...(verified ? { verified } : {}),
    });
    api.logger.info(`job result written to ${url}`);
  });
}

/** Restores the package's data versions; returns manifest path → restored version. */
async function restoreData(
  api: PluginApi,
  options: JobReportingOptions,
  pkg: VertexJobPackage,
  fail: (message: string, hint: string) => Promise<never>,
): Promise<Record<string, string>> {
  const paths = Object.keys(pkg.data ?? {}).length ? Object.keys(pkg.data) : options.checkout;
  const restored: Record<string, string> = {};
  for (const manifest of paths) {
    const path = resolve(api.config.root, manifest);
    const submitted = pkg.manifests?.[manifest];
    if (submitted) {
      const bytes = await options.store.getBytes(submitted);
      const local = await readFile(path).catch(() => undefined);
      if (!local?.equals(bytes)) {
        if (local)
          api.logger.warn(`${manifest} in the image differs from the one submitted; using the submitted one`);
        await writeFile(path, bytes);
      }
    }
    const pulled = await pullDataVersion(path, options.store);
    await dataCheckout(path, options.store.cache, undefined, { force: true });
    const wanted = pkg.data?.[manifest];
    if (wanted && pulled.version !== wanted) {
      await fail(
        `${manifest} restored data version ${pulled.version.slice(0, 12)}, but job ${options.jobId} was submitted with ${wanted.slice(0, 12)}`,
        'Submit the job again from the commit that holds the manifest (mlops train --remote vertex uploads it).',
      );
    }
    restored[manifest] = pulled.version;
    api.logger.info(`restored data version ${pulled.version.slice(0, 12)} from ${manifest}`);
  }
  return restored;
}

/** Puts the submitted code version into the run: lineage (RunInfo.gitSha) and `run.json`. */
async function recordCodeVersion(
  api: PluginApi,
  run: { id: string; gitSha?: string },
  gitSha: string,
): Promise<void> {
  run.gitSha = gitSha;
  const dirty = gitSha.endsWith('-dirty');
  const sha = dirty ? gitSha.slice(0, -'-dirty'.length) : gitSha;
  try {
    await new RunStore(resolve(api.config.root, api.config.store.path)).update(run.id, (record) => {
      record.git = { sha, dirty };
    });
  } catch (error) {
    api.logger.warn(`could not record the code version in run ${run.id}: ${(error as Error).message}`);
  }
}
