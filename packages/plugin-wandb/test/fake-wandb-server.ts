/**
 * A local stand-in for the W&B API, for tests: GraphQL at `/graphql`, the run `file_stream`,
 * signed-URL uploads and artifact downloads, on 127.0.0.1 at a free port. It is strict:
 *
 * - every GraphQL document is parsed and must ask only for what the wandb SDK's document for the
 *   same operation asks for (see `fake/sdk-documents.ts`); unknown operations, fields, arguments,
 *   input fields, undeclared or missing required variables are violations;
 * - calls must come in an order the real server accepts: a run exists before its files and
 *   history, an artifact is created before its files and manifest, committed only when every file
 *   and the manifest (with the right digest) are uploaded, and aliased only once committed;
 *   history offsets may not leave gaps; nothing is streamed to a completed run;
 * - the API key must be on API requests (Basic `api:<key>`), and must not be sent to upload URLs.
 *
 * It answers with the real schema's semantics where a lenient fake would hide a bug:
 *
 * - an artifact file's path is its `displayName`; its `name` is the server's name for the stored
 *   object (here `<artifact id>/<md5 hex>`), as `Api.create_artifact_files` (keyed by
 *   `displayName`) and the SDK's `FileFragment` (`name: displayName`) show;
 * - an alias names its collection as `artifactCollection { name project { name entity { name } } }`
 *   (the current `ArtifactAliasFragment` + `CollectionInfoFragment`), and an artifact linked into a
 *   registry collection lists that collection's aliases too;
 * - history and summary lines are W&B's extended JSON: `NaN`/`Infinity` bare, and a row value that
 *   is the *string* `"NaN"` is a violation (the SDK never writes one);
 * - `file_stream` answers `{exitcode, limits}` and, once {@link FakeWandbServer.requestStop} was
 *   called for the run, `stopped: true`, as wandb-core reads it.
 *
 * A violation is recorded in {@link FakeWandbServer.violations} (tests assert it stays empty) and
 * answered with HTTP 400. Faults (401, 429, 5xx, lost responses) are injected with
 * {@link FakeWandbServer.fail}. Responses are shaped to the selected fields, as GraphQL does.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type GqlOperation,
  parseOperation,
  requiredVariables,
  shapeResponse,
  subsetProblems,
} from './fake/graphql-document.js';
import { SDK_DOCUMENTS } from './fake/sdk-documents.js';

/** A run as the fake stores it. */
export interface FakeRun {
  id: string;
  entity: string;
  project: string;
  name: string;
  displayName: string | null;
  group: string | null;
  jobType: string | null;
  tags: string[];
  config: Record<string, unknown>;
  /** History lines by line number. */
  history: string[];
  summary: Record<string, unknown> | null;
  files: Map<string, Buffer>;
  exitcode: number | null;
  /** The body of the request that completed the run: resending it (a lost answer) is harmless. */
  completedBy?: string;
  /** The sweep the run belongs to (`upsertBucket`'s `sweep`). */
  sweep?: string;
}

/** A sweep as the fake stores it (`upsertSweep`). */
export interface FakeSweep {
  /** GraphQL id (`SweepWithRuns` answers it; `upsertSweep` with it updates the sweep). */
  id: string;
  name: string;
  entity: string;
  project: string;
  config: Record<string, unknown>;
  controller: Record<string, unknown> | null;
  state: string | null;
  description: string | null;
}

/** An artifact version as the fake stores it. */
export interface FakeArtifact {
  id: string;
  entity: string;
  project: string;
  type: string;
  collection: string;
  digest: string;
  state: 'PENDING' | 'COMMITTED';
  versionIndex: number | null;
  metadata: string | null;
  createdAt: string;
  runName: string | null;
  /** Path in the artifact (`displayName`) → md5 (base64) and the bytes once uploaded. */
  files: Map<string, { md5: string; bytes?: Buffer }>;
  manifest: string | null;
}

/** A recorded request. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** When it arrived (epoch ms). */
  at: number;
  operation?: string;
  variables?: Record<string, unknown>;
  body?: unknown;
  authorization?: string;
}

/** Which requests a fault applies to. */
export interface FaultMatch {
  /** A GraphQL operation name. */
  operation?: string;
  /** A path test (`/file_stream`, `/upload/`). */
  path?: RegExp;
  /** A test of the GraphQL variables. */
  variables?: (variables: Record<string, unknown>) => boolean;
}

/** An organization as `FetchOrgEntityFromEntity` answers it. */
export interface FakeOrganization {
  name: string;
  orgEntity: { name: string };
}

interface Fault {
  match: FaultMatch;
  status: number;
  remaining: number;
  retryAfter?: string;
  /** Apply the request, then answer with the error (the response is "lost"). */
  afterApply: boolean;
  /** Matching requests to let through before the fault starts. */
  skip: number;
}

type Upload =
  | { kind: 'run-file'; run: FakeRun; name: string }
  | { kind: 'artifact-file'; artifact: FakeArtifact; name: string }
  | { kind: 'manifest'; artifact: FakeArtifact };

class Violation extends Error {}

/** See the module comment. */
export class FakeWandbServer {
  /** Base URL once started. */
  url = '';
  /** Broken rules; tests assert this is empty. */
  readonly violations: string[] = [];
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Runs by `entity/project/name`. */
  readonly runs = new Map<string, FakeRun>();
  /** Sweeps by `entity/project/name`. */
  readonly sweeps = new Map<string, FakeSweep>();
  /** Artifacts by id. */
  readonly artifacts = new Map<string, FakeArtifact>();
  /** `entity/project/collection` → alias → artifact id (source collections and linked ones). */
  readonly aliases = new Map<string, Map<string, string>>();
  /** Linked collections (`entity/project/portfolio`) → artifact ids in link order (`v0`, `v1`, …). */
  readonly links = new Map<string, string[]>();
  /**
   * Organizations by entity: `team` entities have one (`organization`), `personal` ones may have
   * several (`user.organizations`). An entity not listed is a team entity of organization
   * `<entity> Org`, whose org entity is `<entity>-org`.
   */
  readonly organizations = new Map<string, { kind: 'team' | 'personal'; orgs: FakeOrganization[] }>();
  /** Runs (`entity/project/name`) asked to stop: their `file_stream` answers say `stopped: true`. */
  readonly #stopRequested = new Set<string>();
  readonly #hooks: { match: FaultMatch; action: () => void; remaining: number }[] = [];

  readonly #apiKey: string;
  readonly #server: Server;
  readonly #faults: Fault[] = [];
  #stalls: { match: FaultMatch; released: Promise<void> }[] = [];
  readonly #uploads = new Map<string, Upload>();
  readonly #references = new Map<string, GqlOperation>();
  #ids = 0;

  constructor(apiKey: string) {
    this.#apiKey = apiKey;
    for (const [name, text] of Object.entries(SDK_DOCUMENTS))
      this.#references.set(name, parseOperation(text));
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  /** Starts listening on 127.0.0.1 at a free port; returns the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Stops the server. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Makes the next `times` matching requests fail with `status`. */
  fail(
    match: FaultMatch,
    status: number,
    options: { times?: number; retryAfter?: string; afterApply?: boolean; skip?: number } = {},
  ): void {
    this.#faults.push({
      match,
      status,
      skip: options.skip ?? 0,
      remaining: options.times ?? 1,
      ...(options.retryAfter ? { retryAfter: options.retryAfter } : {}),
      afterApply: options.afterApply ?? false,
    });
  }

  /**
   * Holds matching requests unanswered (and unapplied) until the returned function is called, as a
   * server that hangs does.
   */
  stall(match: FaultMatch): () => void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#stalls.push({ match, released });
    return () => {
      this.#stalls = this.#stalls.filter((s) => s.released !== released);
      release();
    };
  }

  /**
   * Runs `action` right after a matching request was applied (before it is answered), `times`
   * times: what another client does in between two requests of this one.
   */
  after(match: FaultMatch, action: () => void, options: { times?: number } = {}): void {
    this.#hooks.push({ match, action, remaining: options.times ?? 1 });
  }

  /** Asks for run `entity/project/name` to stop, as the Stop button of the W&B UI does. */
  requestStop(entity: string, project: string, name: string): void {
    this.#stopRequested.add(`${entity}/${project}/${name}`);
  }

  /** The organizations of an entity (see {@link FakeWandbServer.organizations}). */
  organizationsOf(entity: string): { kind: 'team' | 'personal'; orgs: FakeOrganization[] } {
    return (
      this.organizations.get(entity) ?? {
        kind: 'team',
        orgs: [{ name: `${entity} Org`, orgEntity: { name: `${entity}-org` } }],
      }
    );
  }

  /** The run `entity/project/name`. */
  run(entity: string, project: string, name: string): FakeRun | undefined {
    return this.runs.get(`${entity}/${project}/${name}`);
  }

  /** Parsed history rows of a run, in line order. */
  historyRows(entity: string, project: string, name: string): Record<string, unknown>[] {
    return (this.run(entity, project, name)?.history ?? []).map((line) => parseExtendedJson(line));
  }

  /** Committed versions of a collection, oldest first. */
  versions(entity: string, project: string, collection: string): FakeArtifact[] {
    return [...this.artifacts.values()]
      .filter(
        (a) =>
          a.entity === entity &&
          a.project === project &&
          a.collection === collection &&
          a.state === 'COMMITTED',
      )
      .sort((a, b) => (a.versionIndex ?? 0) - (b.versionIndex ?? 0));
  }

  /** Moves an alias as a person would in the W&B UI. */
  setAlias(entity: string, project: string, collection: string, alias: string, versionIndex: number): void {
    const artifact = this.versions(entity, project, collection).find((a) => a.versionIndex === versionIndex);
    if (!artifact) throw new Error(`no version ${versionIndex} of ${collection}`);
    this.#aliasMap(artifact).set(alias, artifact.id);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const record: RecordedRequest = { method: req.method ?? '', path: url.pathname, at: Date.now() };
    if (req.headers.authorization) record.authorization = req.headers.authorization;
    this.requests.push(record);
    try {
      const operationName = url.pathname === '/graphql' ? operationNameOf(raw) : undefined;
      const stalled = this.#stalls.find(
        (s) =>
          (s.match.operation === undefined || s.match.operation === operationName) &&
          (s.match.path === undefined || s.match.path.test(url.pathname)),
      );
      if (stalled) await stalled.released;
      if (url.pathname.startsWith('/upload/')) return this.#upload(req, res, url, raw, record);
      if (!this.#authorized(req)) return send(res, 401, { errors: [{ message: 'user is not logged in' }] });
      if (url.pathname === '/graphql' && req.method === 'POST') return this.#graphql(res, raw, record);
      const stream = /^\/files\/([^/]+)\/([^/]+)\/([^/]+)\/file_stream$/.exec(url.pathname);
      if (stream && req.method === 'POST') {
        const [entity, project, name] = stream.slice(1).map(decodeURIComponent) as [string, string, string];
        return this.#fileStream(res, entity, project, name, raw, record);
      }
      const manifest = /^\/manifests\/([^/]+)$/.exec(url.pathname);
      if (manifest && req.method === 'GET') {
        const text = this.artifacts.get(decodeURIComponent(manifest[1]!))?.manifest;
        if (!text) throw new Violation(`download of an unknown manifest ${manifest[1]}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(text);
        return;
      }
      const download = /^\/artifactsV2\/default\/[^/]+\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (download && req.method === 'GET')
        return this.#download(res, download[1]!, decodeURIComponent(download[2]!));
      throw new Violation(`unknown endpoint ${req.method} ${url.pathname}`);
    } catch (error) {
      if (error instanceof Violation) {
        this.violations.push(error.message);
        return send(res, 400, { errors: [{ message: error.message }] });
      }
      this.violations.push(`fake server error: ${(error as Error).stack}`);
      return send(res, 500, { errors: [{ message: 'fake server error' }] });
    }
  }

  #authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Basic ${Buffer.from(`api:${this.#apiKey}`).toString('base64')}`;
  }

  /** Takes a matching fault; answers it now unless it is an after-apply fault (returned). */
  #fault(res: ServerResponse, record: RecordedRequest): Fault | 'answered' | undefined {
    const fault = this.#faults.find((f) => f.remaining > 0 && matches(f.match, record));
    if (!fault) return undefined;
    if (fault.skip > 0) {
      fault.skip--;
      return undefined;
    }
    fault.remaining--;
    if (fault.afterApply) return fault;
    answerFault(res, fault);
    return 'answered';
  }

  #graphql(res: ServerResponse, raw: Buffer, record: RecordedRequest): void {
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const extra = Object.keys(body).filter((k) => !['operationName', 'query', 'variables'].includes(k));
    if (extra.length) throw new Violation(`GraphQL body has unknown keys: ${extra.join(', ')}`);
    const operation = parseOperation(String(body.query));
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    record.operation = operation.name;
    record.variables = variables;
    if (body.operationName !== operation.name) {
      throw new Violation(
        `operationName ${String(body.operationName)} does not match the document's ${operation.name}`,
      );
    }
    const reference = this.#references.get(operation.name);
    if (!reference) throw new Violation(`unknown GraphQL operation ${operation.name}`);
    const problems = subsetProblems(operation, reference);
    for (const name of Object.keys(variables)) {
      if (!operation.variables.has(name)) problems.push(`sends undeclared variable $${name}`);
    }
    for (const name of requiredVariables(operation)) {
      if (variables[name] === undefined || variables[name] === null)
        problems.push(`leaves required $${name} empty`);
    }
    if (problems.length) throw new Violation(`${operation.name} ${problems.join('; ')}`);
    const fault = this.#fault(res, record);
    if (fault === 'answered') return;
    const data = this.#resolve(operation.name, variables);
    for (const hook of this.#hooks) {
      if (hook.remaining > 0 && matches(hook.match, record)) {
        hook.remaining--;
        hook.action();
      }
    }
    if (fault) {
      answerFault(res, fault);
      return;
    }
    send(res, 200, { data: shapeResponse(data, operation.selections, variables) });
  }

  #resolve(operation: string, v: Record<string, unknown>): unknown {
    switch (operation) {
      case 'UpsertBucket':
        return { upsertBucket: this.#upsertBucket(v) };
      case 'UpsertSweep':
        return { upsertSweep: this.#upsertSweep(v) };
      case 'SweepWithRuns': {
        const sweep = this.sweeps.get(`${str(v.entity)}/${str(v.project)}/${str(v.sweep)}`);
        return {
          project: {
            sweep: sweep
              ? {
                  ...sweep,
                  method: sweep.config.method,
                  config: JSON.stringify(sweep.config),
                  controller: sweep.controller ? JSON.stringify(sweep.controller) : null,
                  runs: {
                    edges: [...this.runs.values()]
                      .filter(
                        (r) =>
                          r.entity === sweep.entity && r.project === sweep.project && r.sweep === sweep.name,
                      )
                      .map((r) => ({ node: { name: r.name } })),
                  },
                }
              : null,
          },
        };
      }
      case 'RunResumeStatus': {
        const run = this.run(str(v.entity), str(v.project), str(v.name));
        return {
          model: {
            id: 'p',
            name: v.project,
            bucket: run ? { id: run.id, name: run.name, historyLineCount: run.history.length } : null,
          },
        };
      }
      case 'CreateRunFiles':
        return { createRunFiles: this.#createRunFiles(v) };
      case 'CreateArtifact':
        return { createArtifact: { artifact: this.#createArtifact(v) } };
      case 'CreateArtifactManifest':
        return { createArtifactManifest: this.#createManifest(v) };
      case 'CreateArtifactFiles':
        return { createArtifactFiles: this.#createArtifactFiles(v) };
      case 'CommitArtifact':
        return { commitArtifact: { artifact: this.#commit(str(v.artifactID)) } };
      case 'AddAliases':
      case 'DeleteAliases':
        this.#changeAliases(operation === 'AddAliases', v);
        return { [operation === 'AddAliases' ? 'addAliases' : 'deleteAliases']: { success: true } };
      case 'ArtifactByName':
        return { project: { artifact: this.#byName(str(v.entityName), str(v.projectName), str(v.name)) } };
      case 'ArtifactByID': {
        const artifact = this.artifacts.get(str(v.id));
        return { artifact: artifact?.state === 'COMMITTED' ? this.#node(artifact) : null };
      }
      case 'ArtifactFiles':
        return { artifact: this.#files(str(v.id), v) };
      case 'FetchArtifactManifest': {
        const artifact = this.artifacts.get(str(v.id));
        if (artifact?.state !== 'COMMITTED') return { artifact: null };
        return {
          artifact: {
            currentManifest: {
              file: { directUrl: `${this.url}/manifests/${encodeURIComponent(artifact.id)}` },
            },
          },
        };
      }
      case 'LinkArtifact':
        return { linkArtifact: this.#link(v) };
      case 'FetchOrgEntityFromEntity': {
        const { kind, orgs } = this.organizationsOf(str(v.entityName));
        return {
          entity: {
            organization: kind === 'team' ? (orgs[0] ?? null) : null,
            user: kind === 'personal' ? { organizations: orgs } : null,
          },
        };
      }
      case 'ArtifactCollectionVersions': {
        const nodes = this.versions(str(v.entityName), str(v.projectName), str(v.collectionName)).filter(
          (a) => a.type === v.artifactTypeName,
        );
        return {
          project: {
            artifactType: {
              artifactCollection: nodes.length
                ? {
                    name: v.collectionName,
                    artifacts: page(
                      nodes.map((a) => this.#node(a)),
                      v,
                    ),
                  }
                : null,
            },
          },
        };
      }
      case 'ArtifactCollections': {
        const names = [
          ...new Set(
            [...this.artifacts.values()]
              .filter(
                (a) =>
                  a.entity === v.entityName &&
                  a.project === v.projectName &&
                  a.type === v.artifactTypeName &&
                  a.state === 'COMMITTED',
              )
              .map((a) => a.collection),
          ),
        ].sort();
        return {
          project: {
            artifactType: {
              artifactCollections: page(
                names.map((name) => ({ name })),
                v,
              ),
            },
          },
        };
      }
      default:
        throw new Violation(`no resolver for ${operation}`);
    }
  }

  #upsertSweep(v: Record<string, unknown>): unknown {
    const entity = str(v.entityName);
    const project = str(v.projectName);
    if (!entity || !project) throw new Violation('UpsertSweep without entityName or projectName');
    if (v.id !== undefined && v.id !== null) {
      // An update (the SDK's set_sweep_state): the sweep by its GraphQL id, only the fields sent.
      const existing = [...this.sweeps.values()].find((s) => s.id === v.id);
      if (!existing) throw new Violation(`UpsertSweep names sweep id ${String(v.id)}, which does not exist`);
      if (typeof v.state === 'string') existing.state = v.state;
      if (typeof v.config === 'string') existing.config = JSON.parse(v.config) as Record<string, unknown>;
      if (typeof v.description === 'string') existing.description = v.description;
      return {
        sweep: {
          name: existing.name,
          project: { id: 'p', name: project, entity: { id: 'e', name: entity } },
        },
        configValidationWarnings: [],
      };
    }
    if (typeof v.config !== 'string') throw new Violation('UpsertSweep without a config');
    // The server parses the config as YAML; JSON is YAML.
    const config = JSON.parse(v.config) as Record<string, unknown>;
    const warnings: string[] = [];
    if (!['grid', 'random', 'bayes'].includes(String(config.method)))
      warnings.push(`method ${String(config.method)} is not one of grid, random, bayes`);
    const id = this.#id('sweep');
    const sweep: FakeSweep = {
      id: Buffer.from(`Sweep:${id}`).toString('base64'),
      name: id.replace(/[^a-z0-9]/g, '').slice(-8),
      entity,
      project,
      config,
      controller:
        typeof v.controller === 'string' ? (JSON.parse(v.controller) as Record<string, unknown>) : null,
      state: typeof v.state === 'string' ? v.state : null,
      description: typeof v.description === 'string' ? v.description : null,
    };
    this.sweeps.set(`${entity}/${project}/${sweep.name}`, sweep);
    return {
      sweep: { name: sweep.name, project: { id: 'p', name: project, entity: { id: 'e', name: entity } } },
      configValidationWarnings: warnings,
    };
  }

  #upsertBucket(v: Record<string, unknown>): unknown {
    const entity = str(v.entity);
    const project = str(v.project);
    const name = str(v.name);
    if (!entity || !project || !name) throw new Violation('UpsertBucket without entity, project or name');
    const key = `${entity}/${project}/${name}`;
    let run = this.runs.get(key);
    const inserted = !run;
    if (!run) {
      run = {
        id: this.#id('run'),
        entity,
        project,
        name,
        displayName: null,
        group: null,
        jobType: null,
        tags: [],
        config: {},
        history: [],
        summary: null,
        files: new Map(),
        exitcode: null,
      };
      this.runs.set(key, run);
    }
    // Upserting a finished run is how a resume starts: the run is running again.
    run.exitcode = null;
    delete run.completedBy;
    if (typeof v.displayName === 'string') run.displayName = v.displayName;
    if (typeof v.groupName === 'string') run.group = v.groupName;
    if (typeof v.jobType === 'string') run.jobType = v.jobType;
    if (Array.isArray(v.tags)) run.tags = v.tags.map(String);
    if (typeof v.config === 'string') run.config = JSON.parse(v.config) as Record<string, unknown>;
    if (typeof v.sweep === 'string') {
      if (!this.sweeps.has(`${entity}/${project}/${v.sweep}`))
        throw new Violation(`UpsertBucket names sweep ${v.sweep}, which ${entity}/${project} does not have`);
      run.sweep = v.sweep;
    }
    return {
      bucket: {
        id: run.id,
        name: run.name,
        displayName: run.displayName,
        project: { id: 'p', name: project, entity: { id: 'e', name: entity } },
      },
      inserted,
    };
  }

  #createRunFiles(v: Record<string, unknown>): unknown {
    const run = this.run(str(v.entity), str(v.project), str(v.run));
    if (!run) throw new Violation(`CreateRunFiles for run ${str(v.run)}, which was never upserted`);
    const files = (v.files as unknown[]).map((name) => {
      const token = randomUUID();
      this.#uploads.set(token, { kind: 'run-file', run, name: str(name) });
      return { name, uploadUrl: `${this.url}/upload/${token}?X-Goog-Signature=fake` };
    });
    return { runID: run.id, uploadHeaders: [], files };
  }

  #createArtifact(v: Record<string, unknown>): unknown {
    const entity = str(v.entityName);
    const project = str(v.projectName);
    const collections = v.artifactCollectionNames as string[];
    if (!Array.isArray(collections) || collections.length !== 1)
      throw new Violation('CreateArtifact needs one collection name');
    const collection = collections[0]!;
    if (v.runName !== undefined && v.runName !== null && !this.run(entity, project, str(v.runName))) {
      throw new Violation(`CreateArtifact names run ${str(v.runName)}, which was never upserted`);
    }
    const aliases = (v.aliases ?? []) as { artifactCollectionName: string; alias: string }[];
    for (const alias of aliases) {
      const keys = Object.keys(alias).sort().join(',');
      if (keys !== 'alias,artifactCollectionName')
        throw new Violation(`ArtifactAliasInput has fields ${keys}`);
    }
    const existing = this.versions(entity, project, collection).find((a) => a.digest === v.digest);
    let artifact: FakeArtifact;
    if (existing && v.enableDigestDeduplication === true) {
      artifact = existing;
    } else {
      artifact = {
        id: this.#id('art'),
        entity,
        project,
        type: str(v.artifactTypeName),
        collection,
        digest: str(v.digest),
        state: 'PENDING',
        versionIndex: null,
        metadata: (v.metadata as string | null) ?? null,
        createdAt: new Date(Date.now() + this.#ids).toISOString(),
        runName: (v.runName as string | null) ?? null,
        files: new Map(),
        manifest: null,
      };
      this.artifacts.set(artifact.id, artifact);
    }
    const pendingAliases = aliases.map((a) => a.alias);
    if (artifact.state === 'COMMITTED')
      for (const alias of pendingAliases) this.#aliasMap(artifact).set(alias, artifact.id);
    else this.#pendingAliases.set(artifact.id, pendingAliases);
    const latest = this.versions(entity, project, collection).at(-1);
    return {
      id: artifact.id,
      state: artifact.state,
      artifactSequence: {
        id: `seq-${collection}`,
        latestArtifact: latest ? { id: latest.id, versionIndex: latest.versionIndex } : null,
      },
    };
  }

  readonly #pendingAliases = new Map<string, string[]>();

  #pending(id: string, operation: string): FakeArtifact {
    const artifact = this.artifacts.get(id);
    if (!artifact) throw new Violation(`${operation} for artifact ${id}, which was never created`);
    if (artifact.state === 'COMMITTED')
      throw new Violation(`${operation} for artifact ${id}, which is already committed`);
    return artifact;
  }

  #createManifest(v: Record<string, unknown>): unknown {
    const artifact = this.#pending(str(v.artifactID), 'CreateArtifactManifest');
    if (v.name !== 'wandb_manifest.json') throw new Violation(`manifest named ${str(v.name)}`);
    if (v.digest !== artifact.digest)
      throw new Violation('CreateArtifactManifest digest differs from the artifact digest');
    const token = randomUUID();
    this.#uploads.set(token, { kind: 'manifest', artifact });
    return {
      artifactManifest: {
        id: `manifest-${artifact.id}`,
        file: {
          id: `file-${artifact.id}`,
          name: 'wandb_manifest.json',
          displayName: 'wandb_manifest.json',
          uploadUrl: `${this.url}/upload/${token}?sig=x`,
          uploadHeaders: [],
        },
      },
    };
  }

  #createArtifactFiles(v: Record<string, unknown>): unknown {
    if (v.storageLayout !== 'V2') throw new Violation(`storageLayout ${str(v.storageLayout)}`);
    const edges = (v.artifactFiles as Record<string, unknown>[]).map((spec) => {
      const keys = Object.keys(spec).sort().join(',');
      if (
        ![
          'artifactID,md5,mimetype,name',
          'artifactID,artifactManifestID,md5,mimetype,name',
          'artifactID,md5,name',
        ].includes(keys)
      ) {
        throw new Violation(`CreateArtifactFileSpecInput has fields ${keys}`);
      }
      const artifact = this.#pending(str(spec.artifactID), 'CreateArtifactFiles');
      const name = str(spec.name);
      const md5 = str(spec.md5);
      // Content the server already holds needs no upload (W&B answers a null URL).
      const known = this.#bytesByMd5(md5);
      artifact.files.set(name, known ? { md5, bytes: known } : { md5 });
      let uploadUrl: string | null = null;
      if (!known) {
        const token = randomUUID();
        this.#uploads.set(token, { kind: 'artifact-file', artifact, name });
        uploadUrl = `${this.url}/upload/${token}?sig=x`;
      }
      return {
        node: {
          id: `f-${artifact.id}-${name}`,
          name: storageName(artifact.id, md5),
          displayName: name,
          uploadUrl,
          uploadHeaders: [],
          artifact: { id: artifact.id },
        },
      };
    });
    return { files: { edges } };
  }

  #commit(id: string): unknown {
    const artifact = this.#pending(id, 'CommitArtifact');
    if (!artifact.manifest) throw new Violation(`CommitArtifact ${id} before its manifest was uploaded`);
    const missing = [...artifact.files].filter(([, f]) => !f.bytes).map(([name]) => name);
    if (missing.length) throw new Violation(`CommitArtifact ${id} before uploading ${missing.join(', ')}`);
    const manifest = JSON.parse(artifact.manifest) as { contents: Record<string, { digest: string }> };
    const names = Object.keys(manifest.contents).sort();
    if (names.join('\n') !== [...artifact.files.keys()].sort().join('\n')) {
      throw new Violation(`manifest of ${id} lists other files than were created`);
    }
    const hash = createHash('md5').update('wandb-artifact-manifest\n');
    for (const name of names) hash.update(`${name}:${manifest.contents[name]!.digest}\n`);
    if (hash.digest('hex') !== artifact.digest)
      throw new Violation(`manifest digest of ${id} differs from the artifact digest`);
    artifact.versionIndex = this.versions(artifact.entity, artifact.project, artifact.collection).length;
    artifact.state = 'COMMITTED';
    const aliases = this.#aliasMap(artifact);
    aliases.set('latest', artifact.id);
    for (const alias of this.#pendingAliases.get(id) ?? []) aliases.set(alias, artifact.id);
    return { id: artifact.id, digest: artifact.digest };
  }

  #changeAliases(add: boolean, v: Record<string, unknown>): void {
    const artifact = this.artifacts.get(str(v.artifactID));
    if (artifact?.state !== 'COMMITTED')
      throw new Violation(`alias change on uncommitted artifact ${str(v.artifactID)}`);
    for (const input of v.aliases as Record<string, unknown>[]) {
      const keys = Object.keys(input).sort().join(',');
      if (
        !['alias,artifactCollectionName', 'alias,artifactCollectionName,entityName,projectName'].includes(
          keys,
        )
      ) {
        throw new Violation(`ArtifactCollectionAliasInput has fields ${keys}`);
      }
      // The collection the alias is in: the artifact's own, or one it is linked into.
      const key =
        input.entityName === undefined
          ? `${artifact.entity}/${artifact.project}/${str(input.artifactCollectionName)}`
          : `${str(input.entityName)}/${str(input.projectName)}/${str(input.artifactCollectionName)}`;
      const own = `${artifact.entity}/${artifact.project}/${artifact.collection}`;
      if (key !== own && !this.links.get(key)?.includes(artifact.id))
        throw new Violation(`alias for collection ${key}, which artifact ${artifact.id} is not in`);
      const map = this.#aliasMapOf(key);
      if (add) map.set(str(input.alias), artifact.id);
      else if (map.get(str(input.alias)) === artifact.id) map.delete(str(input.alias));
    }
  }

  #link(v: Record<string, unknown>): unknown {
    const artifact = this.artifacts.get(str(v.artifactID));
    if (artifact?.state !== 'COMMITTED')
      throw new Violation(`LinkArtifact of uncommitted or unknown artifact ${str(v.artifactID)}`);
    const entity = str(v.entityName);
    const project = str(v.projectName);
    const portfolio = str(v.artifactPortfolioName);
    if (project.startsWith('wandb-registry-')) {
      const orgEntities = this.organizationsOf(artifact.entity).orgs.map((o) => o.orgEntity.name);
      if (!orgEntities.includes(entity)) {
        throw new Violation(
          `LinkArtifact to registry ${project} under ${entity}, which is not an org entity of ${artifact.entity} (${orgEntities.join(', ') || 'none'})`,
        );
      }
    } else if (project !== 'model-registry' || entity !== artifact.entity) {
      throw new Violation(`LinkArtifact to ${entity}/${project}, neither a registry nor the model registry`);
    }
    const aliases = (v.aliases ?? []) as Record<string, unknown>[];
    for (const alias of aliases) {
      const keys = Object.keys(alias).sort().join(',');
      if (keys !== 'alias,artifactCollectionName')
        throw new Violation(`ArtifactAliasInput has fields ${keys}`);
      if (alias.artifactCollectionName !== portfolio)
        throw new Violation(`LinkArtifact alias for collection ${str(alias.artifactCollectionName)}`);
    }
    const key = `${entity}/${project}/${portfolio}`;
    const members = this.links.get(key) ?? [];
    this.links.set(key, members);
    let index = members.indexOf(artifact.id);
    if (index === -1) {
      members.push(artifact.id);
      index = members.length - 1;
      this.#aliasMapOf(key).set('latest', artifact.id);
    }
    for (const alias of aliases) this.#aliasMapOf(key).set(str(alias.alias), artifact.id);
    return { versionIndex: index };
  }

  #byName(entity: string, project: string, name: string): unknown {
    const colon = name.lastIndexOf(':');
    const collection = name.slice(0, colon);
    const tag = name.slice(colon + 1);
    const versions = this.versions(entity, project, collection);
    const version = /^v(\d+)$/.exec(tag);
    const artifact = version
      ? versions.find((a) => a.versionIndex === Number(version[1]))
      : versions.find((a) => this.aliases.get(`${entity}/${project}/${collection}`)?.get(tag) === a.id);
    return artifact ? this.#node(artifact) : null;
  }

  #files(id: string, v: Record<string, unknown>): unknown {
    const artifact = this.artifacts.get(id);
    if (artifact?.state !== 'COMMITTED') return null;
    const nodes = [...artifact.files].map(([name, f]) => ({
      id: `f-${artifact.id}-${name}`,
      name: storageName(artifact.id, f.md5),
      displayName: name,
      md5: f.md5,
      sizeBytes: f.bytes?.length ?? 0,
      directUrl: `${this.url}/artifactsV2/default/${artifact.entity}/${artifact.id}/${encodeURIComponent(name)}`,
    }));
    return { files: page(nodes, v) };
  }

  #download(res: ServerResponse, id: string, name: string): void {
    const bytes = this.artifacts.get(id)?.files.get(name)?.bytes;
    if (!bytes) throw new Violation(`download of unknown artifact file ${id}/${name}`);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(bytes);
  }

  #upload(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer, record: RecordedRequest): void {
    if (req.method !== 'PUT') throw new Violation(`${req.method} to an upload URL`);
    if (req.headers.authorization) throw new Violation('the API key was sent to a signed upload URL');
    const token = url.pathname.slice('/upload/'.length);
    const upload = this.#uploads.get(token);
    if (!upload) throw new Violation(`PUT to an upload URL that was never issued (${token})`);
    const fault = this.#fault(res, record);
    if (fault === 'answered') return;
    if (upload.kind === 'run-file') {
      upload.run.files.set(upload.name, raw);
    } else if (upload.kind === 'artifact-file') {
      const file = upload.artifact.files.get(upload.name)!;
      const md5 = createHash('md5').update(raw).digest('base64');
      if (md5 !== file.md5)
        throw new Violation(
          `artifact file ${upload.name}: content MD5 ${md5} is not the declared ${file.md5}`,
        );
      if (req.headers['content-md5'] !== file.md5)
        throw new Violation(`artifact file ${upload.name} uploaded without its Content-MD5 header`);
      file.bytes = raw;
    } else {
      upload.artifact.manifest = raw.toString('utf8');
    }
    if (fault) {
      answerFault(res, fault);
      return;
    }
    res.writeHead(200);
    res.end();
  }

  #fileStream(
    res: ServerResponse,
    entity: string,
    project: string,
    name: string,
    raw: Buffer,
    record: RecordedRequest,
  ): void {
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    record.body = body;
    const extra = Object.keys(body).filter(
      (k) => !['files', 'complete', 'exitcode', 'dropped', 'uploaded', 'preempting'].includes(k),
    );
    if (extra.length) throw new Violation(`file_stream body has unknown keys: ${extra.join(', ')}`);
    const run = this.run(entity, project, name);
    if (!run)
      throw new Violation(`file_stream for run ${entity}/${project}/${name}, which was never upserted`);
    // A client whose answer to the completing request was lost sends that request again (wandb-core
    // retries it as it is); anything else after completion is a bug.
    if (run.exitcode !== null && raw.toString('utf8') !== run.completedBy)
      throw new Violation(`file_stream for run ${name} after it completed`);
    const fault = this.#fault(res, record);
    if (fault === 'answered') return;
    for (const [file, chunk] of Object.entries(
      (body.files ?? {}) as Record<string, { offset: number; content: string[] }>,
    )) {
      const keys = Object.keys(chunk).sort().join(',');
      if (keys !== 'content,offset') throw new Violation(`file_stream chunk of ${file} has fields ${keys}`);
      if (file === 'wandb-history.jsonl') {
        if (chunk.offset > run.history.length)
          throw new Violation(`history offset ${chunk.offset} leaves a gap after line ${run.history.length}`);
        chunk.content.forEach((line, i) => {
          const row = parseExtendedJson(line); // every line must be (extended) JSON
          for (const [key, value] of Object.entries(row)) {
            if (value === 'NaN' || value === 'Infinity' || value === '-Infinity')
              throw new Violation(`history value ${key} is the string "${value}"; W&B writes it bare`);
          }
          run.history[chunk.offset + i] = line;
        });
      } else if (file === 'wandb-summary.json') {
        if (chunk.offset !== 0 || chunk.content.length !== 1)
          throw new Violation('summary must be one line at offset 0');
        run.summary = parseExtendedJson(chunk.content[0]!);
      } else {
        throw new Violation(`file_stream for unexpected file ${file}`);
      }
    }
    if (body.complete === true) {
      if (typeof body.exitcode !== 'number') throw new Violation('complete without an exitcode');
      run.exitcode = body.exitcode;
      run.completedBy = raw.toString('utf8');
    }
    if (fault) {
      answerFault(res, fault);
      return;
    }
    const stopped = this.#stopRequested.has(`${entity}/${project}/${name}`);
    send(res, 200, { exitcode: null, limits: {}, ...(stopped ? { stopped: true } : {}) });
  }

  #bytesByMd5(md5: string): Buffer | undefined {
    for (const artifact of this.artifacts.values()) {
      const bytes = [...artifact.files.values()].find((f) => f.md5 === md5 && f.bytes)?.bytes;
      if (bytes) return bytes;
    }
    return undefined;
  }

  #aliasMap(artifact: FakeArtifact): Map<string, string> {
    return this.#aliasMapOf(`${artifact.entity}/${artifact.project}/${artifact.collection}`);
  }

  #aliasMapOf(key: string): Map<string, string> {
    let map = this.aliases.get(key);
    if (!map) {
      map = new Map();
      this.aliases.set(key, map);
    }
    return map;
  }

  /** Aliases of every collection the artifact is in: its own, then those it is linked into. */
  #aliasesOf(artifact: FakeArtifact): Record<string, unknown>[] {
    const collections: { key: string; index: number | null }[] = [
      { key: `${artifact.entity}/${artifact.project}/${artifact.collection}`, index: artifact.versionIndex },
    ];
    for (const [key, members] of this.links) {
      if (members.includes(artifact.id)) collections.push({ key, index: members.indexOf(artifact.id) });
    }
    const out: Record<string, unknown>[] = [];
    for (const { key, index } of collections) {
      const [entity, project, name] = key.split('/') as [string, string, string];
      const collection = {
        __typename: 'ArtifactCollection',
        name,
        project: { id: `p-${entity}/${project}`, internalId: 1, name: project, entity: { name: entity } },
      };
      const names = [...this.#aliasMapOf(key)].filter(([, id]) => id === artifact.id).map(([a]) => a);
      if (index !== null) names.push(`v${index}`);
      for (const alias of names) {
        out.push({
          __typename: 'ArtifactAlias',
          id: `alias-${key}-${alias}`,
          alias,
          artifactCollection: collection,
        });
      }
    }
    return out;
  }

  #node(artifact: FakeArtifact): Record<string, unknown> {
    return {
      id: artifact.id,
      digest: artifact.digest,
      state: artifact.state,
      versionIndex: artifact.versionIndex,
      createdAt: artifact.createdAt,
      metadata: artifact.metadata,
      aliases: this.#aliasesOf(artifact),
    };
  }

  #id(prefix: string): string {
    this.#ids++;
    return `${prefix}-${this.#ids}`;
  }
}

function matches(match: FaultMatch, record: RecordedRequest): boolean {
  return (
    (match.operation === undefined || match.operation === record.operation) &&
    (match.path === undefined || match.path.test(record.path)) &&
    (match.variables === undefined || match.variables(record.variables ?? {}))
  );
}

/** Parses W&B's extended JSON (bare `NaN`, `Infinity`, `-Infinity`); written apart from the plugin's. */
export function parseExtendedJson(text: string): Record<string, unknown> {
  const marker = '\u0000fake-nonfinite:';
  const plain = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (token) =>
    token.startsWith('"') ? token : JSON.stringify(`${marker}${token}`),
  );
  return JSON.parse(plain, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(marker) ? Number(value.slice(marker.length)) : value,
  ) as Record<string, unknown>;
}

/** The server's name of a stored artifact file: not its path (that is `displayName`). */
function storageName(artifactId: string, md5: string): string {
  return `${artifactId}/${Buffer.from(md5, 'base64').toString('hex')}`;
}

function page<T>(
  items: T[],
  v: Record<string, unknown>,
): { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: T }[] } {
  const start = v.after ? Number(v.after) : 0;
  const first = typeof v.first === 'number' ? v.first : items.length;
  const slice = items.slice(start, start + first);
  const end = start + slice.length;
  return {
    pageInfo: { hasNextPage: end < items.length, endCursor: String(end) },
    edges: slice.map((node) => ({ node })),
  };
}

function answerFault(res: ServerResponse, fault: Fault): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (fault.retryAfter) headers['retry-after'] = fault.retryAfter;
  res.writeHead(fault.status, headers);
  res.end(JSON.stringify({ errors: [{ message: `injected HTTP ${fault.status}` }] }));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function operationNameOf(raw: Buffer): string | undefined {
  try {
    const name = (JSON.parse(raw.toString('utf8')) as { operationName?: unknown }).operationName;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
