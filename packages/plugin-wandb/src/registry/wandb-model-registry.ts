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
  isMlopsError,
  type Logger,
  MlopsError,
  type ModelRegistry,
  type ModelSummary,
  type ModelVersion,
  type PromoteOptions,
  type RegisterModelInput,
  readHistory,
  silentLogger,
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
  FETCH_ORG_ENTITY_FROM_ENTITY,
  LINK_ARTIFACT,
  RUN_RESUME_STATUS,
  UPSERT_BUCKET,
} from '../graphql/operations.js';
import type { WandbClient } from '../http/wandb-client.js';
import { materializeArtifact } from './artifact-download.js';
import { logModelArtifact } from './artifact-upload.js';
import { type CollectionScope, isAliasOf, toArtifactMetadata, toModelVersion } from './model-metadata.js';

/**
 * Where registered versions are also linked, so they appear in W&B's registry UI as models logged
 * with the SDK's `run.link_model` / `run.link_artifact` do.
 */
export interface RegistryLinkOptions {
  /**
   * Registry name: versions are linked to collection `<model>` of project `wandb-registry-<name>`
   * under the organization's entity (the W&B Registry). Default `model`.
   */
  registry?: string;
  /** Organization (display or org entity name); needed when the entity belongs to several. */
  organization?: string;
  /**
   * Link to the legacy Model Registry instead, `<entity>/model-registry/<model>`, which is what
   * `run.link_model` targets.
   */
  legacy?: boolean;
}

/** Where links go, once resolved. */
interface LinkTarget {
  entity: string;
  project: string;
}

/** Tries of a gated promotion whose alias keeps moving while the gate compares. */
const PROMOTE_ATTEMPTS = 3;

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
  /**
   * Also link each version into a registry collection named after the model (and mirror the
   * alias moves made here onto it). Default `{ registry: 'model' }`: the W&B Registry's Model
   * registry. `false` links nothing.
   */
  link?: RegistryLinkOptions | false;
  /** Where a registry link that cannot be made is reported (a warning; the version stays registered). */
  logger?: Logger;
}

/**
 * {@link ModelRegistry} on W&B artifacts: each version is an artifact of type `model` in the
 * collection named after the model (W&B's `v0` is mlops version 1), with metrics, lineage and the
 * store refs in its metadata; aliases are W&B aliases, moved with `addAliases` (W&B keeps an alias
 * on one version of a collection, so adding it moves it). Each version is also linked into a
 * registry collection of the same name (`linkArtifact`, by default in the W&B Registry's
 * `wandb-registry-model`), and alias moves made here are mirrored there; the project's collection
 * stays the one this registry reads. `resolve` downloads the version's files into the local store
 * (once; later resolves use the cache), so `mlops serve` serves from W&B. W&B keeps no alias
 * history readable over the API, so `history` lists the moves made through this registry, kept in
 * `<store>/wandb/registry/<entity>/<project>/<model>/history.jsonl`.
 */
export class WandbModelRegistry implements ModelRegistry {
  readonly #o: Required<WandbModelRegistryOptions>;
  /** The resolved link target; undefined when linking is off or could not be resolved. */
  #linkTarget: Promise<LinkTarget | undefined> | undefined;

  /** A registry over the artifacts of `options.entity`/`options.project`. */
  constructor(options: WandbModelRegistryOptions) {
    this.#o = {
      ...options,
      artifactType: options.artifactType ?? 'model',
      watchIntervalMs: options.watchIntervalMs ?? 30_000,
      actor: options.actor ?? defaultRegistryActor(),
      link: options.link ?? {},
      logger: options.logger ?? silentLogger,
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
    const node = await this.#byId(id);
    const version = toModelVersion(input.model, node, this.#scopeOf());
    await this.#link(input.model, id, aliases);
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
    return nodes
      .map((node) => toModelVersion(model, node, this.#scopeOf()))
      .sort((a, b) => a.version - b.version);
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
    return { ...toModelVersion(model, node, this.#scopeOf()), artifacts };
  }

  /**
   * {@inheritDoc @mlops/core#ModelRegistry.promote} W&B has no conditional alias move, so a gated
   * promotion re-reads the alias right before moving it: when another writer moved it while the
   * gate compared, the gate runs again against the new holder (at most 3 times, then
   * `MLOPS_ERR_REGISTRY_LOCKED`). What remains is the round trip between that re-read and the move.
   */
  async promote(
    model: string,
    version: number,
    alias: string,
    options: PromoteOptions = {},
  ): Promise<AliasMove> {
    assertAliasName(alias);
    const candidateNode = await this.#lookup(model, { version });
    const candidate = toModelVersion(model, candidateNode, this.#scopeOf());
    let holder = await this.#holder(model, alias);
    for (let attempt = 1; ; attempt++) {
      const from = holder ? (holder.versionIndex ?? 0) + 1 : null;
      if (from === version) return this.#move(model, alias, from, version, options);
      let forced = false;
      if (options.gate) {
        const held = holder ? toModelVersion(model, holder, this.#scopeOf()) : undefined;
        const refusal = checkPromotionGate(options.gate, alias, candidate, held);
        if (refusal && !options.force) throw refusal;
        forced = refusal !== undefined;
        const now = await this.#holder(model, alias);
        if ((now?.id ?? null) !== (holder?.id ?? null)) {
          if (attempt >= PROMOTE_ATTEMPTS) {
            throw new MlopsError(
              'MLOPS_ERR_REGISTRY_LOCKED',
              `"${alias}" of W&B model ${this.#where(model)} moved ${attempt} times while the promotion gate compared v${version} with its holder; another promotion is under way`,
              { hint: `Try again once it is done: \`mlops registry promote ${model} ${version} ${alias}\`.` },
            );
          }
          holder = now;
          continue;
        }
      }
      await this.#o.client.graphql('AddAliases', ADD_ALIASES, {
        artifactID: candidateNode.id,
        aliases: [
          { artifactCollectionName: model, alias, entityName: this.#o.entity, projectName: this.#o.project },
        ],
      });
      await this.#link(model, candidateNode.id, [alias]);
      const move = this.#move(model, alias, from, version, { ...options, forced });
      await this.#record([move]);
      return move;
    }
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
    // The linked registry collection mirrors the moves made here: drop it there too.
    const target = await this.#target();
    if (target && node.aliases.some((a) => a.alias === alias && isAliasOf(a, model, target))) {
      await this.#o.client.graphql('DeleteAliases', DELETE_ALIASES, {
        artifactID: node.id,
        aliases: [
          { artifactCollectionName: model, alias, entityName: target.entity, projectName: target.project },
        ],
      });
    }
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

  /** The version that holds `alias` in the model's collection, or undefined. */
  async #holder(model: string, alias: string): Promise<ArtifactNode | undefined> {
    const data = await this.#o.client.graphql<{ project: { artifact: ArtifactNode | null } | null }>(
      'ArtifactByName',
      ARTIFACT_BY_NAME,
      { ...this.#scope(), name: `${model}:${alias}` },
    );
    return data.project?.artifact ?? undefined;
  }

  /**
   * Links artifact `id` into the registry collection `model` with `aliases` (linking again is
   * harmless: W&B keeps one membership and sets the aliases). A link W&B refuses (no organization,
   * no permission) is a warning: the version is registered in the project either way.
   */
  async #link(model: string, id: string, aliases: string[]): Promise<void> {
    const target = await this.#target();
    if (!target) return;
    try {
      await this.#o.client.graphql('LinkArtifact', LINK_ARTIFACT, {
        artifactID: id,
        artifactPortfolioName: model,
        entityName: target.entity,
        projectName: target.project,
        aliases: aliases.map((alias) => ({ artifactCollectionName: model, alias })),
      });
    } catch (error) {
      if (!isMlopsError(error, 'MLOPS_ERR_REMOTE_REQUEST')) throw error;
      this.#o.logger.warn(
        `W&B: could not link ${model} into ${target.entity}/${target.project}/${model} (${error.message}); it stays registered in ${this.#o.entity}/${this.#o.project}`,
      );
    }
  }

  /** Where links go: resolved once (the organization's entity for the W&B Registry). */
  #target(): Promise<LinkTarget | undefined> {
    if (!this.#linkTarget) {
      const pending = this.#resolveTarget();
      this.#linkTarget = pending;
      // A network failure is asked again next time; a refusal is remembered (as undefined).
      pending.catch(() => {
        if (this.#linkTarget === pending) this.#linkTarget = undefined;
      });
    }
    return this.#linkTarget;
  }

  async #resolveTarget(): Promise<LinkTarget | undefined> {
    const link = this.#o.link;
    if (link === false) return undefined;
    if (link.legacy) return { entity: this.#o.entity, project: 'model-registry' };
    const project = `wandb-registry-${link.registry ?? 'model'}`;
    type Org = { name: string; orgEntity: { name: string } | null };
    type Answer = {
      entity: { organization: Org | null; user: { organizations: Org[] | null } | null } | null;
    };
    let data: Answer;
    try {
      data = await this.#o.client.graphql<Answer>('FetchOrgEntityFromEntity', FETCH_ORG_ENTITY_FROM_ENTITY, {
        entityName: this.#o.entity,
      });
    } catch (error) {
      // A server without organizations (older W&B Server) refuses the query: no registry to link to.
      if (!isMlopsError(error, 'MLOPS_ERR_REMOTE_REQUEST')) throw error;
      this.#o.logger.warn(
        `W&B: versions of ${this.#o.entity}/${this.#o.project} are not linked to the registry ${project}: the organization of ${this.#o.entity} could not be read (${error.message}); set wandb({ link: { legacy: true } }) or link: false`,
      );
      return undefined;
    }
    // A team entity has one organization; a personal entity may be in several (as the SDK's
    // `resolve_org_entity_name` decides).
    const team = data.entity?.organization;
    const orgs = (team ? [team] : (data.entity?.user?.organizations ?? [])).filter(
      (org): org is Org & { orgEntity: { name: string } } => Boolean(org.orgEntity?.name),
    );
    const wanted = link.organization;
    const matching = wanted
      ? orgs.filter((org) => org.name === wanted || org.orgEntity.name === wanted)
      : orgs;
    if (matching.length === 1) return { entity: matching[0]!.orgEntity.name, project };
    const known = orgs.map((org) => org.name).join(', ') || 'none';
    this.#o.logger.warn(
      `W&B: versions of ${this.#o.entity}/${this.#o.project} are not linked to the registry ${project}: ${
        matching.length === 0
          ? wanted
            ? `entity ${this.#o.entity} is not in organization "${wanted}" (its organizations: ${known})`
            : `entity ${this.#o.entity} belongs to no organization`
          : `entity ${this.#o.entity} belongs to several organizations (${known})`
      }; set wandb({ link: { organization } }), or link: false`,
    );
    return undefined;
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
      for (const alias of toModelVersion(model, node, this.#scopeOf()).aliases)
        map.set(alias, (node.versionIndex ?? 0) + 1);
    }
    return map;
  }

  #scope(): { entityName: string; projectName: string } {
    return { entityName: this.#o.entity, projectName: this.#o.project };
  }

  #scopeOf(): CollectionScope {
    return { entity: this.#o.entity, project: this.#o.project };
  }

  #where(model: string): string {
    return `${this.#o.entity}/${this.#o.project}/${model}`;
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
