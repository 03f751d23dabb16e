/**
 * The two small objects that tie a local `mlops vertex train` to the job it started, under
 * `<prefix>/jobs/<jobId>/` in the bucket: `job.json` (the package: resolved config, data versions
 * with their manifests, code version, image and the exact request; written before submission and
 * read back by the job, which restores exactly those data versions, checks that its config is the
 * one submitted and records the code version) and `result.json` (written by the remote run when it
 * ends: status, run id, the registered version, and what it verified against `job.json`).
 */

import type { Storage } from '@google-cloud/storage';
import { MlopsError, type RunEndStatus } from '@mlops/core';
import { gcpErrors } from '../errors.js';
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
  /** `--set` overrides only the job gets (`gcp({ vertex: { set } })`): their keys may differ from `config`. */
  remoteOverrides?: string[];
  /** Data versions the job trains on: manifest path (relative to the project root) → tree hash. */
  data: Record<string, string>;
  /**
   * The manifests themselves: path → sha256 of the manifest file, stored in the bucket store. The
   * job writes these over the image's copies, so it restores exactly the versions submitted.
   */
  manifests?: Record<string, string>;
  /** Code version: commit, with `-dirty` when the tree had uncommitted changes. */
  gitSha?: string;
  /** The image the job runs. */
  image?: string;
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
  status: RunEndStatus;
  /** The remote run's id. */
  runId: string;
  /** The version the run registered (in the bucket registry), if any. */
  registered?: { model: string; version: number; aliases: string[] };
  /** Test metrics of the run. */
  metrics?: Record<string, number>;
  /** The run record's metrics (`val/top1`, `test/top1`, …): what `mlops sweep` judges trials by. */
  runMetrics?: Record<string, number>;
  /** What the job read back from `job.json` and confirmed before the run. */
  verified?: {
    /** Data versions restored: manifest path → tree hash. */
    data: Record<string, string>;
    /** The code version recorded in the run. */
    gitSha?: string;
    /** The resolved config in the image equals the one submitted. */
    config: boolean;
  };
  /** Why the run did not start or failed, when it did. */
  error?: string;
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

/** Reads `jobs/<jobId>/job.json`; `MLOPS_GCP_ERR_VERTEX_JOB` when it is missing, `MLOPS_ERR_STORE_CORRUPT` when it is not a package. */
export async function readJobPackage(
  storage: Storage,
  remote: string,
  jobId: string,
): Promise<VertexJobPackage> {
  const gs = parseGsUrl(remote);
  const url = formatGsUrl(gs, `jobs/${jobId}/job.json`);
  let bytes: Buffer;
  try {
    [bytes] = await storage
      .bucket(gs.bucket)
      .file(objectNameIn(gs, `jobs/${jobId}/job.json`))
      .download();
  } catch (error) {
    if (isNotFound(error)) {
      throw gcpErrors.create('MLOPS_GCP_ERR_VERTEX_JOB', `job ${jobId} has no package at ${url}`, {
        hint: 'Submit jobs with `mlops train --remote vertex` (it writes job.json before submitting); MLOPS_GCP_JOB must name the job.',
      });
    }
    throw toMlopsError(`read ${url}`, error);
  }
  const pkg = JSON.parse(bytes.toString('utf8')) as VertexJobPackage;
  if (pkg.format !== 'mlops-vertex-job/1') {
    throw new MlopsError('MLOPS_ERR_STORE_CORRUPT', `${url} is not a job package (mlops-vertex-job/1)`, {
      hint: 'Submit the job again.',
    });
  }
  return pkg;
}

/** Reads `jobs/<jobId>/result.json`; `MLOPS_GCP_ERR_VERTEX_JOB` when the run left none. */
export async function readJobResult(
  storage: Storage,
  remote: string,
  jobId: string,
): Promise<VertexJobResult>;
/** With `optional`: undefined when the run left no result. */
export async function readJobResult(
  storage: Storage,
  remote: string,
  jobId: string,
  optional: true,
): Promise<VertexJobResult | undefined>;
export async function readJobResult(
  storage: Storage,
  remote: string,
  jobId: string,
  optional = false,
): Promise<VertexJobResult | undefined> {
  const gs = parseGsUrl(remote);
  const path = `jobs/${jobId}/result.json`;
  const url = formatGsUrl(gs, path);
  let bytes: Buffer;
  try {
    [bytes] = await storage.bucket(gs.bucket).file(objectNameIn(gs, path)).download();
  } catch (error) {
    if (isNotFound(error)) {
      if (optional) return undefined;
      throw gcpErrors.create(
        'MLOPS_GCP_ERR_VERTEX_JOB',
        `the Vertex job ${jobId} succeeded but left no ${url}`,
        {
          hint: 'The image must include @mlops/plugin-gcp in its config plugins (it writes the result); check the job logs.',
        },
      );
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
