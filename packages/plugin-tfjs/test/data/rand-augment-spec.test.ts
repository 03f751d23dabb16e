import { isMlopsError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { augmentParams, unsupportedAugmentations } from '../../src/data/augment/augment-params.js';
import {
  parseRandAugment,
  RAND_INCREASING_TRANSFORMS,
  RAND_TRANSFORMS,
} from '../../src/data/augment/rand-augment-spec.js';

const baseAugment = {
  scale: [0.08, 1] as [number, number],
  ratio: [3 / 4, 4 / 3] as [number, number],
  hflip: 0.5,
  vflip: 0,
  colorJitter: 0.4,
  grayscale: 0,
  gaussianBlur: 0,
  randomErasing: 0.25,
};

describe('parseRandAugment (timm config strings)', () => {
  it('rand-m9-mstd0.5: magnitude 9, std 0.5, timm defaults otherwise', () => {
    expect(parseRandAugment('rand-m9-mstd0.5')).toEqual({
      source: 'rand-m9-mstd0.5',
      magnitude: 9,
      numLayers: 2,
      magnitudeStd: 0.5,
      uniformMagnitude: false,
      magnitudeMax: 10,
      prob: 0.5,
      ops: [...RAND_TRANSFORMS],
      weights: null,
      interpolation: 'random',
    });
  });

  it('rand-m8-inc1-mstd1.0: the increasing op set', () => {
    const spec = parseRandAugment('rand-m8-inc1-mstd1.0');
    expect(spec.magnitude).toBe(8);
    expect(spec.magnitudeStd).toBe(1);
    expect(spec.ops).toEqual([...RAND_INCREASING_TRANSFORMS]);
    expect(spec.ops).toContain('PosterizeIncreasing');
    expect(spec.ops).not.toContain('Posterize');
    expect(parseRandAugment('rand-m8-inc0').ops).toEqual([...RAND_TRANSFORMS]);
  });

  it('rand-m7-n3: three ops per image, no magnitude noise', () => {
    const spec = parseRandAugment('rand-m7-n3');
    expect([spec.magnitude, spec.numLayers, spec.magnitudeStd]).toEqual([7, 3, 0]);
  });

  it('reads mmax, p, w0 and mstd > 100 (uniform magnitudes); sections in any order', () => {
    const spec = parseRandAugment('rand-p0.8-mmax20-m15-mstd101-w0');
    expect(spec.magnitudeMax).toBe(20);
    expect(spec.magnitude).toBe(15);
    expect(spec.prob).toBe(0.8);
    expect(spec.uniformMagnitude).toBe(true);
    expect(spec.weights).toHaveLength(15);
    expect(spec.weights?.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // timm's weights: Rotate 0.3 of a total of 1.0; Posterize and Invert never.
    expect(spec.weights?.[RAND_TRANSFORMS.indexOf('Rotate')]).toBeCloseTo(0.3, 12);
    expect(spec.weights?.[RAND_TRANSFORMS.indexOf('Invert')]).toBe(0);
    expect(parseRandAugment('rand').numLayers).toBe(2);
  });

  it.each([
    ['augmix-m3', /start with "rand"/],
    ['rand-x9', /unknown section "x9"/],
    ['rand-m', /"m" is not a key followed by a number/],
    ['rand-m9-n2.5', /"n2.5" needs an integer/],
    ['rand-inc2', /inc0 or inc1/],
    ['rand-p1.5', /probability/],
    ['rand-w1', /only weight set w0/],
    ['rand-w0-n14', /at most n13/],
    ['rand-m9--n2', /section "" is not/],
  ])('rejects %s as a config error naming the key and the syntax', (source, why) => {
    let error: unknown;
    try {
      parseRandAugment(source);
    } catch (caught) {
      error = caught;
    }
    if (!isMlopsError(error, 'MLOPS_ERR_CONFIG_INVALID'))
      throw new Error(`expected a config error, got ${error}`);
    expect(error.message).toMatch(why);
    expect(error.message).toContain('train.augment.randAugment');
    expect(String(error.hint)).toContain('rand-m8-inc1-mstd1.0');
  });
});

describe('augmentParams with randAugment', () => {
  it('parses the spec, fills with the dataset mean × 255 and turns color jitter off like timm', () => {
    const params = augmentParams(
      { ...baseAugment, randAugment: 'rand-m8-inc1-mstd1.0' },
      { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    );
    expect(params.randAugment?.magnitude).toBe(8);
    expect(params.fill).toEqual([124, 116, 104]);
    expect(params.colorJitter).toBe(0);
    const without = augmentParams(baseAugment, { mean: [0.5], std: [0.5] });
    expect(without.randAugment).toBeUndefined();
    expect(without.colorJitter).toBe(0.4);
  });

  it('throws the config error for an unparsable string and no longer reports RandAugment unsupported', () => {
    expect(() =>
      augmentParams({ ...baseAugment, randAugment: 'rand-q3' }, { mean: [0.5], std: [0.5] }),
    ).toThrow(/train\.augment\.randAugment "rand-q3"/);
    expect(unsupportedAugmentations({ ...baseAugment, randAugment: 'rand-m8-inc1-mstd1.0' })).toEqual([]);
  });
});
