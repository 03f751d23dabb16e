import { isMlopsError, type ModelRegistry } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { SpoolingModelRegistry } from '../src/registry/spooling-registry.js';

describe('plugin-wandb codes its own failures', () => {
  it('removing an alias through a registry that cannot is MLOPS_WANDB_ERR_ALIAS_REMOVAL_UNSUPPORTED', async () => {
    // A registry without the optional removeAlias: nothing else is called before the check.
    const inner = {} as ModelRegistry;
    const spooling = new SpoolingModelRegistry(inner, '/nonexistent/intents.jsonl');
    const error = await spooling.removeAlias('fashion', 'staging').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMlopsError(error, 'MLOPS_WANDB_ERR_ALIAS_REMOVAL_UNSUPPORTED')).toBe(true);
    expect((error as { hint?: string }).hint).toMatch(/mlops registry promote/);
  });
});
