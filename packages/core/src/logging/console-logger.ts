import type { Logger, LogLevel } from '../services/logger.js';
import { formatHumanLine, formatJsonLine } from './log-line.js';

/** A level threshold: a {@link LogLevel}, or `silent` to write nothing at all. */
export type LogThreshold = LogLevel | 'silent';

/** Rank of each threshold; a line is written when its level ranks at or above the threshold. */
const RANK: Readonly<Record<LogThreshold, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

/** Where log lines go: anything with `write(text)`, such as `process.stderr` or a test buffer. */
export interface LogSink {
  /** Writes one chunk of text. */
  write(chunk: string): unknown;
  /** True for a terminal (enables colors in human output). */
  isTTY?: boolean;
}

/** Options of {@link ConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Lowest level written. Default: `MLOPS_LOG_LEVEL` from the environment, else `info`. */
  level?: LogThreshold;
  /** Write one JSON object per line (for machines) instead of human text. Default false. */
  json?: boolean;
  /** Destination. Default `process.stderr`, so stdout stays free for command output. */
  stream?: LogSink;
  /** Fields added to every line. */
  bindings?: Record<string, unknown>;
  /** Color the level in human output. Default: the stream is a TTY and `NO_COLOR` is unset. */
  color?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
  /** Environment to read `MLOPS_LOG_LEVEL`/`NO_COLOR` from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Parses a level name (case-insensitive); `undefined` when it is not one. */
export function parseLogThreshold(value: string | undefined): LogThreshold | undefined {
  const name = value?.trim().toLowerCase();
  return name !== undefined && Object.hasOwn(RANK, name) ? (name as LogThreshold) : undefined;
}

/** Settings shared by a logger and all its children. */
interface SharedSettings {
  readonly threshold: LogThreshold;
  readonly json: boolean;
  readonly stream: LogSink;
  readonly color: boolean;
  readonly now: () => Date;
}

/**
 * A {@link Logger} writing to stderr: readable lines (`12:00:01.234 INFO  message key=value`) for
 * people, or JSON lines with `json: true` for log collectors. Logging never throws: a closed
 * stream must not take a training run down with it.
 */
export class ConsoleLogger implements Logger {
  readonly #settings: SharedSettings;
  readonly #bindings: Readonly<Record<string, unknown>>;

  /** Creates a logger; see {@link ConsoleLoggerOptions} for the defaults. */
  constructor(options: ConsoleLoggerOptions = {}) {
    const env = options.env ?? process.env;
    const stream = options.stream ?? process.stderr;
    const fromEnv = parseLogThreshold(env.MLOPS_LOG_LEVEL);
    this.#settings = {
      threshold: options.level ?? fromEnv ?? 'info',
      json: options.json ?? false,
      stream,
      color: options.color ?? (stream.isTTY === true && !env.NO_COLOR),
      now: options.now ?? (() => new Date()),
    };
    this.#bindings = { ...options.bindings };
    if (options.level === undefined && env.MLOPS_LOG_LEVEL && fromEnv === undefined) {
      // A typo in the variable should be visible rather than silently meaning "info".
      this.warn(`MLOPS_LOG_LEVEL=${env.MLOPS_LOG_LEVEL} is not a level; using info`, {
        levels: Object.keys(RANK).join(', '),
      });
    }
  }

  /** The lowest level this logger writes. */
  get level(): LogThreshold {
    return this.#settings.threshold;
  }

  /** True when a line of `level` would be written (to skip building expensive fields). */
  isLevelEnabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.#settings.threshold];
  }

  /** {@inheritDoc Logger.debug} */
  debug(message: string, fields?: Record<string, unknown>): void {
    this.#write('debug', message, fields);
  }

  /** {@inheritDoc Logger.info} */
  info(message: string, fields?: Record<string, unknown>): void {
    this.#write('info', message, fields);
  }

  /** {@inheritDoc Logger.warn} */
  warn(message: string, fields?: Record<string, unknown>): void {
    this.#write('warn', message, fields);
  }

  /** {@inheritDoc Logger.error} */
  error(message: string, fields?: Record<string, unknown>): void {
    this.#write('error', message, fields);
  }

  /** {@inheritDoc Logger.child} */
  child(bindings: Record<string, unknown>): ConsoleLogger {
    const { threshold, json, stream, color, now } = this.#settings;
    // Every setting is passed explicitly, so the child never re-reads the environment.
    return new ConsoleLogger({
      level: threshold,
      json,
      stream,
      color,
      now,
      bindings: { ...this.#bindings, ...bindings },
    });
  }

  #write(level: LogLevel, message: string, fields: Record<string, unknown> | undefined): void {
    const settings = this.#settings;
    if (RANK[level] < RANK[settings.threshold]) return;
    const line = settings.json
      ? formatJsonLine(level, message, settings.now(), this.#bindings, fields)
      : formatHumanLine(level, message, settings.now(), this.#bindings, fields, {
          color: settings.color,
          stacks: settings.threshold === 'debug',
        });
    try {
      settings.stream.write(`${line}\n`);
    } catch {
      // The stream is gone (EPIPE, closed terminal); there is nowhere left to report it.
    }
  }
}
