import type { Json, JsonObject, RunStatus, TrackedRun, Tracker } from '@mlops/core';

/** One recorded image. */
export interface RecordedImage {
  key: string;
  png: Uint8Array;
  step: number | undefined;
  caption: string | undefined;
}

/** One recorded histogram (values copied). */
export interface RecordedHistogram {
  key: string;
  values: number[];
  step: number;
}

/** A Tracker that records what it is given, for assertions. */
export class RecordingTracker implements Tracker {
  readonly name = 'recording';
  readonly images: RecordedImage[] = [];
  readonly histograms: RecordedHistogram[] = [];
  readonly metrics: { metrics: Record<string, number>; step: number }[] = [];

  async start(_run: TrackedRun): Promise<void> {}
  logParams(_params: JsonObject): void {}
  logMetrics(metrics: Record<string, number>, step: number): void {
    this.metrics.push({ metrics, step });
  }
  logImage(key: string, png: Uint8Array, options: { step?: number; caption?: string } = {}): void {
    this.images.push({ key, png: new Uint8Array(png), step: options.step, caption: options.caption });
  }
  logHistogram(key: string, values: ArrayLike<number>, step: number): void {
    this.histograms.push({ key, values: Array.from(values), step });
  }
  logSummary(_summary: Record<string, Json>): void {}
  async finish(_status: RunStatus): Promise<void> {}
}
