/**
 * Following a model's history file for new alias moves, whichever process made them. `fs.watch`
 * on the model directory gives prompt notice where the platform supports it; a poll every
 * {@link WatchHistoryOptions.pollMs} catches what it misses (network filesystems, a directory that
 * does not exist yet, dropped events). Both only trigger a read from the last byte offset, so
 * every move is delivered once, in order.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { open } from 'node:fs/promises';
import type { AliasMove } from '../services/model-registry.js';
import { parseHistory } from './history-file.js';

/** Options of {@link watchHistory}. */
export interface WatchHistoryOptions {
  /** Poll interval in milliseconds. Default 1000. */
  pollMs?: number;
  /** Delay after a filesystem event before reading, to coalesce bursts. Default 30. */
  debounceMs?: number;
}

/**
 * Calls `onMove` for every move appended to `historyPath` from now on. `dir` is the directory to
 * watch (the model directory). Returns a function that stops watching. A listener that throws
 * does not stop the watch. Timers are unref'd: watching alone does not keep the process alive.
 */
export function watchHistory(
  dir: string,
  historyPath: string,
  onMove: (move: AliasMove) => void,
  options: WatchHistoryOptions = {},
): () => void {
  const pollMs = options.pollMs ?? 1000;
  const debounceMs = options.debounceMs ?? 30;
  let offset = sizeOf(historyPath); // moves before the call are history, not news
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let reading = false;
  let readAgain = false;
  let stopped = false;

  const readNew = async (): Promise<void> => {
    if (reading) {
      readAgain = true; // a read is in flight; run once more after it instead of in parallel
      return;
    }
    reading = true;
    try {
      do {
        readAgain = false;
        const { text, bytes } = await readFrom(historyPath, offset);
        if (bytes < offset) {
          offset = 0; // the file was replaced by a shorter one: start over
          readAgain = true;
          continue;
        }
        const complete = text.lastIndexOf('\n') + 1; // only whole lines; the rest is still being appended
        if (complete === 0) continue;
        offset += Buffer.byteLength(text.slice(0, complete));
        for (const move of parseHistory(text.slice(0, complete), historyPath)) {
          if (stopped) return;
          try {
            onMove(move);
          } catch {
            // The listener's failure is its own; other moves and later moves still get delivered.
          }
        }
      } while (readAgain && !stopped);
    } catch {
      // Unreadable right now (e.g. the model was just created); the next event or poll retries.
    } finally {
      reading = false;
    }
  };

  const startWatcher = (): void => {
    if (watcher || stopped) return;
    try {
      watcher = watch(dir, { persistent: false }, () => {
        if (debounce) return;
        debounce = setTimeout(() => {
          debounce = undefined;
          void readNew();
        }, debounceMs);
        debounce.unref();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined; // polling carries on; the next poll tries to watch again
      });
    } catch {
      watcher = undefined; // no directory yet, or no fs.watch here: polling alone
    }
  };

  startWatcher();
  const poll = setInterval(() => {
    startWatcher();
    if (sizeOf(historyPath) !== offset) void readNew();
  }, pollMs);
  poll.unref();

  return () => {
    stopped = true;
    clearInterval(poll);
    if (debounce) clearTimeout(debounce);
    watcher?.close();
    watcher = undefined;
  };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The file's text from byte `offset` on, and its total size. */
async function readFrom(path: string, offset: number): Promise<{ text: string; bytes: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { text: '', bytes: size };
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    return { text: buffer.subarray(0, bytesRead).toString('utf8'), bytes: size };
  } finally {
    await handle.close();
  }
}
