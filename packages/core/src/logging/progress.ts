import type { Progress } from '../pipeline/stage-context.js';

/** The part of a write stream progress output needs; `process.stderr` is one. */
export interface ProgressStream {
  /** Writes text. */
  write(chunk: string): unknown;
  /** True for a terminal. */
  isTTY?: boolean;
  /** Terminal width, when known (lines are cut to fit so `\r` redraws stay on one row). */
  columns?: number;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Destination. Default `process.stderr`. */
  stream?: ProgressStream;
  /** Draw an updating bar (true) or print plain lines (false). Default: `stream.isTTY`. */
  isTTY?: boolean;
  /** Clock in milliseconds, for tests. Default `performance.now`. */
  now?: () => number;
  /** Name of one unit in the rate, e.g. `img` for `812 img/s`. Default `img`. */
  unit?: string;
}

/** Fewest milliseconds between two redraws of the bar (about 10 per second). */
const REDRAW_INTERVAL_MS = 100;
/** Most milliseconds between two plain lines when not on a terminal. */
const PLAIN_LINE_INTERVAL_MS = 10_000;
/** Characters of the bar between the brackets. */
const BAR_WIDTH = 20;
/** Carriage return + erase line: the bar overwrites itself. */
const CLEAR_LINE = '\r\u001b[2K';

/**
 * Starts a {@link Progress} of `total` units. On a terminal it draws one updating line,
 * `label [#####-----] 45% 2700/6000 812 img/s ETA 0:04 loss 0.41`, redrawn at most ~10 times a
 * second; elsewhere (CI, pipes, files) it prints a plain line at every 10% or every 10 s,
 * whichever comes first, so logs stay short but show the job is alive. `done` prints a summary.
 */
export function createProgress(total: number, label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  return new ProgressReporter(total, label, {
    stream,
    isTTY: options.isTTY ?? stream.isTTY === true,
    now: options.now ?? (() => performance.now()),
    unit: options.unit ?? 'img',
  });
}

/** Formats milliseconds as `m:ss`, or `h:mm:ss` from one hour. */
export function formatClock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

class ProgressReporter implements Progress {
  readonly #started: number;
  #current = 0;
  #info = '';
  #finished = false;
  #lastDrawAt = Number.NEGATIVE_INFINITY;
  #lastLineAt: number;
  #lastDecile = 0;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly settings: Required<ProgressOptions> & { stream: ProgressStream },
  ) {
    this.#started = settings.now();
    this.#lastLineAt = this.#started;
  }

  tick(n = 1, info?: string): void {
    if (this.#finished) return;
    this.#current += n;
    if (info !== undefined) this.#info = info;
    const now = this.settings.now();
    if (this.settings.isTTY) this.#maybeRedraw(now);
    else this.#maybePrintLine(now);
  }

  done(summary?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    const elapsed = this.settings.now() - this.#started;
    const rate = this.#rate(elapsed);
    const parts = [
      `${this.label} done`,
      this.total > 0 ? `${this.#current}/${this.total}` : String(this.#current),
      `in ${formatClock(elapsed)}`,
    ];
    let line = parts.join(' ');
    if (rate !== undefined) line += `, ${formatRate(rate)} ${this.settings.unit}/s`;
    if (summary) line += `, ${summary}`;
    this.#write(`${this.settings.isTTY ? CLEAR_LINE : ''}${line}\n`);
  }

  #maybeRedraw(now: number): void {
    const complete = this.total > 0 && this.#current >= this.total;
    if (now - this.#lastDrawAt < REDRAW_INTERVAL_MS && !complete) return;
    this.#lastDrawAt = now;
    this.#write(`${CLEAR_LINE}${this.#fitToTerminal(this.#statusLine(now, true))}`);
  }

  #maybePrintLine(now: number): void {
    // The last 10% is reported by done()'s summary line instead of a "100%" line before it.
    if (this.total > 0 && this.#current >= this.total) return;
    const decile = this.total > 0 ? Math.floor((this.#current / this.total) * 10) : 0;
    if (decile <= this.#lastDecile && now - this.#lastLineAt < PLAIN_LINE_INTERVAL_MS) return;
    this.#lastDecile = Math.max(decile, this.#lastDecile);
    this.#lastLineAt = now;
    this.#write(`${this.#statusLine(now, false)}\n`);
  }

  #statusLine(now: number, withBar: boolean): string {
    const elapsed = now - this.#started;
    const rate = this.#rate(elapsed);
    const parts = [this.label];
    if (this.total > 0) {
      const fraction = Math.min(1, Math.max(0, this.#current / this.total));
      if (withBar) {
        const filled = Math.round(fraction * BAR_WIDTH);
        parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`);
      }
      parts.push(`${Math.floor(fraction * 100)}%`, `${this.#current}/${this.total}`);
    } else {
      parts.push(String(this.#current));
    }
    if (rate !== undefined) parts.push(`${formatRate(rate)} ${this.settings.unit}/s`);
    if (this.total > 0) {
      const remaining = Math.max(0, this.total - this.#current);
      parts.push(`ETA ${rate ? formatClock((remaining / rate) * 1000) : '--:--'}`);
    }
    if (this.#info) parts.push(this.#info);
    return parts.join(' ');
  }

  /** Units per second so far; undefined before any time has passed. */
  #rate(elapsedMs: number): number | undefined {
    return elapsedMs > 0 ? this.#current / (elapsedMs / 1000) : undefined;
  }

  #fitToTerminal(line: string): string {
    // A line wider than the terminal wraps, and `\r` would then redraw only its last row.
    const columns = this.settings.stream.columns;
    return columns && columns > 1 && line.length >= columns ? line.slice(0, columns - 1) : line;
  }

  #write(text: string): void {
    try {
      this.settings.stream.write(text);
    } catch {
      // Progress output is cosmetic; a closed stream must not fail the work being measured.
    }
  }
}

function formatRate(rate: number): string {
  if (rate >= 100) return rate.toFixed(0);
  return rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
}
