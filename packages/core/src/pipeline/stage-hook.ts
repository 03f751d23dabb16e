import type { LifecycleHooks, StageHook } from '../hooks/lifecycle-hooks.js';
import type { StageContext } from './stage-context.js';
import type { StageName, StageOutputs } from './stage-outputs.js';

/** The stage hooks of {@link LifecycleHooks}, as a map TypeScript can index with a generic stage. */
type StageHooks = { [S in StageName]: StageHook<S> };

/**
 * Calls the hook of `stage` (its taps in order, starting from no value) and returns the output
 * the taps produced, `undefined` when none did.
 */
export function callStageHook<S extends StageName>(
  hooks: LifecycleHooks,
  stage: S,
  ctx: StageContext<S>,
): Promise<StageOutputs[S] | undefined> {
  const stageHooks: StageHooks = hooks;
  return stageHooks[stage].promise(undefined, ctx);
}

/** Sets the output of `stage` among the outputs of a run. */
export function setStageOutput<S extends StageName>(
  outputs: Partial<StageOutputs>,
  stage: S,
  output: StageOutputs[S],
): void {
  outputs[stage] = output;
}
