/**
 * `auto` by measurement. Only wasm is accelerated on this machine, so the real probe is tested
 * by timing wasm against cpu explicitly (cpu is never a candidate of `auto` itself), and the
 * choice logic with a scripted probe.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type BackendProbe, chooseFastestBackend } from '../../src/backend/choose-fastest-backend.js';
import { selectBackend } from '../../src/backend/select-backend.js';
import { trainStepProbe } from '../../src/backend/train-step-probe.js';
import { tinyConvModel, trainerConfig } from '../train/helpers.js';

function tinyProbe(timedSteps = 2) {
  const config = trainerConfig();
  return trainStepProbe({
    build: () => tinyConvModel({ numClasses: 3, seed: 1, side: 16 }),
    batchSize: 8,
    numClasses: 3,
    optimizer: config,
    labelSmoothing: 0.1,
    gradClip: 5,
    timedSteps,
  });
}

describe('chooseFastestBackend', () => {
  it('times real train steps on wasm and cpu, activates the faster and says so', async () => {
    const logs: string[] = [];
    const counts: Record<string, number> = {};
    const probe = tinyProbe();
    const counting: BackendProbe = async (name, budget) => {
      const before = tf.memory().numTensors;
      const timing = await probe(name, budget);
      counts[name] = tf.memory().numTensors - before;
      return timing;
    };
    const result = await chooseFastestBackend(['wasm', 'cpu'], counting, { log: (m) => logs.push(m) });
    expect(result.measurements.map((m) => m.name)).toEqual(['wasm', 'cpu']);
    for (const m of result.measurements) {
      expect(m.error).toBeUndefined();
      expect(m.timedSteps).toBe(2);
      expect(m.msPerStep).toBeGreaterThan(0);
      expect(m.warmupMs).toBeGreaterThan(0);
    }
    expect(counts).toEqual({ wasm: 0, cpu: 0 });
    const [wasm, cpu] = result.measurements as [{ msPerStep: number }, { msPerStep: number }];
    const faster = wasm.msPerStep <= cpu.msPerStep ? 'wasm' : 'cpu';
    expect(result.info.name).toBe(faster);
    expect(tf.getBackend()).toBe(faster);
    expect(result.summary).toMatch(new RegExp(`^auto: wasm \\d+ ms/step, cpu \\d+ ms/step → ${faster}$`));
    expect(result.info.reason).toContain(result.summary);
    expect(logs).toContain(result.summary);
  });

  it('picks the fastest by measurement, whatever the order, and skips a backend that fails', async () => {
    const ms: Record<string, number> = { wasm: 716, cpu: 906 };
    const activated: string[] = [];
    const activate = async (name: string) => {
      activated.push(name);
      return { name, requested: name, reason: `${name} test` };
    };
    const scripted: BackendProbe = async (name) => {
      if (name === 'broken') throw new Error('shader compile failed\nstack');
      return { msPerStep: ms[name] as number, timedSteps: 2, warmupMs: 5000 };
    };
    const result = await chooseFastestBackend(['cpu', 'broken', 'wasm'], scripted, { activate });
    expect(result.summary).toBe(
      'auto: cpu 906 ms/step, broken failed (shader compile failed), wasm 716 ms/step → wasm',
    );
    expect(activated.at(-1)).toBe('wasm');
    expect(result.info).toMatchObject({ name: 'wasm', requested: 'auto' });

    const none = await chooseFastestBackend(['cpu', 'wasm'], () => Promise.reject(new Error('no')), {
      activate,
    });
    expect(none.info.name).toBe('cpu');
    expect(none.summary).toBe('auto: cpu failed (no), wasm failed (no) → cpu');
  });

  it('gives each candidate a share of the budget; past it only the warm-up step counts', async () => {
    const budgets: number[] = [];
    const activate = async (name: string) => ({ name, requested: name, reason: '' });
    await chooseFastestBackend(
      ['a', 'b'],
      async (_name, budget) => {
        budgets.push(budget);
        return { msPerStep: 1, timedSteps: 1, warmupMs: 1 };
      },
      { activate, budgetMs: 1000 },
    );
    expect(budgets[0]).toBeGreaterThan(450);
    expect(budgets[0]).toBeLessThanOrEqual(500);

    await selectBackend('cpu');
    const timing = await tinyProbe()('cpu', 0);
    expect(timing.timedSteps).toBe(0);
    expect(timing.msPerStep).toBe(timing.warmupMs);
  });

  it('selectBackend auto with a probe: one accelerated backend here (wasm), so nothing is probed', async () => {
    let probed = 0;
    const info = await selectBackend('auto', undefined, {
      probe: async () => {
        probed++;
        return { msPerStep: 1, timedSteps: 1, warmupMs: 1 };
      },
    });
    expect(probed).toBe(0);
    expect(info.name).toBe('wasm');
    expect(info.measurements).toBeUndefined();
    expect(info.reason).toMatch(/skipped: tensorflow/);
    expect(tf.getBackend()).toBe('wasm');
  });
});
