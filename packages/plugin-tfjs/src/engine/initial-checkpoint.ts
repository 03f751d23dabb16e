import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MlopsError, ModelRegistry, type StageContext } from '@mlops/core';

/**
 * Resolves `model.initialCheckpoint` to a local directory holding a saved tfjs model:
 * - a path (relative to the config file),
 * - `registry:<model>@<alias>` or `registry:<model>@v<N>` (its `tfjs` artifact),
 * - `store:<hash>` (a model tree in the store).
 */
export async function resolveInitialCheckpoint(spec: string, ctx: StageContext<'model'>): Promise<string> {
  if (spec.startsWith('registry:')) {
    const match = /^registry:([^@]+)@(.+)$/.exec(spec);
    if (!match) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `model.initialCheckpoint "${spec}": expected registry:<model>@<alias> or registry:<model>@v<N>`,
      );
    }
    const [, model, selector] = match as unknown as [string, string, string];
    const registry = ctx.container.resolve(ModelRegistry);
    const version = /^v\d+$/.test(selector)
      ? await registry.resolve(model, { version: Number(selector.slice(1)) })
      : await registry.resolve(model, { alias: selector });
    const artifact = version.artifacts.tfjs;
    if (!artifact) {
      throw new MlopsError(
        'MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND',
        `${model} v${version.version} has no tfjs artifact to fine-tune from`,
        {
          hint: `its artifacts: ${Object.keys(version.artifacts).join(', ')}; export with formats: ['tfjs']`,
        },
      );
    }
    return modelDirOf(await ctx.store.localPath(artifact));
  }
  if (spec.startsWith('store:')) {
    const hash = spec.slice('store:'.length);
    return modelDirOf(await ctx.store.localPath({ hash, kind: 'dir', size: 0 }));
  }
  const path = resolve(ctx.config.root, spec);
  if (!existsSync(resolve(path, 'model.json'))) {
    throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `model.initialCheckpoint: no model.json in ${path}`, {
      file: path,
      hint: 'point it at a directory written by the train or export stage (model.json + weights.bin)',
    });
  }
  return path;
}

/** An exported tfjs artifact keeps the model under `model/`; a checkpoint has it at the root. */
function modelDirOf(dir: string): string {
  return existsSync(resolve(dir, 'model', 'model.json')) ? resolve(dir, 'model') : dir;
}
