import type { InjectionToken } from 'tsyringe';

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logger used by core and plugins (pino-compatible shape). */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Normal progress. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something the user should look at; the run goes on. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A failure. */
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `bindings` to every line (e.g. `{ plugin: 'tfjs' }`). */
  child(bindings: Record<string, unknown>): Logger;
}

/** DI token of the {@link Logger}. */
export const Logger: InjectionToken<Logger> = Symbol.for('mlops.Logger');
