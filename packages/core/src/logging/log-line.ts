import type { LogLevel } from '../services/logger.js';

/** ANSI colors of the level tag on a terminal. */
const LEVEL_COLOR: Readonly<Record<LogLevel, string>> = {
  debug: '\u001b[90m',
  info: '\u001b[36m',
  warn: '\u001b[33m',
  error: '\u001b[31m',
};
const RESET = '\u001b[0m';

/** How {@link formatHumanLine} renders. */
export interface HumanLineStyle {
  /** Color the level tag. */
  color: boolean;
  /** Append stack traces of Error fields (useful at debug level, noise otherwise). */
  stacks: boolean;
}

/**
 * One human-readable line: `12:00:01.234 INFO  message plugin=tfjs epochs=10`. Bindings come
 * before fields so the context reads first; Error values show their message (and code).
 */
export function formatHumanLine(
  level: LogLevel,
  message: string,
  time: Date,
  bindings: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, unknown>> | undefined,
  style: HumanLineStyle,
): string {
  const tag = level.toUpperCase().padEnd(5);
  const parts = [clockTime(time), style.color ? `${LEVEL_COLOR[level]}${tag}${RESET}` : tag, message];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries({ ...bindings, ...fields })) {
    if (value === undefined) continue;
    parts.push(`${key}=${humanValue(value)}`);
    if (style.stacks && value instanceof Error && value.stack) stacks.push(value.stack);
  }
  const line = parts.join(' ');
  return stacks.length === 0 ? line : `${line}\n${stacks.map((s) => indent(s)).join('\n')}`;
}

/**
 * One JSON line in pino's spirit: `{"time","level","msg",...bindings,...fields}`. The reserved
 * keys are written last so a field cannot overwrite them.
 */
export function formatJsonLine(
  level: LogLevel,
  message: string,
  time: Date,
  bindings: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, unknown>> | undefined,
): string {
  const record = { ...bindings, ...fields, time: time.toISOString(), level, msg: message };
  return safeStringify(record);
}

/** JSON text of any value: Errors as objects, bigints as strings, cycles as `"[Circular]"`. */
export function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return errorObject(v);
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}

function errorObject(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    stack: error.stack,
  };
}

function humanValue(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return quoteIfNeeded(code === undefined ? value.message : `${String(code)}: ${value.message}`);
  }
  if (typeof value === 'string') return quoteIfNeeded(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null) return 'null';
  return safeStringify(value) ?? String(value);
}

/** Bare words stay bare; anything with spaces, quotes or `=` is JSON-quoted so lines stay parseable. */
function quoteIfNeeded(text: string): string {
  return text !== '' && /^[^\s"'=]+$/.test(text) ? text : JSON.stringify(text);
}

function clockTime(time: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
