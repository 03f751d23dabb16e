import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type {
  AliasMove,
  ModelRegistry,
  ModelSummary,
  ModelVersion,
  PromoteOptions,
  PromotionGate,
  RegisterModelInput,
  VersionSelector,
} from '@mlops/core';
import { wandbErrors } from '../errors.js';

/**
 * One registry change waiting to be sent to W&B. An alias move keeps the promotion gate it was
 * made under and whether it was forced, so `mlops wandb sync` replays it under the same terms
 * against what W&B holds by then (lines written before the gate was recorded have neither: they
 * replay as the unconditional moves they were recorded as).
 */
export type RegistryIntent =
  | { op: 'register'; model: string; version: number; aliases: string[] }
  | {
      op: 'alias';
      model: string;
      version: number;
      alias: string;
      /** The gate the move was made under. */
      gate?: PromotionGate;
      /** Whether the move was made with `force` (the gate is then only recorded). */
      force?: boolean;
      /** Who moved it, and why. */
      actor?: string;
      reason?: string;
    }
  | { op: 'unalias'; model: string; alias: string };

/**
 * The registry of offline mode: the local registry answers everything (so a run, its gate and
 * `mlops serve` work without W&B), and every change is also appended to
 * `<store>/wandb/spool/registry.jsonl` for `mlops wandb sync` to replay on W&B.
 */
export class SpoolingModelRegistry implements ModelRegistry {
  readonly #inner: ModelRegistry;
  readonly #intentsPath: string;

  /** @param inner the local registry; @param intentsPath the `registry.jsonl` to append to. */
  constructor(inner: ModelRegistry, intentsPath: string) {
    this.#inner = inner;
    this.#intentsPath = intentsPath;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.register} */
  async register(input: RegisterModelInput): Promise<ModelVersion> {
    const version = await this.#inner.register(input);
    await this.#append({
      op: 'register',
      model: version.model,
      version: version.version,
      aliases: [...new Set(input.aliases ?? [])],
    });
    return version;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.listModels} */
  listModels(): Promise<ModelSummary[]> {
    return this.#inner.listModels();
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.listVersions} */
  listVersions(model: string): Promise<ModelVersion[]> {
    return this.#inner.listVersions(model);
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.resolve} */
  resolve(model: string, selector: VersionSelector): Promise<ModelVersion> {
    return this.#inner.resolve(model, selector);
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.promote} */
  async promote(model: string, version: number, alias: string, options?: PromoteOptions): Promise<AliasMove> {
    const move = await this.#inner.promote(model, version, alias, options);
    if (move.from !== move.to) {
      await this.#append({
        op: 'alias',
        model,
        version,
        alias,
        ...(options?.gate ? { gate: { ...options.gate } } : {}),
        ...(options?.force ? { force: true } : {}),
        ...(options?.actor ? { actor: options.actor } : {}),
        ...(options?.reason ? { reason: options.reason } : {}),
      });
    }
    return move;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.removeAlias} */
  async removeAlias(
    model: string,
    alias: string,
    options?: { actor?: string; reason?: string },
  ): Promise<AliasMove> {
    if (!this.#inner.removeAlias)
      throw wandbErrors.create(
        'MLOPS_WANDB_ERR_ALIAS_REMOVAL_UNSUPPORTED',
        'the local registry cannot remove aliases',
      );
    const move = await this.#inner.removeAlias(model, alias, options);
    await this.#append({ op: 'unalias', model, alias });
    return move;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.history} */
  history(model: string): Promise<AliasMove[]> {
    return this.#inner.history(model);
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.watch} */
  watch(model: string, listener: (move: AliasMove) => void): () => void {
    return this.#inner.watch ? this.#inner.watch(model, listener) : () => undefined;
  }

  async #append(intent: RegistryIntent): Promise<void> {
    await mkdir(dirname(this.#intentsPath), { recursive: true });
    await appendFile(this.#intentsPath, `${JSON.stringify(intent)}\n`);
  }
}

/** The complete intents of a `registry.jsonl` (a line torn by a crash is left out). */
export async function readIntents(path: string): Promise<RegistryIntent[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  lines.pop();
  return lines.filter(Boolean).map((line) => JSON.parse(line) as RegistryIntent);
}
