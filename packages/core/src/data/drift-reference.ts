/**
 * The drift reference: statistics of the training inputs and of the model's predictions on
 * held-out data, stored with every registered version as its `reference-stats` artifact. The
 * engine writes it (`@mlops/plugin-tfjs`), the registry files it, the server's drift monitor
 * compares live traffic with it; this module is the one definition all three use.
 */

/** Role of the artifact holding a version's {@link ReferenceStats} in `ModelVersion.artifacts`. */
export const REFERENCE_STATS_ARTIFACT = 'reference-stats';

/** Format marker of {@link ReferenceStats} (bumped when the shape changes incompatibly). */
export const REFERENCE_STATS_FORMAT = 'mlops-reference-stats/1';

/** Bins of every pixel-value histogram of the reference, equal bins over 0–255. */
export const REFERENCE_HISTOGRAM_BINS = 32;

/**
 * The `reference-stats` artifact (JSON): the training inputs' per-channel pixel statistics and the
 * model's prediction distribution on the validation split.
 */
export interface ReferenceStats {
  /** Format marker. */
  format: typeof REFERENCE_STATS_FORMAT;
  /** Images summarized. */
  images: number;
  /** Image shape `[height, width, channels]` as fed to the model. */
  shape: [number, number, number];
  /** Per channel: mean and std of pixel values (0–255) and a histogram of {@link REFERENCE_HISTOGRAM_BINS} bins. */
  channels: { mean: number; std: number; histogram: number[] }[];
  /** Per image mean brightness (all channels): proportions per {@link referenceBin} (what input PSI is computed on). */
  imageMeanHistogram: number[];
  /** Prediction distribution on the validation split. */
  predictions: {
    /** Class labels, in the model's order. */
    classes: string[];
    /** Share of validation images predicted as each class. */
    predictedFrequency: number[];
    /** Mean top-1 probability of the images predicted as each class. */
    meanConfidence: number[];
    /** Mean top-1 probability over all validation images. */
    overallMeanConfidence: number;
    /** Histogram of max-probability over 20 bins in [0, 1]. */
    confidenceHistogram?: number[];
  };
}

/** The part of {@link ReferenceStats} a drift monitor needs (what {@link parseDriftReference} keeps). */
export interface DriftReference {
  /** Images summarized (0 when the artifact does not say). */
  images: number;
  /** Per image mean brightness proportions, {@link REFERENCE_HISTOGRAM_BINS} bins. */
  imageMeanHistogram: number[];
  /** Prediction distribution (`overallMeanConfidence` is NaN when the artifact lacks it). */
  predictions: Pick<
    ReferenceStats['predictions'],
    'classes' | 'predictedFrequency' | 'overallMeanConfidence'
  >;
}

/**
 * The histogram bin of a pixel value or of an image's mean brightness (0–255): ⌊value · 32 / 256⌋,
 * clamped to the bins. Training and serving bin with this one function, so their histograms compare.
 */
export function referenceBin(value: number): number {
  return Math.min(
    REFERENCE_HISTOGRAM_BINS - 1,
    Math.max(0, Math.floor((value * REFERENCE_HISTOGRAM_BINS) / 256)),
  );
}

const isNumberArray = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Validates a parsed `reference-stats` JSON defensively and keeps what drift needs; undefined when
 * it is not usable (wrong histogram length, classes and frequencies that do not pair up…). Older
 * artifacts without `format`, `images` or `overallMeanConfidence` are still read.
 */
export function parseDriftReference(value: unknown): DriftReference | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.format !== undefined && v.format !== REFERENCE_STATS_FORMAT) return undefined;
  if (!isNumberArray(v.imageMeanHistogram) || v.imageMeanHistogram.length !== REFERENCE_HISTOGRAM_BINS)
    return undefined;
  const p = v.predictions as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object') return undefined;
  if (!Array.isArray(p.classes) || !p.classes.every((c) => typeof c === 'string')) return undefined;
  if (!isNumberArray(p.predictedFrequency) || p.predictedFrequency.length !== p.classes.length)
    return undefined;
  return {
    images: typeof v.images === 'number' ? v.images : 0,
    imageMeanHistogram: v.imageMeanHistogram,
    predictions: {
      classes: p.classes as string[],
      predictedFrequency: p.predictedFrequency,
      overallMeanConfidence:
        typeof p.overallMeanConfidence === 'number' ? p.overallMeanConfidence : Number.NaN,
    },
  };
}
