/**
 * The two small objects that tie a local `mlops vertex train` to the job it started, under
 * `<prefix>/jobs/<jobId>/` in the bucket: `job.json` (the package: resolved config, data versions,
 * code version and the exact request; written before submission) and `result.json` (written by
 * the remote run when it ends: status, run id, the registered version).
 */
import type { Storage } from '@google-cloud/storage';
import { MlopsError } from '@mlops/core';
import { isNotFound, toMlopsError } from '../gcs/gcs-errors.js';
import { formatGsUrl, objectNameIn, parseGsUrl } from '../gcs/gs-url.js';

/** `job.json`: what was submitted. */
export interface VertexJobPackage {
  /** Format marker. */
  format: 'mlops-vertex-job/1';
  /** Job id (also in the job's env and labels). */
  jobId: string;
  /** ISO time of submission. */
  createdAt: string;
  /** The resolved config, as a run record stores it. */
  config: unknown;
  /** Data versions the job trains on: manifest path → tree hash. */
  data: Record<string, string>;
  /** Code version: commit, with `-dirty` when the tree had uncommitted changes. */
  gitSha?: string;
  /** The CustomJob request body. */
  request: unknown;
}

/** `result.json`: how the remote run ended. */
export interface VertexJobResult {
  /** Format marker. */
  format: 'mlops-vertex-result/1';
  /** Job id. */
  jobId: string;
  /** Outcome of the remote run. */
  status: 'succeeded' | 'failed' | 'interrupted';
  /** The remote run's id. */
  runId: string;
  /** The version the run registered (in the bucket registry), if any. */
  registered?: { model: string; version: number; aliases: string[] };
  /** Test metrics of the run. */
  metrics?: Record<string, number>;
}

/** Writes `jobs/<jobId>/<file>` as JSON. */
export async function writeJobFile(
  storage: Storage,
  remote: string,
  jobId: string,
  file: 'job.json' | 'result.json',
  value: VertexJobPackage | VertexJobResult,
): Promise<string> {
  const gs = parseGsUrl(remote);
  const path = `jobs/${jobId}/${file}`;
  const url = formatGsUrl(gs, path);
  try {
    await storage
      .bucket(gs.bucket)
      .file(objectNameIn(gs, path))
      .save(JSON.stringify(value, null, 2), {
        resumable: false,
        metadata: { contentType: 'application/json' },
      });
  } catch (error) {
    throw toMlopsError(`write ${url}`, error);
  }
  return url;
}

/** Reads `jobs/<jobId>/result.json`; `MLOPS_ERR_STAGE_FAILED` when the run left none. */
export async function readJobResult(
  storage: Storage,
  remote: string,
  jobId: string,
): Promise<VertexJobResult> {
  const gs = parseGsUrl(remote);
  const path = `jobs/${jobId}/result.json`;
  const url = formatGsUrl(gs, path);
  let bytes: Buffer;
  try {
    [bytes] = await storage.bucket(gs.bucket).file(objectNameIn(gs, path)).download();
  } catch (error) {
    if (isNotFound(error)) {
      throw new MlopsError('MLOPS_ERR_STAGE_FAILED', `the Vertex job ${jobId} succeeded but left no ${url}`, {
        hint: 'The image must include @mlops/plugin-gcp in its config plugins (it writes the result); check the job logs.',
      });
    }
    throw toMlopsError(`read ${url}`, error);
  }
  const result = JSON.parse(bytes.toString('utf8')) as VertexJobResult;
  if (result.format !== 'mlops-vertex-result/1') {
    throw new MlopsError('MLOPS_ERR_STORE_CORRUPT', `${url} is not a job result (mlops-vertex-result/1)`, {
      hint: 'Delete it and rerun the job.',
    });
  }
  return result;
}
