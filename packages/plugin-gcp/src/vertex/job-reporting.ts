/**
 * The remote side of `mlops vertex train`, active inside the job's container (env `MLOPS_GCP_JOB`):
 * before the run, restores the data folders named in `MLOPS_GCP_CHECKOUT` from the bucket (pull +
 * checkout), since the image carries the manifests but not the images; after the run, writes
 * `jobs/<id>/result.json` so the submitting machine learns the outcome and the registered version.
 */
import type { Storage } from '@google-cloud/storage';
import { dataCheckout, type PluginApi } from '@mlops/core';
import { pullDataVersion } from '../data/data-remote.js';
import type { GcsArtifactStore } from '../gcs/gcs-artifact-store.js';
import { writeJobFile } from './job-files.js';

/** What the reporting needs. */
export interface JobReportingOptions {
  /** Job id. */
  jobId: string;
  /** Manifests (relative to the project root) to restore before the run. */
  checkout: string[];
  /** The bucket store. */
  store: GcsArtifactStore;
  /** The client. */
  storage: Storage;
}

/** Taps `runStart` and `runEnd`; see the module comment. */
export function tapJobReporting(api: PluginApi, options: JobReportingOptions): void {
  api.hooks.runStart.tapPromise('@mlops/plugin-gcp:vertex-job', async () => {
    for (const manifest of options.checkout) {
      const path = `${api.config.root}/${manifest}`;
      const pulled = await pullDataVersion(path, options.store);
      await dataCheckout(path, options.store.cache, undefined, { force: true });
      api.logger.info(`restored data version ${pulled.version.slice(0, 12)} from ${manifest}`);
    }
  });
  api.hooks.runEnd.tapPromise('@mlops/plugin-gcp:vertex-job', async (event) => {
    const metrics = event.outputs.evaluate?.metrics;
    const registered = event.outputs.export?.registered;
    const url = await writeJobFile(options.storage, options.store.location, options.jobId, 'result.json', {
      format: 'mlops-vertex-result/1',
      jobId: options.jobId,
      status: event.status,
      runId: event.run.id,
      ...(registered ? { registered } : {}),
      ...(metrics ? { metrics } : {}),
    });
    api.logger.info(`job result written to ${url}`);
  });
}
