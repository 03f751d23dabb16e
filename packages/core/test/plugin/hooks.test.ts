import { describe, expect, expectTypeOf, it } from 'vitest';
import { createLifecycleHooks } from '../../src/hooks/lifecycle-hooks.js';
import type { StageContext } from '../../src/pipeline/stage-context.js';
import type { DataOutput, TrainOutput } from '../../src/pipeline/stage-outputs.js';

const output = (version: string): DataOutput => ({
  dataset: { hash: version, kind: 'dir', size: 0 },
  version,
  classes: ['a', 'b'],
  splits: {},
  counts: {},
  skipped: [],
});

describe('lifecycle hooks', () => {
  it('orders stage taps by stage and before, and passes the value along (waterfall)', async () => {
    const hooks = createLifecycleHooks();
    const calls: string[] = [];
    hooks.data.tapPromise({ name: 'refine', stage: 10 }, async (value) => {
      calls.push('refine');
      return value && { ...value, classes: [...value.classes, 'c'] };
    });
    hooks.data.tapPromise({ name: 'core', stage: 0 }, async (value) => {
      calls.push('core');
      return value ?? output('v1');
    });
    hooks.data.tapPromise({ name: 'first', before: 'core' }, async (value) => {
      calls.push('first');
      return value;
    });
    const result = await hooks.data.promise(undefined, {} as StageContext<'data'>);
    expect(calls).toEqual(['first', 'core', 'refine']);
    expect(result?.classes).toEqual(['a', 'b', 'c']);
  });

  it('lets an earlier tap short-circuit the default implementation', async () => {
    const hooks = createLifecycleHooks();
    hooks.data.tapPromise({ name: 'cache', stage: -10 }, async () => output('from-elsewhere'));
    hooks.data.tapPromise({ name: 'core', stage: 0 }, async (value) => value ?? output('default'));
    expect((await hooks.data.promise(undefined, {} as StageContext<'data'>))?.version).toBe('from-elsewhere');
  });

  it('types payloads per hook name', () => {
    const hooks = createLifecycleHooks();
    hooks.train.tap('typed', (value, ctx) => {
      expectTypeOf(value).toEqualTypeOf<TrainOutput | undefined>();
      expectTypeOf(ctx.stage).toEqualTypeOf<'train'>();
      return value;
    });
    hooks.epochEnd.tap('typed', (event) => {
      expectTypeOf(event.metrics).toEqualTypeOf<Record<string, number>>();
    });
  });

  it('supports interceptors (e.g. timing every tap)', async () => {
    const hooks = createLifecycleHooks();
    const registered: string[] = [];
    hooks.runEnd.intercept({
      register: (tap) => {
        registered.push(tap.name);
        return tap;
      },
    });
    hooks.runEnd.tap('observer', () => undefined);
    expect(registered).toEqual(['observer']);
  });
});
