import { MlopsError } from '@mlops/core';

/** timm's RandAugment transform names (`_RAND_TRANSFORMS`), the set used without `inc1`. */
export const RAND_TRANSFORMS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'Posterize',
  'Solarize',
  'SolarizeAdd',
  'Color',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateXRel',
  'TranslateYRel',
] as const;

/** timm's `_RAND_INCREASING_TRANSFORMS` (`inc1`): severity grows with magnitude for every op. */
export const RAND_INCREASING_TRANSFORMS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'PosterizeIncreasing',
  'SolarizeIncreasing',
  'SolarizeAdd',
  'ColorIncreasing',
  'ContrastIncreasing',
  'BrightnessIncreasing',
  'SharpnessIncreasing',
  'ShearX',
  'ShearY',
  'TranslateXRel',
  'TranslateYRel',
] as const;

/** One RandAugment op name, as timm spells it. */
export type RandAugmentOpName =
  | (typeof RAND_TRANSFORMS)[number]
  | (typeof RAND_INCREASING_TRANSFORMS)[number];

/**
 * timm's `_RAND_CHOICE_WEIGHTS_0` (`w0`), in the order of {@link RAND_TRANSFORMS}. timm applies
 * them by position to whichever op list is active, so `inc1-w0` weights the increasing ops the same.
 */
const CHOICE_WEIGHTS_0 = [
  0.025, 0.005, 0, 0.3, 0, 0.005, 0.005, 0.025, 0.005, 0.005, 0.025, 0.2, 0.2, 0.1, 0.1,
];

/** Largest magnitude standard deviation timm treats as gaussian; above it magnitudes are uniform. */
const MSTD_UNIFORM_ABOVE = 100;

/**
 * Resampling of the geometric ops. timm's training default (`train_interpolation: random`) makes
 * each geometric op call pick bilinear or bicubic at random; a fixed train interpolation fixes it.
 */
export type RandAugmentInterpolation = 'random' | 'bilinear' | 'bicubic';

/** A parsed RandAugment config string: plain data, so it can be posted to worker threads. */
export interface RandAugmentSpec {
  /** The config string it was parsed from. */
  source: string;
  /** Mean magnitude `m` (timm's scale: 10 is the strongest level of the standard ranges). */
  magnitude: number;
  /** Ops applied per image (`n`, default 2). */
  numLayers: number;
  /** Gaussian noise std added to the magnitude per op application (`mstd`, default 0). */
  magnitudeStd: number;
  /** True when `mstd` > 100: the magnitude is drawn uniformly from [0, m] instead. */
  uniformMagnitude: boolean;
  /** Upper clip of the sampled magnitude (`mmax`, default 10). */
  magnitudeMax: number;
  /** Probability that a selected op is applied (`p`, default 0.5). */
  prob: number;
  /** The op list: {@link RAND_INCREASING_TRANSFORMS} with `inc1`, else {@link RAND_TRANSFORMS}. */
  ops: RandAugmentOpName[];
  /**
   * Op choice probabilities (`w0`; ops then drawn without replacement), or null for uniform
   * choice with replacement.
   */
  weights: number[] | null;
  /** Resampling of Rotate/Shear/Translate (not part of the string; timm's default `random`). */
  interpolation: RandAugmentInterpolation;
}

const SYNTAX =
  'rand-m{magnitude}-n{num_layers}-mstd{std}-mmax{max}-inc{0|1}-p{prob}-w{0}, e.g. rand-m8-inc1-mstd1.0';

/**
 * Parses a timm RandAugment string (`rand_augment_transform`'s `config_str`): `rand` followed by
 * dash-separated sections in any order — `m` magnitude (default 10), `n` ops per image (2),
 * `mstd` magnitude noise std (0; > 100 means uniform in [0, m]), `mmax` magnitude clip (10),
 * `inc` 1 for the increasing op set, `p` per-op probability (0.5), `w` choice-weight set (only 0).
 * Stricter than timm, which silently skips sections without a number: any unknown or malformed
 * section is a `MLOPS_ERR_CONFIG_INVALID` naming `configKey`.
 */
export function parseRandAugment(source: string, configKey = 'train.augment.randAugment'): RandAugmentSpec {
  const fail = (why: string): never => {
    throw new MlopsError(
      'MLOPS_ERR_CONFIG_INVALID',
      `${configKey} "${source}" is not a RandAugment spec: ${why}`,
      {
        hint: `Use timm's syntax ${SYNTAX} (timm key "aa"), or remove ${configKey} to turn RandAugment off.`,
      },
    );
  };
  const sections = source.trim().split('-');
  if (sections[0] !== 'rand') fail('it must start with "rand"');
  const spec: RandAugmentSpec = {
    source,
    magnitude: 10,
    numLayers: 2,
    magnitudeStd: 0,
    uniformMagnitude: false,
    magnitudeMax: 10,
    prob: 0.5,
    ops: [...RAND_TRANSFORMS],
    weights: null,
    interpolation: 'random',
  };
  for (const section of sections.slice(1)) {
    const match = /^([a-z]+)(\d[\d.]*)$/.exec(section);
    const value = match ? Number(match[2]) : Number.NaN;
    if (!match || !Number.isFinite(value)) fail(`section "${section}" is not a key followed by a number`);
    const key = match?.[1];
    const integer = (): number => (Number.isInteger(value) ? value : fail(`"${section}" needs an integer`));
    if (key === 'm') spec.magnitude = value;
    else if (key === 'n') spec.numLayers = integer();
    else if (key === 'mstd') {
      spec.uniformMagnitude = value > MSTD_UNIFORM_ABOVE;
      spec.magnitudeStd = spec.uniformMagnitude ? 0 : value;
    } else if (key === 'mmax') spec.magnitudeMax = value;
    else if (key === 'inc') {
      if (value !== 0 && value !== 1) fail(`"${section}" must be inc0 or inc1`);
      spec.ops = value === 1 ? [...RAND_INCREASING_TRANSFORMS] : [...RAND_TRANSFORMS];
    } else if (key === 'p') {
      if (value > 1) fail(`"${section}" must be a probability in [0, 1]`);
      spec.prob = value;
    } else if (key === 'w') {
      if (integer() !== 0) fail(`"${section}": only weight set w0 exists`);
      spec.weights = CHOICE_WEIGHTS_0;
    } else fail(`unknown section "${section}"`);
  }
  if (spec.magnitudeMax <= 0) fail('mmax must be > 0');
  if (spec.weights) {
    const total = spec.weights.reduce((sum, w) => sum + w, 0);
    spec.weights = spec.weights.map((w) => w / total);
    const nonZero = spec.weights.filter((w) => w > 0).length;
    // Weighted choice draws without replacement, so it cannot pick more ops than have weight.
    if (spec.numLayers > nonZero) fail(`with w0 at most n${nonZero} ops can be drawn per image`);
  }
  return spec;
}
