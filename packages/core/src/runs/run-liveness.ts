/**
 * Whether a `running` run is really running: each attempt records the host, pid and start time of
 * its process, so a run whose process was killed (`kill -9`, an OOM kill, a power cut) is shown as
 * `interrupted` instead of `running` forever, and a reused pid is not mistaken for it.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunAttempt, RunRecord } from './run-record.js';

/** Two start times this close (ms) are the same process start (clock ticks, rounding, load). */
const START_TOLERANCE_MS = 10_000;

/** ISO start time of this process. */
export function processStartedAt(): string {
  return new Date(Date.now() - process.uptime() * 1000).toISOString();
}

/** A new attempt of this process, starting `at`. */
export function currentAttempt(at: Date = new Date()): RunAttempt {
  const iso = at.toISOString();
  return {
    startedAt: iso,
    endedAt: null,
    heartbeatAt: iso,
    pid: process.pid,
    host: hostname(),
    processStartedAt: processStartedAt(),
  };
}

/** True when the attempt is this very process. */
export function isCurrentProcess(attempt: RunAttempt): boolean {
  return (
    attempt.pid === process.pid &&
    attempt.host === hostname() &&
    Math.abs(Date.parse(attempt.processStartedAt) - Date.parse(processStartedAt())) < START_TOLERANCE_MS
  );
}

/**
 * Whether the attempt's process is alive: `false` when it is gone (no such pid, a zombie, or the
 * pid now belongs to a process started at another time), `true` when it is there, `undefined`
 * when this machine cannot tell (the run is on another host).
 */
export function isAttemptAlive(attempt: RunAttempt): boolean | undefined {
  if (attempt.host !== hostname()) return undefined;
  if (attempt.pid === process.pid) return isCurrentProcess(attempt);
  try {
    process.kill(attempt.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code !== 'EPERM') return undefined; // EPERM: it exists, under another user
  }
  const proc = linuxProcess(attempt.pid);
  if (proc === undefined) return true; // no /proc (macOS): the pid exists, trust it
  if (proc.zombie) return false;
  return Math.abs(proc.startedAt - Date.parse(attempt.processStartedAt)) < START_TOLERANCE_MS;
}

/** State and start time of a process from Linux's `/proc`, or undefined without `/proc`. */
function linuxProcess(pid: number): { zombie: boolean; startedAt: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is the 3rd
    // field of the line, starttime (clock ticks after boot) the 22nd.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const bootLine = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('btime '));
    const bootSeconds = Number(bootLine?.split(/\s+/)[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds)) return undefined;
    // USER_HZ is 100 on every Linux architecture Node runs on.
    return { zombie: fields[0] === 'Z', startedAt: (bootSeconds + ticks / 100) * 1000 };
  } catch {
    return undefined;
  }
}

/** True for an `mlops serve` session (also one recorded before runs had a `kind`). */
export function isServeSession(record: RunRecord): boolean {
  if (record.kind === 'serve') return true;
  const stages = Object.keys(record.stages ?? {});
  return stages.length === 1 && stages[0] === 'serve';
}

/**
 * The run's wall time over all its attempts: each from its start to its end, or to its last
 * heartbeat when it was killed (or, for the attempt still running, to now).
 */
export function attemptsDuration(record: RunRecord, now: Date = new Date()): number {
  const attempts = record.attempts ?? [];
  if (attempts.length === 0) {
    if (record.durationMs !== null) return record.durationMs;
    return Math.max(
      0,
      (record.endedAt ? Date.parse(record.endedAt) : now.getTime()) - Date.parse(record.startedAt),
    );
  }
  let total = 0;
  for (const attempt of attempts) {
    const alive = attempt.endedAt === null && isAttemptAlive(attempt) === true;
    const end = attempt.endedAt ?? (alive ? now.toISOString() : attempt.heartbeatAt);
    total += Math.max(0, Date.parse(end) - Date.parse(attempt.startedAt));
  }
  return total;
}

/**
 * The record as it stands: a `running` run whose process is gone is `interrupted`, ended at its
 * last heartbeat, with an error saying so. Readers see this view; the file itself is rewritten
 * only by the process that resumes the run.
 */
export function settleRun(record: RunRecord): RunRecord {
  if (record.status !== 'running') return record;
  const last = record.attempts?.at(-1);
  if (!last || last.endedAt !== null || isAttemptAlive(last) !== false) return record;
  const stage = Object.entries(record.stages ?? {}).find(([, s]) => s.status === 'running')?.[0];
  return {
    ...record,
    status: 'interrupted',
    endedAt: last.heartbeatAt,
    durationMs: attemptsDuration(record),
    error: record.error ?? {
      code: 'MLOPS_ERR_RUN_INTERRUPTED',
      message: `the process running it (pid ${last.pid} on ${last.host}) ended without finishing it (killed?)${stage ? ` during ${stage}` : ''}; last sign of life ${last.heartbeatAt}`,
      ...(stage ? { stage } : {}),
    },
  };
}
