import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MlopsError, writeJsonAtomic } from '@mlops/core';
import type { EarlyStoppingState } from './metric-tracking.js';

/** Name of the resume state file inside the checkpoint directory. */
export const TRAINER_STATE_FILE = 'trainer-state.json';

/** Name of the arrays file (model weights, optimizer slots, EMA shadows) of the state after `epoch`. */
export function stateArraysFileName(epoch: number): string {
  return `trainer-state-epoch-${epoch}.bin`;
}

/** One finished epoch, as kept in the history and returned by the trainer. */
export interface EpochRecord {
  /** 1-based epoch. */
  epoch: number;
  /** `train/*`, `val/*` (the reported weights), `val_raw/*`, `val_ema/*`, `lr`, ... */
  metrics: Record<string, number>;
  /** Wall time of the epoch in ms (training, validation and checkpoints). */
  durationMs: number;
  /** Training throughput of the epoch (training steps only). */
  imagesPerSecond: number;
  /** Whether the epoch improved the eval metric (and was saved as `best/`). */
  best: boolean;
  /** Which weights `val/*` and the epoch's checkpoints are: the trained ones or their EMA. */
  weights: 'raw' | 'ema';
}

/**
 * Everything besides tensors that a resumed run needs, written atomically after the epoch's
 * checkpoints. The tensors (model weights incl. BatchNorm statistics, optimizer slots, EMA
 * shadows) are in `arraysFile`, written before this file, so this file never points at a missing
 * or partial one.
 */
export interface TrainerState {
  /** Format version. */
  version: 1;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken (the schedule position and the dropout seed stream). */
  globalStep: number;
  /** Best epoch so far (0 before the first). */
  bestEpoch: number;
  /** Eval metric of the best epoch, or null. */
  bestMetric: number | null;
  /** Early stopping progress. */
  earlyStopping: EarlyStoppingState;
  /** Finished epochs. */
  history: EpochRecord[];
  /** Arrays file, relative to the checkpoint directory. */
  arraysFile: string;
  /** Epochs whose `epoch-N/` checkpoints exist, oldest first. */
  epochCheckpoints: number[];
  /** Training images processed so far (for the overall throughput). */
  trainImages: number;
  /** Seconds spent in training steps so far. */
  trainSeconds: number;
  /** Early stopping ended the run: resuming it trains no further. */
  stoppedEarly: boolean;
}

/** Reads the trainer state of `checkpointDir`, or undefined when there is none. */
export async function readTrainerState(checkpointDir: string): Promise<TrainerState | undefined> {
  let text: string;
  try {
    text = await readFile(join(checkpointDir, TRAINER_STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const state = JSON.parse(text) as TrainerState;
  if (state.version !== 1)
    throw new MlopsError(
      'MLOPS_ERR_CHECKPOINT_INVALID',
      `Unsupported trainer state version ${String(state.version)}`,
      {
        file: join(checkpointDir, TRAINER_STATE_FILE),
        hint: 'The checkpoint was written by another version of @mlops/plugin-tfjs: start afresh with mlops run train --force.',
      },
    );
  return state;
}

/** Writes the trainer state of `checkpointDir` atomically. */
export async function writeTrainerState(checkpointDir: string, state: TrainerState): Promise<void> {
  await writeJsonAtomic(join(checkpointDir, TRAINER_STATE_FILE), state);
}

/**
 * Removes the trainer state and its arrays files: a fresh run must not be resumable into a stale
 * state of an earlier run if it is killed before its first epoch ends.
 */
export async function removeTrainerState(checkpointDir: string): Promise<void> {
  await rm(join(checkpointDir, TRAINER_STATE_FILE), { force: true });
  const entries = await readdir(checkpointDir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (/^trainer-state-epoch-\d+\.bin$/.test(entry)) await rm(join(checkpointDir, entry), { force: true });
  }
}
