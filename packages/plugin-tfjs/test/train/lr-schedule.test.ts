import { describe, expect, it } from 'vitest';
import { createLrSchedule, defaultLrScaleRule, resolveLearningRate } from '../../src/train/lr-schedule.js';

describe('resolveLearningRate', () => {
  const reference = { lrBase: 0.01, lrBaseSize: 4096, batchSize: 128 };

  it('scales adam-family optimizers by the square root of the batch ratio, like timm', () => {
    expect(defaultLrScaleRule('adamw')).toBe('sqrt');
    expect(defaultLrScaleRule('adam')).toBe('sqrt');
    expect(defaultLrScaleRule('sgd')).toBe('linear');
    const resolved = resolveLearningRate({ ...reference, optimizer: 'adamw' });
    expect(resolved.rule).toBe('sqrt');
    expect(resolved.lr).toBeCloseTo(0.01 * Math.sqrt(128 / 4096), 12);
  });

  it('scales SGD linearly, honours an explicit rule and an explicit lr', () => {
    expect(resolveLearningRate({ ...reference, optimizer: 'sgd' }).lr).toBeCloseTo(0.01 / 32, 12);
    expect(resolveLearningRate({ ...reference, optimizer: 'adamw' }, 'linear').lr).toBeCloseTo(0.01 / 32, 12);
    expect(resolveLearningRate({ ...reference, optimizer: 'adamw', lr: 0.003 })).toEqual({
      lr: 0.003,
      rule: 'explicit',
    });
  });
});

describe('createLrSchedule', () => {
  const base = {
    peakLr: 1,
    epochs: 10,
    stepsPerEpoch: 10,
    warmupEpochs: 2,
    warmupLr: 0.1,
    minLr: 0.01,
  };
  const cosineAt = (t: number, period: number) =>
    0.01 + 0.5 * (1 - 0.01) * (1 + Math.cos((Math.PI * t) / period));

  it('warms up linearly from warmupLr, per step', () => {
    const schedule = createLrSchedule({ ...base, scheduler: 'cosine' });
    expect(schedule.warmupSteps).toBe(20);
    expect(schedule.totalSteps).toBe(100);
    expect(schedule.lrAt(0)).toBeCloseTo(0.1, 12);
    expect(schedule.lrAt(10)).toBeCloseTo(0.55, 12);
    expect(schedule.lrAt(19)).toBeCloseTo(0.1 + 19 * 0.045, 12);
  });

  it('steps once per epoch when onUpdates is false (timm sched_on_updates=False)', () => {
    const perStep = createLrSchedule({ ...base, scheduler: 'cosine', stepsPerEpoch: 1 });
    const schedule = createLrSchedule({ ...base, scheduler: 'cosine', onUpdates: false });
    expect(schedule.totalSteps).toBe(100);
    expect(schedule.warmupSteps).toBe(20);
    for (let epoch = 0; epoch < 12; epoch++) {
      // Constant within the epoch, and timm's per-epoch value: warmup then cosine over 10 epochs.
      for (const i of [0, 5, 9]) expect(schedule.lrAt(epoch * 10 + i)).toBe(perStep.lrAt(epoch));
    }
    expect(schedule.lrAt(0)).toBeCloseTo(0.1, 12);
    expect(schedule.lrAt(10)).toBeCloseTo(0.55, 12);
    expect(schedule.lrAt(50)).toBeCloseTo(cosineAt(5, 10), 12);
    expect(schedule.lrAt(100)).toBe(0.01);
  });

  it('follows timm (warmup_prefix=false): after warmup the cosine of the whole run, then minLr', () => {
    const schedule = createLrSchedule({ ...base, scheduler: 'cosine' });
    expect(schedule.lrAt(20)).toBeCloseTo(cosineAt(20, 100), 12);
    expect(schedule.lrAt(50)).toBeCloseTo(cosineAt(50, 100), 12);
    expect(schedule.lrAt(50)).toBeCloseTo(0.505, 12);
    expect(schedule.lrAt(99)).toBeCloseTo(cosineAt(99, 100), 12);
    expect(schedule.lrAt(100)).toBe(0.01);
    expect(schedule.lrAt(1000)).toBe(0.01);
  });

  it('with warmupPrefix reaches the peak at the end of warmup and decays over the rest', () => {
    const schedule = createLrSchedule({ ...base, scheduler: 'cosine', warmupPrefix: true });
    expect(schedule.lrAt(20)).toBeCloseTo(1, 12);
    expect(schedule.lrAt(60)).toBeCloseTo(0.505, 12);
    expect(schedule.lrAt(100)).toBe(0.01);
  });

  it('is non-increasing after warmup', () => {
    const schedule = createLrSchedule({ ...base, scheduler: 'cosine' });
    for (let t = 21; t <= 100; t++) expect(schedule.lrAt(t)).toBeLessThanOrEqual(schedule.lrAt(t - 1));
  });

  it('supports constant and step shapes and no warmup', () => {
    const constant = createLrSchedule({ ...base, scheduler: 'constant' });
    expect(constant.lrAt(0)).toBeCloseTo(0.1, 12);
    expect(constant.lrAt(20)).toBe(1);
    expect(constant.lrAt(99)).toBe(1);
    const step = createLrSchedule({ ...base, scheduler: 'step', decayEpochs: 3, decayRate: 0.5 });
    expect(step.lrAt(29)).toBe(1);
    expect(step.lrAt(30)).toBe(0.5);
    expect(step.lrAt(60)).toBe(0.25);
    const noWarmup = createLrSchedule({ ...base, scheduler: 'cosine', warmupEpochs: 0 });
    expect(noWarmup.lrAt(0)).toBe(1);
  });

  it('rejects nonsense', () => {
    expect(() => createLrSchedule({ ...base, scheduler: 'cosine', stepsPerEpoch: 0 })).toThrow(/positive/);
    expect(() => createLrSchedule({ ...base, scheduler: 'linear' as 'cosine' })).toThrow(/Unknown scheduler/);
  });
});
