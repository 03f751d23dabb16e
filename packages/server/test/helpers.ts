import type {
  AliasMove,
  ArtifactRef,
  ArtifactStore,
  ImageInput,
  LoadedModel,
  ModelRegistry,
  ModelSummary,
  ModelVersion,
  RegisterModelInput,
  Runtime,
  TreeManifest,
  VersionSelector,
} from '@mlops/core';

/** A registry error shaped like core's MlopsError (code + message). */
function notFound(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** In-memory registry with `watch`. */
export class FakeRegistry implements ModelRegistry {
  readonly versions = new Map<string, ModelVersion[]>();
  readonly moves: AliasMove[] = [];
  private readonly listeners = new Map<string, Set<(move: AliasMove) => void>>();

  constructor(watchable = true) {
    if (!watchable) this.watch = undefined;
  }

  async register(input: RegisterModelInput): Promise<ModelVersion> {
    const list = this.versions.get(input.model) ?? [];
    this.versions.set(input.model, list);
    const version: ModelVersion = {
      model: input.model,
      version: list.length + 1,
      artifacts: input.artifacts,
      metrics: input.metrics ?? {},
      lineage: input.lineage ?? {},
      metadata: input.metadata ?? {},
      createdAt: new Date().toISOString(),
      aliases: [],
    };
    list.push(version);
    for (const alias of input.aliases ?? []) await this.promote(input.model, version.version, alias);
    return version;
  }

  async listModels(): Promise<ModelSummary[]> {
    return [...this.versions.entries()].map(([name, list]) => {
      const aliases: Record<string, number> = {};
      for (const v of list) for (const alias of v.aliases) aliases[alias] = v.version;
      return {
        name,
        versions: list.length,
        latest: list.at(-1)?.version ?? 0,
        aliases,
        updatedAt: list.at(-1)?.createdAt ?? new Date(0).toISOString(),
      };
    });
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    const list = this.versions.get(model);
    if (!list) throw notFound('MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND', `model ${model} not found`);
    return list;
  }

  async resolve(model: string, selector: VersionSelector): Promise<ModelVersion> {
    const list = await this.listVersions(model);
    let found: ModelVersion | undefined;
    if (selector === 'latest') found = list.at(-1);
    else if ('version' in selector) found = list.find((v) => v.version === selector.version);
    else found = list.find((v) => v.aliases.includes(selector.alias));
    if (!found)
      throw notFound('MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND', `no version for ${JSON.stringify(selector)}`);
    return found;
  }

  async promote(model: string, version: number, alias: string): Promise<AliasMove> {
    const list = await this.listVersions(model);
    const target = list.find((v) => v.version === version);
    if (!target) throw notFound('MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND', `version ${version} not found`);
    const previous = list.find((v) => v.aliases.includes(alias));
    if (previous) previous.aliases = previous.aliases.filter((a) => a !== alias);
    target.aliases.push(alias);
    const move: AliasMove = {
      alias,
      model,
      from: previous?.version ?? null,
      to: version,
      at: new Date().toISOString(),
    };
    this.moves.push(move);
    for (const listener of this.listeners.get(model) ?? []) listener(move);
    return move;
  }

  async removeAlias(model: string, alias: string): Promise<AliasMove> {
    const list = await this.listVersions(model);
    const previous = list.find((v) => v.aliases.includes(alias));
    if (!previous) throw notFound('MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND', `alias ${alias} not found`);
    previous.aliases = previous.aliases.filter((a) => a !== alias);
    const move: AliasMove = { alias, model, from: previous.version, to: null, at: new Date().toISOString() };
    this.moves.push(move);
    for (const listener of this.listeners.get(model) ?? []) listener(move);
    return move;
  }

  async history(model: string): Promise<AliasMove[]> {
    return this.moves.filter((m) => m.model === model);
  }

  watch?: (model: string, listener: (move: AliasMove) => void) => () => void = (model, listener) => {
    const set = this.listeners.get(model) ?? new Set();
    this.listeners.set(model, set);
    set.add(listener);
    return () => set.delete(listener);
  };
}

/** A manually resolved promise. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Runtime whose models answer labels `v<N>-a`, `v<N>-b`, ... and record disposal. */
export class FakeRuntime implements Runtime {
  readonly name = 'fake';
  readonly loaded: number[] = [];
  readonly disposed: number[] = [];
  /** When set, `load` waits for it. */
  gate: Promise<void> | undefined;
  /** When set, `predict` waits for it. */
  predictGate: Promise<void> | undefined;
  /** Number of `predict` calls started. */
  predicting = 0;
  /** Versions whose load fails. */
  readonly failing = new Set<number>();
  /** Number of labels per model. */
  labelCount = 7;

  supports(): boolean {
    return true;
  }

  async load(version: ModelVersion): Promise<LoadedModel> {
    if (this.gate) await this.gate;
    if (this.failing.has(version.version)) throw new Error(`cannot load v${version.version}`);
    this.loaded.push(version.version);
    const labels = Array.from(
      { length: this.labelCount },
      (_, i) => `v${version.version}-${'abcdefghij'[i]}`,
    );
    // Probabilities decreasing: 0.4, 0.2, ... normalised.
    const raw = labels.map((_, i) => 1 / 2 ** i);
    const sum = raw.reduce((a, b) => a + b, 0);
    const runtime = this;
    return {
      version,
      labels,
      async predict(images: ImageInput[], topK = 5) {
        runtime.predicting += 1;
        if (runtime.predictGate) await runtime.predictGate;
        if (runtime.disposed.includes(version.version)) throw new Error('predict after dispose');
        return images.map(() => ({
          top: labels.slice(0, topK).map((label, i) => ({ label, probability: raw[i]! / sum })),
        }));
      },
      async dispose() {
        runtime.disposed.push(version.version);
      },
    };
  }
}

/** Fake decoder: any bytes give a 2×2 RGB image, except bytes starting with "BAD". */
export async function fakeDecode(bytes: Uint8Array): Promise<ImageInput> {
  if (Buffer.from(bytes.subarray(0, 3)).toString('latin1') === 'BAD') throw new Error('corrupt image');
  return { data: new Uint8Array(12).fill(128), width: 2, height: 2, channels: 3 };
}

/** One part of a multipart body. */
export interface Part {
  name: string;
  /** A file part when set. */
  filename?: string;
  contentType?: string;
  data: string | Uint8Array;
}

/** Builds a multipart/form-data body by hand. */
export function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----mlops-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** A multipart body with one `image_file` of the given type. */
export function imageUpload(contentType = 'image/png', data: string | Uint8Array = 'PNGDATA') {
  return multipart([{ name: 'image_file', filename: 'x.img', contentType, data }]);
}

/** Tiny in-memory ArtifactStore: only `putBytes`, `has` and `getBytes` work. */
export class MemoryArtifactStore implements ArtifactStore {
  readonly location = 'memory://';
  readonly objects = new Map<string, Buffer>();
  private counter = 0;

  async putBytes(bytes: Uint8Array, meta: { name?: string; mediaType?: string } = {}): Promise<ArtifactRef> {
    const hash = `h${++this.counter}`;
    this.objects.set(hash, Buffer.from(bytes));
    return { hash, kind: 'file', size: bytes.length, ...meta };
  }
  async has(hash: string): Promise<boolean> {
    return this.objects.has(hash);
  }
  async getBytes(ref: ArtifactRef | string): Promise<Buffer> {
    const hash = typeof ref === 'string' ? ref : ref.hash;
    const found = this.objects.get(hash);
    if (!found) throw new Error(`object ${hash} not found`);
    return found;
  }
  putFile(): Promise<ArtifactRef> {
    throw new Error('not supported');
  }
  putDir(): Promise<ArtifactRef> {
    throw new Error('not supported');
  }
  putTree(): Promise<ArtifactRef> {
    throw new Error('not supported');
  }
  getTree(): Promise<TreeManifest> {
    throw new Error('not supported');
  }
  localPath(): Promise<string> {
    throw new Error('not supported');
  }
  checkout(): Promise<void> {
    throw new Error('not supported');
  }
  async *list(): AsyncIterable<string> {
    yield* this.objects.keys();
  }
}

/** Decoder for drift tests: the body is a decimal brightness; gives a 4×4 RGB image of it. */
export async function brightnessDecode(bytes: Uint8Array): Promise<ImageInput> {
  const value = Number(Buffer.from(bytes).toString('latin1'));
  if (!Number.isFinite(value)) throw new Error('corrupt image');
  return { data: new Uint8Array(48).fill(value), width: 4, height: 4, channels: 3 };
}
