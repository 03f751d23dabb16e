import { describe, expect, it } from 'vitest';
import { decodeStages, makeDivisible, parseBlockSpec, roundChannels } from '../../src/models/index.js';

describe('block spec language', () => {
  it('parses timm-style uir strings with repeats; only the first repeat keeps the stride', () => {
    const specs = parseBlockSpec('uir_r2_a3_k5_s2_e4_c128');
    expect(specs).toEqual([
      { type: 'uir', startKernel: 3, midKernel: 5, stride: 2, expandRatio: 4, channels: 128, noskip: false },
      { type: 'uir', startKernel: 3, midKernel: 5, stride: 1, expandRatio: 4, channels: 128, noskip: false },
    ]);
  });

  it('accepts whitespace separators, defaults and flags', () => {
    expect(parseBlockSpec('uir a0 k3 e2 c96')[0]).toMatchObject({
      startKernel: 0,
      stride: 1,
      expandRatio: 2,
    });
    expect(parseBlockSpec('cn k3 s2 c32')[0]).toEqual({
      type: 'cn',
      kernel: 3,
      stride: 2,
      channels: 32,
      skip: false,
    });
    expect(parseBlockSpec('cn_k1_c32_skip')[0]).toMatchObject({ skip: true });
    expect(parseBlockSpec('uir_k3_e1_c8_noskip')[0]).toMatchObject({ noskip: true });
    expect(parseBlockSpec('mp_k2')[0]).toEqual({ type: 'mp', kernel: 2, stride: 2 });
  });

  it('decodes stages, expanding repeats within each stage', () => {
    const stages = decodeStages([['cn_k3_c8'], ['uir_r4_a0_k3_e2_c8', 'uir_a3_k0_e4_c8']]);
    expect(stages.map((s) => s.length)).toEqual([1, 5]);
  });

  it('rejects malformed specs with a message naming the spec', () => {
    expect(() => parseBlockSpec('xx_k3_c8')).toThrow(/unknown block type 'xx'/);
    expect(() => parseBlockSpec('cn_k3')).toThrow(/'cn_k3'.*missing option 'c'/);
    expect(() => parseBlockSpec('cn_k4_c8')).toThrow(/odd integer/);
    expect(() => parseBlockSpec('cn_k3_c8_zz')).toThrow(/unknown option 'zz'/);
    expect(() => parseBlockSpec('cn_k3_c8_a3')).toThrow(/option 'a' not valid/);
    expect(() => parseBlockSpec('uir_a0_k0_s2_e2_c8')).toThrow(/needs a depthwise conv/);
  });
});

describe('block spec language: hybrid blocks', () => {
  it('parses timm’s er (EdgeResidual) strings', () => {
    expect(parseBlockSpec('er_r1_k3_s2_e4_c48')).toEqual([
      { type: 'er', kernel: 3, stride: 2, expandRatio: 4, channels: 48, noskip: false },
    ]);
    expect(parseBlockSpec('er_k3_e4_c48_noskip')[0]).toMatchObject({ stride: 1, noskip: true });
  });

  it('parses timm’s mqa strings: heads, key/value dim and stride, down_conv kernel', () => {
    expect(parseBlockSpec('mqa_r1_k3_h4_s1_v2_d64_c160')).toEqual([
      { type: 'mqa', heads: 4, keyDim: 64, kvStride: 2, kernel: 3, stride: 1, channels: 160, noskip: false },
    ]);
    expect(parseBlockSpec('mqa_r2_k3_h4_s1_d64_c256')).toHaveLength(2);
    expect(parseBlockSpec('mqa_h8_d48_c192')[0]).toMatchObject({ kvStride: 1, kernel: 3 });
  });

  it('rejects what timm’s blocks cannot build the same way', () => {
    expect(() => parseBlockSpec('mqa_k3_h4_s2_d64_c160')).toThrow(/keep the resolution/);
    expect(() => parseBlockSpec('mqa_k3_h4_v3_d64_c160')).toThrow(/v must be 1 or 2/);
    expect(() => parseBlockSpec('mqa_k3_d64_c160')).toThrow(/missing option 'h'/);
    expect(() => parseBlockSpec('mqa_k3_h4_e2_d64_c160')).toThrow(/option 'e' not valid/);
    expect(() => parseBlockSpec('er_k2_e4_c48')).toThrow(/odd integer/);
    expect(() => parseBlockSpec('er_k3_e0_c48')).toThrow(/expansion e must be > 0/);
  });
});

describe('makeDivisible (timm semantics)', () => {
  it('rounds to the nearest multiple of 8 with a 10% round-down guard and a minimum of 8', () => {
    expect(makeDivisible(64 * 3)).toBe(192);
    expect(makeDivisible(96 * 2)).toBe(192);
    expect(makeDivisible(20)).toBe(24);
    expect(makeDivisible(11)).toBe(16); // 8 would lose > 10%
    expect(makeDivisible(3)).toBe(8);
    expect(roundChannels(96, 0.5)).toBe(48);
    expect(roundChannels(32, 0.75)).toBe(24);
    expect(roundChannels(960)).toBe(960);
  });
});
