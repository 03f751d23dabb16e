import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeNamedArrays,
  encodeNamedArrays,
  prefixNames,
  readNamedArraysFile,
  selectGroup,
  writeNamedArraysFile,
} from '../../src/train/named-arrays.js';
import { mixSeed, mulberry32, withSeededMathRandom } from '../../src/train/seeded-random.js';

describe('named arrays', () => {
  const arrays = [
    { name: 'step', shape: [], values: Float32Array.of(7) },
    { name: 'm/0', shape: [2, 2], values: Float32Array.of(1.5, -2, 3e-8, 1e30) },
  ];

  it('round-trips exactly, through memory and through a file', async () => {
    expect(decodeNamedArrays(encodeNamedArrays(arrays))).toEqual(arrays);
    const dir = await mkdtemp(join(tmpdir(), 'mlops-arrays-'));
    try {
      await writeNamedArraysFile(join(dir, 'state.bin'), arrays);
      expect(await readNamedArraysFile(join(dir, 'state.bin'))).toEqual(arrays);
      expect(await readdir(dir)).toEqual(['state.bin']); // no temp file left behind
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('groups arrays by prefix and rejects malformed input', () => {
    const stored = [...prefixNames('optimizer', arrays), ...prefixNames('ema', arrays.slice(0, 1))];
    expect(selectGroup('optimizer', stored)).toEqual(arrays);
    expect(selectGroup('ema', stored).map((a) => a.name)).toEqual(['step']);
    expect(() => encodeNamedArrays([{ name: 'x', shape: [3], values: Float32Array.of(1) }])).toThrow(
      /values/,
    );
    expect(() => decodeNamedArrays(new TextEncoder().encode('nope'))).toThrow(/magic/);
    const encoded = encodeNamedArrays(arrays);
    expect(() => decodeNamedArrays(encoded.subarray(0, 40))).toThrow(/truncated/);
    expect(() => decodeNamedArrays(encoded.subarray(0, encoded.length - 4))).toThrow(/truncated/);
  });
});

describe('seeded Math.random', () => {
  it('is reproducible, restores Math.random and refuses async functions', () => {
    const original = Math.random;
    const draw = () => [Math.random(), Math.random()];
    expect(withSeededMathRandom(5, draw)).toEqual(withSeededMathRandom(5, draw));
    expect(withSeededMathRandom(5, draw)).not.toEqual(withSeededMathRandom(6, draw));
    expect(Math.random).toBe(original);
    expect(() => withSeededMathRandom(1, async () => 1)).toThrow(/synchronous/);
    expect(Math.random).toBe(original);
  });

  it('mixes seeds and steps into distinct streams in [0, 1)', () => {
    expect(mixSeed(42, 0)).not.toBe(mixSeed(42, 1));
    expect(mixSeed(42, 1)).not.toBe(mixSeed(43, 1));
    const random = mulberry32(1);
    for (let i = 0; i < 1000; i++) {
      const v = random();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });
});
