import {
  type AliasMove,
  isMlopsError,
  type Logger,
  type ModelRegistry,
  type ModelSummary,
  type ModelVersion,
  type PromoteOptions,
  type RegisterModelInput,
  silentLogger,
  type VersionSelector,
} from '@mlops/core';
import { wandbErrors } from '../errors.js';

/** Options of {@link FallbackModelRegistry}. */
export interface FallbackModelRegistryOptions {
  /** The W&B registry, used while W&B answers. */
  online: ModelRegistry;
  /** The offline registry (local registry + `registry.jsonl` spool) used once W&B cannot be reached. */
  spool: ModelRegistry;
  /** Where the switch is reported (one warning). */
  logger?: Logger;
}

/**
 * The registry of online mode: W&B while it answers; once a change cannot reach it (network
 * error, 408/429/5xx after the client's retries: `MLOPS_ERR_REMOTE_UNAVAILABLE`), that change and
 * every later one of this process go to the offline registry instead, which records them in the
 * local registry and spools them for `mlops wandb sync` — so a W&B outage does not fail the export
 * stage of a run that trained for hours. Rejections that a retry cannot fix (401, 4xx, gate) are
 * not absorbed.
 *
 * Reads stay on W&B (the local registry does not know its versions) until the switch; after it
 * they use the offline registry, which holds the versions this process registered. While offline,
 * a promotion gate compares with the local registry only, as in `WANDB_MODE=offline`; the spool
 * keeps the gate, and `mlops wandb sync` checks it again against W&B before moving the alias.
 */
export class FallbackModelRegistry implements ModelRegistry {
  readonly #online: ModelRegistry;
  readonly #spool: ModelRegistry;
  readonly #logger: Logger;
  #offline = false;

  /** A registry that starts online; see the class comment. */
  constructor(options: FallbackModelRegistryOptions) {
    this.#online = options.online;
    this.#spool = options.spool;
    this.#logger = options.logger ?? silentLogger;
  }

  /** True once changes go to the spool. */
  get offline(): boolean {
    return this.#offline;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.register} */
  register(input: RegisterModelInput): Promise<ModelVersion> {
    return this.#write(`register ${input.model}`, (r) => r.register(input));
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.promote} */
  promote(model: string, version: number, alias: string, options?: PromoteOptions): Promise<AliasMove> {
    return this.#write(`move ${model}@${alias}`, (r) => r.promote(model, version, alias, options));
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.removeAlias} */
  removeAlias(
    model: string,
    alias: string,
    options?: { actor?: string; reason?: string },
  ): Promise<AliasMove> {
    return this.#write(`remove ${model}@${alias}`, (r) => {
      if (!r.removeAlias)
        throw wandbErrors.create(
          'MLOPS_WANDB_ERR_ALIAS_REMOVAL_UNSUPPORTED',
          'this registry cannot remove aliases',
        );
      return r.removeAlias(model, alias, options);
    });
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.listModels} */
  listModels(): Promise<ModelSummary[]> {
    return this.#current().listModels();
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.listVersions} */
  listVersions(model: string): Promise<ModelVersion[]> {
    return this.#current().listVersions(model);
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.resolve} */
  resolve(model: string, selector: VersionSelector): Promise<ModelVersion> {
    return this.#current().resolve(model, selector);
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.history} */
  history(model: string): Promise<AliasMove[]> {
    return this.#current().history(model);
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.watch} */
  watch(model: string, listener: (move: AliasMove) => void): () => void {
    const registry = this.#current();
    return registry.watch ? registry.watch(model, listener) : () => undefined;
  }

  #current(): ModelRegistry {
    return this.#offline ? this.#spool : this.#online;
  }

  async #write<T>(what: string, change: (registry: ModelRegistry) => Promise<T>): Promise<T> {
    if (!this.#offline) {
      try {
        return await change(this.#online);
      } catch (error) {
        if (!isMlopsError(error, 'MLOPS_ERR_REMOTE_UNAVAILABLE')) throw error;
        this.#offline = true;
        this.#logger.warn(
          `W&B could not be reached to ${what} (${error.message}); registry changes of this run go to the local registry and are spooled: upload them with \`mlops wandb sync\``,
        );
      }
    }
    return change(this.#spool);
  }
}
