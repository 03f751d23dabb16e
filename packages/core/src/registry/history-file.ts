/**
 * A model's alias history, `models/<name>/history.jsonl`: one {@link AliasMove} per line, only
 * ever appended. Watchers follow it by byte offset, which is how moves made by other processes
 * reach a running server.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { MlopsError } from '../errors.js';
import type { AliasMove } from '../services/model-registry.js';
import { isErrnoException } from '../store/atomic-write.js';

/** Appends moves in one write (so concurrent readers see whole lines). */
export async function appendHistory(path: string, moves: readonly AliasMove[]): Promise<void> {
  if (moves.length === 0) return;
  await appendFile(path, moves.map((m) => `${JSON.stringify(m)}\n`).join(''));
}

/** Parses complete lines of history text; a last line without its newline is still being written. */
export function parseHistory(text: string, path: string, firstLine = 1): AliasMove[] {
  const lines = text.split('\n');
  lines.pop();
  return lines.flatMap((line, index) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as AliasMove];
    } catch (cause) {
      throw new MlopsError(
        'MLOPS_ERR_STORE_CORRUPT',
        `${path}:${firstLine + index} is not a JSON alias move`,
        {
          file: path,
          hint: 'Fix or delete that line; every line of history.jsonl is one JSON object.',
          cause,
        },
      );
    }
  });
}

/** All moves recorded in the file, oldest first; none when the file does not exist. */
export async function readHistory(path: string): Promise<AliasMove[]> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    if (isErrnoException(error, 'ENOENT')) return '';
    throw error;
  });
  return parseHistory(text, path);
}
