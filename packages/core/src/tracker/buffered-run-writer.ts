import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.js';

/** Called when a write fails; the writer goes on with the other files. */
export type WriteErrorHandler = (file: string, error: unknown) => void;

/**
 * Collects writes into a directory in memory and performs them in the background, one flush at
 * a time, so callers (a training loop logging metrics) never wait on the disk:
 * - lines appended to JSON-lines files,
 * - whole files (images, tables), the latest content per path winning,
 * - JSON documents (params, summary, indexes) rewritten atomically when marked changed.
 */
export class BufferedRunWriter {
  readonly #lines = new Map<string, string[]>();
  readonly #files = new Map<string, string | Uint8Array>();
  readonly #documents = new Map<string, () => unknown>();
  #changedDocuments = new Set<string>();
  #directory: string | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #bufferedLineCount = 0;

  /** @param onError told about each failed write (the data of that write is dropped). */
  constructor(private readonly onError: WriteErrorHandler) {}

  /** Sets the directory written into; writes buffered before this wait for it. */
  setDirectory(directory: string): void {
    this.#directory = directory;
  }

  /** Lines waiting to be appended, over all files. */
  get bufferedLineCount(): number {
    return this.#bufferedLineCount;
  }

  /** Buffers one line (without newline) for the JSON-lines file `file`. */
  appendLine(file: string, line: string): void {
    const lines = this.#lines.get(file);
    if (lines) lines.push(line);
    else this.#lines.set(file, [line]);
    this.#bufferedLineCount++;
  }

  /** Buffers the whole content of `file` (relative path); a later put for the same path wins. */
  putFile(file: string, data: string | Uint8Array): void {
    this.#files.set(file, data);
  }

  /**
   * Registers `file` as a JSON document rendered by `render` (read at flush time, so the latest
   * state is written) and marks it changed.
   */
  markDocumentChanged(file: string, render: () => unknown): void {
    this.#documents.set(file, render);
    this.#changedDocuments.add(file);
  }

  /** True when something waits to be written. */
  get hasPending(): boolean {
    return this.#bufferedLineCount > 0 || this.#files.size > 0 || this.#changedDocuments.size > 0;
  }

  /**
   * Writes everything buffered so far. Flushes run one after another; a flush requested while
   * another waits to start joins that one (it will pick up everything buffered by then), so a
   * slow disk cannot pile up a queue. Never rejects: failures go to the error handler.
   */
  flush(): Promise<void> {
    if (this.#queued) return this.#queued;
    const queued = this.#inFlight.then(() => {
      this.#queued = undefined;
      return this.#writePending();
    });
    this.#queued = queued;
    this.#inFlight = queued;
    return queued;
  }

  async #writePending(): Promise<void> {
    const directory = this.#directory;
    if (directory === undefined) return;
    // Swap the buffers first: anything logged while these writes run goes to the next flush.
    const lines = [...this.#lines];
    const files = [...this.#files];
    const documents = [...this.#changedDocuments];
    this.#lines.clear();
    this.#files.clear();
    this.#changedDocuments = new Set();
    this.#bufferedLineCount = 0;

    for (const [file, fileLines] of lines) {
      await this.#attempt(file, () => appendFile(join(directory, file), `${fileLines.join('\n')}\n`));
    }
    for (const [file, data] of files) {
      await this.#attempt(file, async () => {
        await mkdir(dirname(join(directory, file)), { recursive: true });
        await writeFile(join(directory, file), data);
      });
    }
    // Documents last: an index written after its files never points at a file not yet there.
    for (const file of documents) {
      const render = this.#documents.get(file);
      if (!render) continue;
      await this.#attempt(file, async () => {
        await mkdir(dirname(join(directory, file)), { recursive: true });
        await writeFileAtomic(join(directory, file), `${JSON.stringify(render(), null, 2)}\n`);
      });
    }
  }

  async #attempt(file: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.onError(file, error);
    }
  }
}
