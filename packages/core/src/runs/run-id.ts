/**
 * Run ids: `YYYYMMDD-HHMMSS-xxxx`, the UTC start time then 4 random base-36 characters. Sorting ids
 * as strings sorts runs by start second; the suffix keeps runs started in the same second apart
 * and gives people something short to type (`mlops runs show x7k2`).
 */
import { randomInt } from 'node:crypto';

/** Shape of a run id. */
export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-z]{4}$/;

const SUFFIX_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A new run id for a run starting at `at`. */
export function newRunId(at: Date = new Date()): string {
  const iso = at.toISOString(); // 2026-11-26T03:15:00.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  let suffix = '';
  for (let i = 0; i < 4; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return `${stamp}-${suffix}`;
}

/** The part of a run id that orders it: the start second. */
export function runIdTime(id: string): string {
  return id.slice(0, 15);
}
