import { readFile } from 'node:fs/promises';
import { hashJson, MlopsError, sha256 } from '@mlops/core';
import { CREATE_RUN_FILES, RUN_RESUME_STATUS, UPSERT_BUCKET } from '../graphql/operations.js';
import type { FileStreamBody, FileStreamResponse, RunPath, WandbClient } from '../http/wandb-client.js';
import { stringifyExtendedJson } from '../json/extended-json.js';
import type { RunSpool, SpooledRun, SyncState } from '../spool/run-spool.js';

/** W&B's names of the streamed run files. */
export const HISTORY_FILE = 'wandb-history.jsonl';
/** See {@link HISTORY_FILE}. */
export const SUMMARY_FILE = 'wandb-summary.json';

/**
 * Approximate most bytes of one `file_stream` request: wandb-core's `defaultMaxRequestSizeBytes`
 * (10 MiB, `core/internal/filestream/filestream.go`).
 */
export const MAX_FILE_STREAM_REQUEST_BYTES = 10 << 20;

/** Options of {@link uploadSpooledRun}. */
export interface UploadOptions {
  /** Most history lines per `file_stream` request. Default 500. */
  batchLines?: number;
  /** Most bytes of history (and summary) per `file_stream` request. Default 10 MiB. */
  maxRequestBytes?: number;
  /** Most run files per `createRunFiles` request. Default 50. */
  batchFiles?: number;
}

/** What one upload pass sent. */
export interface UploadReport {
  /** The run. */
  runId: string;
  /** History lines sent in this pass. */
  historyLines: number;
  /** Run files uploaded in this pass. */
  files: number;
  /** Whether the summary was sent in this pass. */
  summary: boolean;
  /** Whether the run is complete on the server (now or before). */
  completed: boolean;
  /** `file_stream` requests made in this pass. */
  streamRequests: number;
  /** W&B asked for the run to stop (`stopped: true` in a `file_stream` answer: the UI's Stop button). */
  stopRequested: boolean;
  /** `limits.heartbeat_seconds` from W&B's last answer, when it sent one. */
  heartbeatSeconds?: number;
}

/**
 * Sends what the server does not have yet of a spooled run, in this order: the run itself
 * (upsertBucket), run files (createRunFiles + signed PUTs), history lines (file_stream from the
 * acknowledged offset), the summary, and completion with the exit code. Like wandb-core's
 * `CollectLoop`, everything pending goes in as few `file_stream` requests as the size limits
 * allow: the summary and `complete` ride on the last history request. `sync.json` is rewritten
 * after every acknowledged request, so a crash at any point costs at most one request, which is
 * resent at the same offset: W&B's file_stream writes lines at their offset, so a resent batch
 * replaces the lines it sent before instead of adding rows.
 */
export async function uploadSpooledRun(
  client: WandbClient,
  spool: RunSpool,
  options: UploadOptions = {},
): Promise<UploadReport> {
  const run = await spool.readRun();
  if (!run) {
    throw new MlopsError('MLOPS_ERR_RUN_NOT_FOUND', `no spooled W&B run in ${spool.dir}`, {
      hint: 'List the spooled runs with `mlops wandb sync` (no argument syncs them all).',
    });
  }
  const state = await spool.readState();
  const path: RunPath = { entity: run.entity, project: run.project, run: run.runId };
  const report: UploadReport = {
    runId: run.runId,
    historyLines: 0,
    files: 0,
    summary: false,
    completed: false,
    streamRequests: 0,
    stopRequested: false,
  };
  const save = () => spool.writeState(state);

  const runDigest = hashJson(runFields(run));
  if (state.upserted !== runDigest) {
    if (run.resumed && state.historyBase === undefined && state.historySent === 0) {
      state.historyBase = await remoteHistoryLines(client, run);
    }
    await client.graphql('UpsertBucket', UPSERT_BUCKET, runFields(run));
    state.upserted = runDigest;
    await save();
  }

  report.files = await uploadRunFiles(client, spool, run, state, options.batchFiles ?? 50);

  const lines = await spool.readHistoryFrom(state.historyBytesSent ?? 0);
  const maxLines = options.batchLines ?? 500;
  const maxBytes = options.maxRequestBytes ?? MAX_FILE_STREAM_REQUEST_BYTES;
  const chunks: { line: string; bytes: number }[][] = [];
  let current: { line: string; bytes: number }[] = [];
  let currentBytes = 0;
  for (const line of lines) {
    if (current.length > 0 && (current.length >= maxLines || currentBytes + line.bytes > maxBytes)) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(line);
    currentBytes += line.bytes;
  }
  if (current.length > 0) chunks.push(current);

  const summary = await spool.readSummary();
  const summaryText = summary ? stringifyExtendedJson(summary) : undefined;
  const summaryDigest = summaryText === undefined ? undefined : sha256(summaryText);
  let summaryPending = summaryDigest !== undefined && state.summarySent !== summaryDigest;
  const exit = await spool.readExit();
  let completePending = exit !== undefined && !state.completed;

  const base = state.historyBase ?? 0;
  const send = async (body: FileStreamBody): Promise<void> => {
    const answer = await client.fileStream(path, body);
    report.streamRequests++;
    noteAnswer(report, answer);
  };
  for (const [index, chunk] of chunks.entries()) {
    const body: FileStreamBody = {
      files: { [HISTORY_FILE]: { offset: base + state.historySent, content: chunk.map((l) => l.line) } },
    };
    const last = index === chunks.length - 1;
    const chunkBytes = chunk.reduce((sum, l) => sum + l.bytes, 0);
    const withSummary =
      last && summaryPending && chunkBytes + Buffer.byteLength(summaryText ?? '') <= maxBytes;
    if (withSummary && body.files) body.files[SUMMARY_FILE] = { offset: 0, content: [summaryText ?? '{}'] };
    const withComplete = last && completePending && (withSummary || !summaryPending);
    if (withComplete && exit) Object.assign(body, { complete: true, exitcode: exit.exitcode });
    await send(body);
    state.historySent += chunk.length;
    state.historyBytesSent = (state.historyBytesSent ?? 0) + chunkBytes;
    report.historyLines += chunk.length;
    if (withSummary) {
      state.summarySent = summaryDigest;
      report.summary = true;
      summaryPending = false;
    }
    if (withComplete) {
      state.completed = true;
      completePending = false;
    }
    await save();
  }

  if (summaryPending || completePending) {
    // The summary is one line, always at offset 0: each send replaces the previous one.
    const body: FileStreamBody = summaryPending
      ? { files: { [SUMMARY_FILE]: { offset: 0, content: [summaryText ?? '{}'] } } }
      : {};
    if (completePending && exit) Object.assign(body, { complete: true, exitcode: exit.exitcode });
    await send(body);
    if (summaryPending) {
      state.summarySent = summaryDigest;
      report.summary = true;
    }
    if (completePending) state.completed = true;
    await save();
  }
  report.completed = state.completed;
  return report;
}

/**
 * Reads W&B's answer to a `file_stream` request: a stop request (`stopped: true`, the only signal
 * wandb-core acts on; the `exitcode` W&B echoes is not one) and `limits.heartbeat_seconds`.
 */
export function noteAnswer(
  report: Pick<UploadReport, 'stopRequested' | 'heartbeatSeconds'>,
  answer: FileStreamResponse,
): void {
  if (answer.stopped === true) report.stopRequested = true;
  const heartbeat = answer.limits?.heartbeat_seconds;
  if (typeof heartbeat === 'number' && Number.isFinite(heartbeat) && heartbeat > 0)
    report.heartbeatSeconds = heartbeat;
}

/** The upsertBucket variables of a run. */
function runFields(run: SpooledRun): Record<string, unknown> {
  return {
    name: run.runId,
    project: run.project,
    entity: run.entity,
    groupName: run.group,
    displayName: run.displayName,
    jobType: run.jobType,
    ...(run.sweep ? { sweep: run.sweep } : {}),
    tags: run.tags,
    config: JSON.stringify(run.config),
  };
}

async function remoteHistoryLines(client: WandbClient, run: SpooledRun): Promise<number> {
  const data = await client.graphql<{
    model: { bucket: { historyLineCount: number | null } | null } | null;
  }>('RunResumeStatus', RUN_RESUME_STATUS, { project: run.project, entity: run.entity, name: run.runId });
  return data.model?.bucket?.historyLineCount ?? 0;
}

async function uploadRunFiles(
  client: WandbClient,
  spool: RunSpool,
  run: SpooledRun,
  state: SyncState,
  batchSize: number,
): Promise<number> {
  const pending: { name: string; bytes: Buffer; digest: string }[] = [];
  for (const name of await spool.listFiles()) {
    // Run files are named after their content (`…_<sha256 prefix>.png`), so a name that was
    // uploaded needs no second look; this keeps each background pass cheap in long runs.
    if (state.filesUploaded[name]) continue;
    const bytes = await readFile(spool.filePath(name));
    pending.push({ name, bytes, digest: sha256(bytes) });
  }
  for (let i = 0; i < pending.length; i += batchSize) {
    const batch = pending.slice(i, i + batchSize);
    const data = await client.graphql<{
      createRunFiles: { uploadHeaders: string[] | null; files: { name: string; uploadUrl: string | null }[] };
    }>('CreateRunFiles', CREATE_RUN_FILES, {
      entity: run.entity,
      project: run.project,
      run: run.runId,
      files: batch.map((f) => f.name),
    });
    const urls = new Map(data.createRunFiles.files.map((f) => [f.name, f.uploadUrl]));
    for (const file of batch) {
      const url = urls.get(file.name);
      if (!url) {
        throw new MlopsError('MLOPS_ERR_REMOTE_REQUEST', `W&B gave no upload URL for run file ${file.name}`, {
          hint: 'Retry `mlops wandb sync`; if it persists the server may not accept this file name.',
        });
      }
      await client.upload(url, file.bytes, data.createRunFiles.uploadHeaders ?? []);
      state.filesUploaded[file.name] = file.digest;
      await spool.writeState(state);
    }
  }
  return pending.length;
}
