import {
  type ArtifactStore,
  type DriftReference,
  type ImageInput,
  type ModelVersion,
  parseDriftReference,
  REFERENCE_HISTOGRAM_BINS,
  REFERENCE_STATS_ARTIFACT,
  referenceBin,
} from '@mlops/core';

/** Added to every bin proportion before PSI so empty bins never give log(0) or division by 0. */
export const PSI_EPSILON = 1e-4;
/** Default sliding-window size (inputs). */
export const DEFAULT_DRIFT_WINDOW = 500;
/**
 * Default number of inputs before scores are reported. PSI over 32 bins is biased upwards on small
 * samples: live Fashion-MNIST test images scored against their own training reference gave
 * input PSI 0.38–1.38 at 50 inputs, 0.12–0.60 at 100, 0.07–0.16 at 200, 0.04–0.12 at 300 and
 * 0.02–0.06 at 500 (8 draws each). Below ~300 inputs an unshifted stream would read as a shift.
 */
export const DEFAULT_DRIFT_MIN_SAMPLES = 300;

/**
 * Population stability index of `actual` vs `expected` (both counts or proportions, same bins):
 * each is normalised to proportions, `PSI_EPSILON` is added to every bin and the bins renormalised,
 * then `PSI = Σ (a_i − e_i) · ln(a_i / e_i)`. Usual reading: < 0.1 stable, 0.1–0.25 moderate,
 * > 0.25 significant shift.
 */
export function psi(expected: number[], actual: number[]): number {
  const norm = (xs: number[]) => {
    const total = xs.reduce((a, b) => a + Math.max(0, b), 0);
    const props = xs.map((x) => (total > 0 ? Math.max(0, x) / total : 1 / xs.length) + PSI_EPSILON);
    const sum = props.reduce((a, b) => a + b, 0);
    return props.map((x) => x / sum);
  };
  const e = norm(expected);
  const a = norm(actual);
  let out = 0;
  for (let i = 0; i < e.length; i++) out += ((a[i] ?? 0) - e[i]!) * Math.log((a[i] ?? 0) / e[i]!);
  return out;
}

/** Mean of all pixel values (all channels) of a decoded image, 0–255. */
export function imageMean(image: ImageInput): number {
  const data = image.data;
  if (data.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  return sum / data.length;
}

/** Drift report of one model version. */
export interface DriftReport {
  samples: number;
  window: number;
  scores: { inputPsi: number | null; predictionPsi: number | null; confidenceDelta: number | null };
  status: 'ok' | 'insufficient-data' | 'disabled';
  reference: { images: number } | null;
}

interface Sample {
  mean: number;
  label: string | undefined;
  confidence: number | undefined;
}

/** Sliding window of live inputs of one served model version, compared with its reference. */
export class DriftMonitor {
  private readonly samples: Sample[] = [];
  private next = 0;

  constructor(
    readonly reference: DriftReference | undefined,
    readonly window = DEFAULT_DRIFT_WINDOW,
    readonly minSamples = Math.min(DEFAULT_DRIFT_MIN_SAMPLES, window),
  ) {}

  /** Records one served input and its top-1 prediction. */
  record(image: ImageInput, top: { label: string; probability: number } | undefined): void {
    if (!this.reference) return;
    const sample: Sample = { mean: imageMean(image), label: top?.label, confidence: top?.probability };
    if (this.samples.length < this.window) this.samples.push(sample);
    else this.samples[this.next] = sample;
    this.next = (this.next + 1) % this.window;
  }

  /** Current scores (null below `minSamples`, or without a reference). */
  report(): DriftReport {
    const ref = this.reference;
    const base = { samples: this.samples.length, window: this.window };
    const none = { inputPsi: null, predictionPsi: null, confidenceDelta: null };
    if (!ref) return { ...base, scores: none, status: 'disabled', reference: null };
    const reference = { images: ref.images };
    if (this.samples.length < this.minSamples)
      return { ...base, scores: none, status: 'insufficient-data', reference };
    const hist = new Array<number>(REFERENCE_HISTOGRAM_BINS).fill(0);
    for (const s of this.samples) {
      const bin = referenceBin(s.mean);
      hist[bin] = hist[bin]! + 1;
    }
    const inputPsi = psi(ref.imageMeanHistogram, hist);
    const classes = ref.predictions.classes;
    const counts = new Array<number>(classes.length + 1).fill(0);
    let confSum = 0;
    let confN = 0;
    for (const s of this.samples) {
      if (s.label !== undefined) {
        const i = classes.indexOf(s.label);
        const k = i < 0 ? classes.length : i;
        counts[k] = counts[k]! + 1;
      }
      if (s.confidence !== undefined) {
        confSum += s.confidence;
        confN += 1;
      }
    }
    // Labels unknown to the reference go to an extra bin whose expected share is 0 (+ epsilon).
    const predictionPsi = classes.length > 0 ? psi([...ref.predictions.predictedFrequency, 0], counts) : null;
    const overall = ref.predictions.overallMeanConfidence;
    const confidenceDelta = confN > 0 && Number.isFinite(overall) ? confSum / confN - overall : null;
    return { ...base, scores: { inputPsi, predictionPsi, confidenceDelta }, status: 'ok', reference };
  }
}

/** Options of {@link DriftHub}. */
export interface DriftHubOptions {
  store?: ArtifactStore | undefined;
  window?: number | undefined;
  minSamples?: number | undefined;
  onError?: (error: unknown, version: ModelVersion) => void;
}

/** One {@link DriftMonitor} per served model version, reference read lazily from the store. */
export class DriftHub {
  private readonly monitors = new Map<string, { version: ModelVersion; monitor: Promise<DriftMonitor> }>();
  private readonly ready = new Map<string, { version: ModelVersion; monitor: DriftMonitor }>();

  constructor(private readonly options: DriftHubOptions = {}) {}

  /** The monitor of a version (created and its reference loaded on first use). */
  monitor(version: ModelVersion): Promise<DriftMonitor> {
    const key = `${version.model}@${version.version}`;
    let entry = this.monitors.get(key);
    if (!entry) {
      const monitor = this.load(version).then((reference) => {
        const m = new DriftMonitor(reference, this.options.window, this.options.minSamples);
        this.ready.set(key, { version, monitor: m });
        return m;
      });
      entry = { version, monitor };
      this.monitors.set(key, entry);
    }
    return entry.monitor;
  }

  /** Records the served inputs and predictions of one version (never throws). */
  record(
    version: ModelVersion,
    images: ImageInput[],
    predictions: { top: { label: string; probability: number }[] }[],
  ): void {
    void this.monitor(version).then((m) => {
      for (let i = 0; i < images.length; i++) m.record(images[i]!, predictions[i]?.top[0]);
    });
  }

  /** Monitors whose reference has been read: for the gauges. */
  entries(): Iterable<{ version: ModelVersion; monitor: DriftMonitor }> {
    return this.ready.values();
  }

  private async load(version: ModelVersion): Promise<DriftReference | undefined> {
    const ref = version.artifacts[REFERENCE_STATS_ARTIFACT];
    const store = this.options.store;
    if (!store || !ref) return undefined;
    try {
      const bytes = await store.getBytes(ref);
      return parseDriftReference(JSON.parse(Buffer.from(bytes).toString('utf8')));
    } catch (error) {
      this.options.onError?.(error, version);
      return undefined;
    }
  }
}
