import { readFile } from 'node:fs/promises';

/**
 * Helpers for reading run files defensively: run records are written by other code (and by
 * older versions, or cut short by a crash), so every field is checked rather than trusted.
 */

/** True for a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The value when it is a non-empty string. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The value when it is a finite number. */
export function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The value as an array of finite numbers (non-numbers become NaN, so indices stay aligned). */
export function numbersOf(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN));
}

/** Parsed JSON of a file; `undefined` when it is missing or not valid JSON. */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = await readTextFile(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Parsed lines of a JSON-lines file. Unparseable lines are skipped: the last line of a file
 * being appended to when the process died may be cut in half.
 */
export async function readJsonLines(path: string): Promise<unknown[]> {
  const text = await readTextFile(path);
  if (text === undefined) return [];
  const rows: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line) as unknown);
    } catch {
      // A torn line: skip it, keep the rest.
    }
  }
  return rows;
}

/** Text of a file; `undefined` when it cannot be read. */
export async function readTextFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
