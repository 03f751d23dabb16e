/** Whether larger or smaller values of a metric are better. */
export type MetricMode = 'max' | 'min';

/**
 * The key of a configured metric in an epoch's metrics: a bare name (`top1`, `loss`) means the
 * validation metric (`val/top1`); a name with a slash (`train/loss`) is used as is.
 */
export function metricKey(name: string): string {
  return name.includes('/') ? name : `val/${name}`;
}

/** The mode of a metric chosen by name alone (`evalMetric` has no mode): losses and errors are minimized. */
export function metricModeFor(name: string): MetricMode {
  return /loss|error|err\b/i.test(name) ? 'min' : 'max';
}

/** True when `value` is strictly better than `best` (anything finite beats no best). */
export function isImprovement(value: number, best: number | null, mode: MetricMode): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === null) return true;
  return mode === 'max' ? value > best : value < best;
}

/** Persistent state of {@link EarlyStopping}. */
export interface EarlyStoppingState {
  /** Best value seen, or null. */
  best: number | null;
  /** Epochs since the last improvement. */
  badEpochs: number;
}

/**
 * Patience-based early stopping: stop once the metric has not improved (strictly) for `patience`
 * consecutive epochs. `patience <= 0` never stops.
 */
export class EarlyStopping {
  /** Epochs without improvement tolerated. */
  readonly patience: number;
  /** Direction of improvement. */
  readonly mode: MetricMode;
  private state: EarlyStoppingState = { best: null, badEpochs: 0 };

  /** Creates a tracker with no history. */
  constructor(patience: number, mode: MetricMode) {
    this.patience = patience;
    this.mode = mode;
  }

  /** Records an epoch's value; returns true when training should stop. */
  observe(value: number): boolean {
    if (isImprovement(value, this.state.best, this.mode)) this.state = { best: value, badEpochs: 0 };
    else this.state = { ...this.state, badEpochs: this.state.badEpochs + 1 };
    return this.patience > 0 && this.state.badEpochs >= this.patience;
  }

  /** Current state, for the trainer state file. */
  getState(): EarlyStoppingState {
    return { ...this.state };
  }

  /** Restores a state from {@link getState}. */
  setState(state: EarlyStoppingState): void {
    this.state = { ...state };
  }
}
