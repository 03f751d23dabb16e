import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type AliasMove,
  type ArtifactStore,
  appendHistory,
  assertAliasName,
  assertModelName,
  checkPromotionGate,
  defaultRegistryActor,
  MlopsError,
  type ModelRegistry,
  type ModelSummary,
  type ModelVersion,
  type PromoteOptions,
  type RegisterModelInput,
  readHistory,
  type VersionSelector,
} from '@mlops/core';
import {
  ADD_ALIASES,
  ARTIFACT_BY_ID,
  ARTIFACT_BY_NAME,
  ARTIFACT_COLLECTION_VERSIONS,
  ARTIFACT_COLLECTIONS,
  type ArtifactNode,
  type Connection,
  DELETE_ALIASES,
  RUN_RESUME_STATUS,
  UPSERT_BUCKET,
} from '../graphql/operations.js';
import type { WandbClient } from '../http/wandb-client.js';
import { materializeArtifact } from './artifact-download.js';
import { logModelArtifact } from './artifact-upload.js';
import { toArtifactMetadata, toModelVersion } from './model-metadata.js';

/** Options of {@link WandbModelRegistry}. */
export interface WandbModelRegistryOptions {
  /** The API client. */
  client: WandbClient;
  /** Entity. */
  entity: string;
  /** Project. */
  project: string;
  /** The local store: registered artifacts are read from it, resolved ones downloaded into it. */
  store: ArtifactStore;
  /** Directory for the download cache and the alias history (`<store>/wandb`). */
  stateDir: string;
  /** Artifact type of models. Default `model`. */
  artifactType?: string;
  /** Recorded as the actor of moves that name none. Default `user@host`. */
  actor?: string;
  /** Poll interval of {@link WandbModelRegistry.watch}, ms. Default 30000. */
  watchIntervalMs?: number;
}

/**
 * {@link ModelRegistry} on W&B artifacts: each version is an artifact of type `model` in the
 * collection named after the model (W&B's `v0` is mlops version 1), with metrics, lineage and the
 * store refs in its metadata; aliases are W&B aliases, moved with `addAliases` (W&B keeps an alias
 * on one version of a collection, so adding it moves it). `resolve` downloads the version's files
 * into the local store (once; later resolves use the cache), so `mlops serve` serves from W&B.
 * W&B keeps no alias history readable over the API, so `history` lists the moves made through
 * this registry, kept in `<store>/wandb/registry/<entity>/<project>/<model>/history.jsonl`.
 */
export class WandbModelRegistry implements ModelRegistry {
  readonly #o: Required<WandbModelRegistryOptions>;

  /** A registry over the artifacts of `options.entity`/`options.project`. */
  constructor(options: WandbModelRegistryOptions) {
    this.#o = {
      ...options,
      artifactType: options.artifactType ?? 'model',
      watchIntervalMs: options.watchIntervalMs ?? 30_000,
      actor: options.actor ?? defaultRegistryActor(),
    };
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.register} */
  async register(input: RegisterModelInput): Promise<ModelVersion> {
    assertModelName(input.model);
    const aliases = [...new Set(input.aliases ?? [])];
    aliases.forEach(assertAliasName);
    const { client, entity, project } = this.#o;
    const runName = input.lineage?.runId;
    // The producing run must exist for the lineage link. The W&B tracker normally created it;
    // when it did not (registry without tracker), create it. An existing run is left alone:
    // upserting a finished run would reopen it.
    if (runName && !(await this.#runExists(runName))) {
      await client.graphql('UpsertBucket', UPSERT_BUCKET, { name: runName, project, entity });
    }
    const before = await this.#aliasMap(input.model);
    const id = await logModelArtifact(client, this.#o.store, {
      entity,
      project,
      model: input.model,
      type: this.#o.artifactType,
      ...(runName ? { runName } : {}),
      artifacts: input.artifacts,
      metadata: toArtifactMetadata({
        format: 'mlops-wandb-model/1',
        artifacts: input.artifacts,
        metrics: finite(input.metrics ?? {}),
        lineage: input.lineage ?? {},
        metadata: input.metadata ?? {},
      }),
      aliases,
      description: `${input.model} registered by mlops${runName ? ` from run ${runName}` : ''}`,
    });
    const version = toModelVersion(input.model, await this.#byId(id));
    await this.#record(
      aliases.map((alias) =>
        this.#move(input.model, alias, before.get(alias) ?? null, version.version, { reason: 'registered' }),
      ),
    );
    return version;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.listModels} */
  async listModels(): Promise<ModelSummary[]> {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        project: { artifactType: { artifactCollections: Connection<{ name: string }> } | null } | null;
      } = await this.#o.client.graphql('ArtifactCollections', ARTIFACT_COLLECTIONS, {
        ...this.#scope(),
        artifactTypeName: this.#o.artifactType,
        first: 100,
        after,
      });
      const page = data.project?.artifactType?.artifactCollections;
      if (!page) break;
      names.push(...page.edges.map((e) => e.node.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const summaries: ModelSummary[] = [];
    for (const name of names.sort()) {
      const versions = await this.listVersions(name);
      const latest = versions.reduce((max, v) => Math.max(max, v.version), 0);
      const aliases: Record<string, number> = {};
      for (const v of versions) for (const alias of v.aliases) aliases[alias] = v.version;
      const updatedAt =
        versions
          .map((v) => v.createdAt)
          .sort()
          .at(-1) ?? '';
      summaries.push({ name, versions: versions.length, latest, aliases, updatedAt });
    }
    return summaries;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.listVersions} Refs are not downloaded; `resolve` does that. */
  async listVersions(model: string): Promise<ModelVersion[]> {
    assertModelName(model);
    const nodes = await this.#versionNodes(model);
    if (nodes === undefined) throw this.#modelNotFound(model);
    return nodes.map((node) => toModelVersion(model, node)).sort((a, b) => a.version - b.version);
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.resolve} Downloads the files into the store (cached). */
  async resolve(model: string, selector: VersionSelector): Promise<ModelVersion> {
    const node = await this.#lookup(model, selector);
    const { artifacts } = await materializeArtifact(
      this.#o.client,
      this.#o.store,
      join(this.#o.stateDir, 'cache', 'artifacts'),
      model,
      node,
    );
    return { ...toModelVersion(model, node), artifacts };
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.promote} */
  async promote(
    model: string,
    version: number,
    alias: string,
    options: PromoteOptions = {},
  ): Promise<AliasMove> {
    assertAliasName(alias);
    const candidate = await this.#lookup(model, { version });
    const aliases = await this.#aliasMap(model);
    const from = aliases.get(alias) ?? null;
    if (from === version) return this.#move(model, alias, from, version, options);
    let forced = false;
    if (options.gate) {
      const holder =
        from === null ? undefined : toModelVersion(model, await this.#lookup(model, { version: from }));
      const refusal = checkPromotionGate(options.gate, alias, toModelVersion(model, candidate), holder);
      if (refusal && !options.force) throw refusal;
      forced = refusal !== undefined;
    }
    await this.#o.client.graphql('AddAliases', ADD_ALIASES, {
      artifactID: candidate.id,
      aliases: [
        { artifactCollectionName: model, alias, entityName: this.#o.entity, projectName: this.#o.project },
      ],
    });
    const move = this.#move(model, alias, from, version, { ...options, forced });
    await this.#record([move]);
    return move;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.removeAlias} */
  async removeAlias(
    model: string,
    alias: string,
    options: { actor?: string; reason?: string } = {},
  ): Promise<AliasMove> {
    const node = await this.#lookup(model, { alias });
    await this.#o.client.graphql('DeleteAliases', DELETE_ALIASES, {
      artifactID: node.id,
      aliases: [
        { artifactCollectionName: model, alias, entityName: this.#o.entity, projectName: this.#o.project },
      ],
    });
    const move = this.#move(model, alias, (node.versionIndex ?? 0) + 1, null, options);
    await this.#record([move]);
    return move;
  }

  /** {@inheritDoc @mlops/core#ModelRegistry.history} Moves made through this registry (W&B keeps none). */
  async history(model: string): Promise<AliasMove[]> {
    assertModelName(model);
    return readHistory(this.#historyPath(model));
  }

  /**
   * {@inheritDoc @mlops/core#ModelRegistry.watch} Polls the model's aliases every
   * `watchIntervalMs` (W&B has no push notifications) and reports each change as a move.
   */
  watch(model: string, listener: (move: AliasMove) => void): () => void {
    assertModelName(model);
    let known: Map<string, number> | undefined;
    let busy = false;
    const poll = async () => {
      if (busy) return;
      busy = true;
      try {
        const now = await this.#aliasMap(model);
        if (known) {
          for (const alias of new Set([...known.keys(), ...now.keys()])) {
            const from = known.get(alias) ?? null;
            const to = now.get(alias) ?? null;
            if (from !== to) listener(this.#move(model, alias, from, to, { actor: 'wandb' }));
          }
        }
        known = now;
      } catch {
        // A failed poll is retried at the next tick; the listener only hears about real moves.
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), this.#o.watchIntervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async #lookup(model: string, selector: VersionSelector): Promise<ArtifactNode> {
    assertModelName(model);
    const tag =
      selector === 'latest' ? 'latest' : 'alias' in selector ? selector.alias : `v${selector.version - 1}`;
    const data = await this.#o.client.graphql<{ project: { artifact: ArtifactNode | null } | null }>(
      'ArtifactByName',
      ARTIFACT_BY_NAME,
      { ...this.#scope(), name: `${model}:${tag}` },
    );
    const node = data.project?.artifact;
    if (node) return node;
    const versions = await this.#versionNodes(model);
    if (versions === undefined || versions.length === 0) throw this.#modelNotFound(model);
    const where = `${this.#o.entity}/${this.#o.project}/${model}`;
    if (selector !== 'latest' && 'alias' in selector) {
      const known = [...(await this.#aliasMap(model)).keys()].sort();
      throw new MlopsError(
        'MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND',
        `W&B model ${where} has no alias "${selector.alias}"; aliases: ${known.join(', ') || 'none'}`,
        {
          hint: `Point it at a version with \`mlops registry promote ${model} <version> ${selector.alias}\`.`,
        },
      );
    }
    throw new MlopsError(
      'MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND',
      `W&B model ${where} has no version ${selector === 'latest' ? 'latest' : selector.version} (versions 1..${versions.length}; W&B's v0 is version 1)`,
      { hint: `\`mlops registry list ${model}\` shows its versions.` },
    );
  }

  async #runExists(name: string): Promise<boolean> {
    const data = await this.#o.client.graphql<{ model: { bucket: { id: string } | null } | null }>(
      'RunResumeStatus',
      RUN_RESUME_STATUS,
      { project: this.#o.project, entity: this.#o.entity, name },
    );
    return Boolean(data.model?.bucket);
  }

  async #byId(id: string): Promise<ArtifactNode> {
    const data = await this.#o.client.graphql<{ artifact: ArtifactNode | null }>(
      'ArtifactByID',
      ARTIFACT_BY_ID,
      { id },
    );
    if (!data.artifact)
      throw new MlopsError('MLOPS_ERR_REMOTE_REQUEST', `W&B lost artifact ${id} right after creating it`);
    return data.artifact;
  }

  /** Every version node of the collection, or undefined when it does not exist. */
  async #versionNodes(model: string): Promise<ArtifactNode[] | undefined> {
    const nodes: ArtifactNode[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        project: {
          artifactType: { artifactCollection: { artifacts: Connection<ArtifactNode> } | null } | null;
        } | null;
      } = await this.#o.client.graphql('ArtifactCollectionVersions', ARTIFACT_COLLECTION_VERSIONS, {
        ...this.#scope(),
        artifactTypeName: this.#o.artifactType,
        collectionName: model,
        first: 100,
        after,
      });
      const page = data.project?.artifactType?.artifactCollection?.artifacts;
      if (!page) return nodes.length ? nodes : undefined;
      nodes.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  }

  async #aliasMap(model: string): Promise<Map<string, number>> {
    const map = new Map<string, number>();
    for (const node of (await this.#versionNodes(model)) ?? []) {
      for (const alias of toModelVersion(model, node).aliases) map.set(alias, (node.versionIndex ?? 0) + 1);
    }
    return map;
  }

  #scope(): { entityName: string; projectName: string } {
    return { entityName: this.#o.entity, projectName: this.#o.project };
  }

  #move(
    model: string,
    alias: string,
    from: number | null,
    to: number | null,
    options: { actor?: string; reason?: string; forced?: boolean },
  ): AliasMove {
    const move: AliasMove = {
      alias,
      model,
      from,
      to,
      at: new Date().toISOString(),
      actor: options.actor ?? this.#o.actor,
    };
    if (options.reason !== undefined) move.reason = options.reason;
    if (options.forced) move.forced = true;
    return move;
  }

  async #record(moves: AliasMove[]): Promise<void> {
    if (moves.length === 0) return;
    const path = this.#historyPath(moves[0]!.model);
    await mkdir(dirname(path), { recursive: true });
    await appendHistory(path, moves);
  }

  #historyPath(model: string): string {
    return join(this.#o.stateDir, 'registry', this.#o.entity, this.#o.project, model, 'history.jsonl');
  }

  #modelNotFound(model: string): MlopsError {
    return new MlopsError(
      'MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND',
      `W&B project ${this.#o.entity}/${this.#o.project} has no ${this.#o.artifactType} artifact "${model}"`,
      {
        hint: 'Check entity/project in the wandb() options; a model appears there when the export stage registers it.',
      },
    );
  }
}

function finite(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
}
