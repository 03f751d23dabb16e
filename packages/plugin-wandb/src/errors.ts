/**
 * The error codes `@mlops/plugin-wandb` declares (`MLOPS_WANDB_ERR_*`). W&B refusing the API key,
 * being unreachable or rejecting a request, damaged artifacts and registry lookups use core's codes
 * (`MLOPS_ERR_REMOTE_*`, `MLOPS_ERR_STORE_CORRUPT`, `MLOPS_ERR_REGISTRY_*`); `docs/errors.md` lists both.
 */
import { defineErrorCatalogue } from '@mlops/core';

/** The codes `@mlops/plugin-wandb` declares; call sites use `wandbErrors.create(code, message, { hint })`. */
export const wandbErrors = defineErrorCatalogue('@mlops/plugin-wandb', {
  MLOPS_WANDB_ERR_ALIAS_REMOVAL_UNSUPPORTED: {
    meaning:
      'An alias cannot be removed because the registry the wandb() plugin wraps (the local or a fallback registry) has no way to remove aliases.',
    hint: 'Move the alias to another version instead (`mlops registry promote <model> <version> <alias>`), or use a registry that can remove aliases.',
  },
});

/** A code declared by `@mlops/plugin-wandb` ({@link wandbErrors}). */
export type WandbErrorCode = (typeof wandbErrors.codes)[number];
