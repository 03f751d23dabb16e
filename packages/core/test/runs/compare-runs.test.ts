import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/runs/compare-runs.js';
import { flattenJson } from '../../src/runs/flatten-json.js';
import type { RunRecord } from '../../src/runs/run-record.js';

function record(overrides: Partial<RunRecord>): RunRecord {
  return {
    id: '20260101-000000-aaaa',
    project: 'p',
    status: 'succeeded',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:10:00.000Z',
    durationMs: 600_000,
    argv: ['run'],
    config: {},
    dataVersion: 'd1',
    git: { sha: 'a'.repeat(40), dirty: false },
    packages: { '@mlops/core': '0.1.0' },
    backend: 'wasm',
    metrics: {},
    stages: {},
    ...overrides,
  };
}

describe('flattenJson', () => {
  it('flattens to key paths with array indices and keeps empty containers as leaves', () => {
    expect(flattenJson({ a: { b: 1, c: [10, { d: null }] }, e: {}, f: [] })).toEqual({
      'a.b': 1,
      'a.c[0]': 10,
      'a.c[1].d': null,
      e: {},
      f: [],
    });
  });
});

describe('compareRuns', () => {
  it('lists config, metric, data, code, package and backend differences', () => {
    const a = record({
      config: { train: { epochs: 3, lr: 0.001, augment: ['flip'] }, seed: 1 },
      metrics: { top1: 0.8, loss: 0.5, top5: 0.99 },
    });
    const b = record({
      id: '20260102-000000-bbbb',
      config: { train: { epochs: 5, lr: 0.001, augment: ['flip', 'erase'] }, seed: 1, extra: true },
      metrics: { top1: 0.85, loss: 0.5, auc: 0.9 },
      dataVersion: 'd2',
      git: { sha: 'a'.repeat(40), dirty: true },
      packages: { '@mlops/core': '0.2.0', tfjs: '4.22.0' },
    });
    const diff = compareRuns(a, b);
    expect(diff.a).toBe(a.id);
    expect(diff.b).toBe(b.id);
    expect(diff.config).toEqual([
      { key: 'extra', a: undefined, b: true },
      { key: 'train.augment[1]', a: undefined, b: 'erase' },
      { key: 'train.epochs', a: 3, b: 5 },
    ]);
    expect(diff.metrics).toEqual([
      { key: 'auc', a: undefined, b: 0.9, delta: null },
      { key: 'top1', a: 0.8, b: 0.85, delta: expect.closeTo(0.05, 10) },
      { key: 'top5', a: 0.99, b: undefined, delta: null },
    ]);
    expect(diff.dataVersion).toEqual({ a: 'd1', b: 'd2', changed: true });
    expect(diff.git.changed).toBe(true);
    expect(diff.packages).toEqual([
      { key: '@mlops/core', a: '0.1.0', b: '0.2.0' },
      { key: 'tfjs', a: undefined, b: '4.22.0' },
    ]);
    expect(diff.backend).toEqual({ a: 'wasm', b: 'wasm', changed: false });
    expect(compareRuns(a, b, { includeUnchanged: true }).metrics.map((m) => m.key)).toEqual([
      'auc',
      'loss',
      'top1',
      'top5',
    ]);
  });

  it('finds nothing between a run and itself', () => {
    const a = record({ config: { x: { y: [1] } }, metrics: { top1: 1 } });
    const diff = compareRuns(a, a);
    expect(diff.config).toEqual([]);
    expect(diff.metrics).toEqual([]);
    expect(diff.git.changed || diff.dataVersion.changed || diff.backend.changed).toBe(false);
  });
});
