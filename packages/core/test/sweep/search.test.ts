import { describe, expect, it } from 'vitest';
import { ashaContinues, rungOf } from '../../src/sweep/asha.js';
import { gridPoint, gridSize } from '../../src/sweep/grid.js';
import { parameterImportance } from '../../src/sweep/importance.js';
import { suggest } from '../../src/sweep/run-sweep.js';
import { paramsToOverrides, searchSpace, type TrialParams } from '../../src/sweep/search-space.js';
import { SWEEP_RECORD_FORMAT, type SweepRecord, type TrialRecord } from '../../src/sweep/sweep-record.js';
import { type SweepSpec, sweepSpecSchema } from '../../src/sweep/sweep-spec.js';
import { normalCdf, splitGoodBad } from '../../src/sweep/tpe.js';

/** A synthetic objective with a known optimum (maximized): lr 1e-2, weight decay 0.03, adamw, batch 64. */
function objective(p: TrialParams): number {
  const lr = p['train.lr'] as number;
  const wd = p['train.weightDecay'] as number;
  const batch = p['train.batchSize'] as number;
  return (
    -((Math.log10(lr) + 2) ** 2) -
    ((wd - 0.03) / 0.05) ** 2 -
    (p['train.optimizer'] === 'adamw' ? 0 : 0.5) -
    ((batch - 64) / 64) ** 2
  );
}

function spec(method: SweepSpec['method'], seed: number, maxTrials: number): SweepSpec {
  return sweepSpecSchema.parse({
    method,
    seed,
    maxTrials,
    metric: { name: 'score', goal: 'maximize' },
    parameters: {
      'train.lr': { distribution: 'log_uniform_values', min: 1e-5, max: 1 },
      'train.weightDecay': { distribution: 'uniform', min: 0, max: 0.1 },
      'train.optimizer': { values: ['adamw', 'adam', 'sgd', 'sgd-nesterov'] },
      'train.batchSize': { distribution: 'int_uniform', min: 8, max: 256 },
    },
  });
}

function emptyRecord(s: SweepSpec): SweepRecord {
  const now = new Date().toISOString();
  return {
    format: SWEEP_RECORD_FORMAT,
    id: 't',
    key: 'k',
    name: 't',
    project: 'p',
    status: 'running',
    spec: s,
    baseOverrides: [],
    executor: 'fake',
    trials: [],
    rungs: {},
    external: {},
    createdAt: now,
    updatedAt: now,
  };
}

/** The best objective a method finds in `budget` trials (the same loop `sweep` runs, in memory). */
function bestFound(method: 'random' | 'tpe', seed: number, budget: number): number {
  const s = spec(method, seed, budget);
  const space = searchSpace(s);
  const record = emptyRecord(s);
  let best = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < budget; index++) {
    const params = suggest(s, space, record, index);
    const value = objective(params);
    best = Math.max(best, value);
    record.trials.push({
      index,
      params,
      overrides: paramsToOverrides(params),
      status: 'succeeded',
      value,
      epochs: [],
      startedAt: '',
    });
  }
  return best;
}

describe('search methods', () => {
  it('TPE finds better configs than random search in the same budget, on average over seeds', () => {
    const seeds = Array.from({ length: 16 }, (_, i) => i);
    const budget = 40;
    const random = seeds.map((seed) => bestFound('random', seed, budget));
    const tpe = seeds.map((seed) => bestFound('tpe', seed, budget));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(tpe)).toBeGreaterThan(mean(random));
    // Not a coin flip: TPE wins on most seeds.
    const wins = seeds.filter((_, i) => (tpe[i] as number) > (random[i] as number)).length;
    expect(wins).toBeGreaterThanOrEqual(11);
  });

  it('draws reproducibly from the seed, inside the bounds, integers for int_uniform', () => {
    const s = spec('random', 7, 20);
    const space = searchSpace(s);
    const a = Array.from({ length: 20 }, (_, i) => suggest(s, space, emptyRecord(s), i));
    const b = Array.from({ length: 20 }, (_, i) => suggest(s, space, emptyRecord(s), i));
    expect(a).toEqual(b);
    for (const p of a) {
      expect(p['train.lr']).toBeGreaterThanOrEqual(1e-5);
      expect(p['train.lr']).toBeLessThanOrEqual(1);
      expect(Number.isInteger(p['train.batchSize'])).toBe(true);
      expect(p['train.batchSize']).toBeGreaterThanOrEqual(8);
      expect(p['train.batchSize']).toBeLessThanOrEqual(256);
    }
    const other = suggest(spec('random', 8, 20), space, emptyRecord(s), 0);
    expect(other).not.toEqual(a[0]);
  });

  it('TPE concentrates on the good region once it has trials to model', () => {
    let near = 0;
    let adamw = 0;
    let late = 0;
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const s = spec('tpe', seed, 60);
      const space = searchSpace(s);
      const record = emptyRecord(s);
      for (let index = 0; index < 60; index++) {
        const params = suggest(s, space, record, index);
        // Here the optimizer matters as much as a decade of learning rate.
        const value =
          -((Math.log10(params['train.lr'] as number) + 2) ** 2) -
          (params['train.optimizer'] === 'adamw' ? 0 : 1);
        record.trials.push({
          index,
          params,
          overrides: [],
          status: 'succeeded',
          value,
          epochs: [],
          startedAt: '',
        });
        if (index < 40) continue;
        late += 1;
        if (Math.abs(Math.log10(params['train.lr'] as number) + 2) < 1) near += 1;
        if (params['train.optimizer'] === 'adamw') adamw += 1;
      }
    }
    // Prior draws land within one decade of 1e-2 with probability 2/5, on adamw with 1/4.
    expect(near / late).toBeGreaterThan(0.7);
    expect(adamw / late).toBeGreaterThan(0.5);
  });

  it('splits good and bad at gamma, pruned trials always bad', () => {
    const obs = [3, 1, 2, 5, 4].map((loss, i) => ({ params: { i }, loss }));
    const { good, bad } = splitGoodBad([...obs, { params: { i: 9 }, loss: undefined }], 0.25);
    expect(good.map((o) => o.loss)).toEqual([1, 2]);
    expect(bad).toHaveLength(4);
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 3);
  });

  it('grid visits every combination once, first key slowest', () => {
    const s = sweepSpecSchema.parse({
      method: 'grid',
      parameters: {
        'train.lr': { values: [0.1, 0.01] },
        'train.batchSize': { distribution: 'int_uniform', min: 1, max: 3 },
      },
    });
    const space = searchSpace(s);
    expect(gridSize(space)).toBe(6);
    const points = Array.from({ length: 6 }, (_, i) => gridPoint(space, i));
    expect(points.map((p) => [p['train.lr'], p['train.batchSize']])).toEqual([
      [0.1, 1],
      [0.1, 2],
      [0.1, 3],
      [0.01, 1],
      [0.01, 2],
      [0.01, 3],
    ]);
  });
});

describe('ASHA', () => {
  const settings = { type: 'asha' as const, minIter: 1, eta: 3 };
  it('puts rungs at minIter · eta^k', () => {
    expect([1, 2, 3, 4, 9, 27].map((e) => rungOf(e, settings))).toEqual([0, undefined, 1, undefined, 2, 3]);
    expect(rungOf(2, { type: 'asha', minIter: 2, eta: 2 })).toBe(0);
    expect(rungOf(8, { type: 'asha', minIter: 2, eta: 2 })).toBe(2);
  });
  it('keeps the best 1/eta at a rung (the best while fewer than eta reached it)', () => {
    expect(ashaContinues(0.5, [], settings, 'maximize')).toBe(true);
    expect(ashaContinues(0.4, [0.5], settings, 'maximize')).toBe(false);
    expect(ashaContinues(0.6, [0.5], settings, 'maximize')).toBe(true);
    expect(ashaContinues(0.7, [0.9, 0.8, 0.6, 0.5, 0.4], settings, 'maximize')).toBe(false);
    expect(ashaContinues(0.85, [0.9, 0.8, 0.6, 0.5, 0.4], settings, 'maximize')).toBe(true);
    expect(ashaContinues(0.2, [0.3, 0.5], settings, 'minimize')).toBe(true);
    expect(ashaContinues(0.4, [0.3, 0.5], settings, 'minimize')).toBe(false);
  });
});

describe('importance', () => {
  it('ranks the key that drives the metric above a key that does not', () => {
    const s = spec('random', 1, 30);
    const space = searchSpace(s);
    const trials: TrialRecord[] = Array.from({ length: 30 }, (_, index) => {
      const params = suggest(s, space, emptyRecord(s), index);
      return {
        index,
        params,
        overrides: [],
        status: 'succeeded' as const,
        value: -((Math.log10(params['train.lr'] as number) + 2) ** 2),
        epochs: [],
        startedAt: '',
      };
    });
    const importance = parameterImportance(space, trials);
    expect(importance[0]?.path).toBe('train.lr');
    expect(importance[0]?.importance).toBeGreaterThan(0.5);
    const wd = importance.find((p) => p.path === 'train.weightDecay');
    expect(wd?.importance).toBeLessThan(0.3);
  });
});
