import type { AliasMove, LoadedModel, ModelRegistry, ModelVersion, Runtime } from '@mlops/core';
import { isRegistryNotFound } from './errors.js';

/** What {@link ModelPool.preload} found. */
export type PreloadResult = 'loaded' | 'missing' | 'failed';

/** Minimal logger the pool reports to (Fastify's logger fits). */
export interface PoolLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Optional observers of a {@link ModelPool}. */
export interface PoolHooks {
  /** Called after each successful model load with its duration in seconds. */
  onLoad?(model: string, version: number, seconds: number): void;
}

interface Slot {
  version: number;
  model: LoadedModel;
  /** Requests currently using the model. */
  refs: number;
  /** Aliases currently served by this slot. */
  aliases: Set<string>;
  /** Kept loaded as one of the recently requested explicit versions. */
  pinned: boolean;
  disposed: boolean;
}

/** A model borrowed for one request; call `release()` when done. */
export interface ModelLease {
  /** The loaded model. */
  model: LoadedModel;
  /** Its registry version number. */
  version: number;
  /** Gives the model back (exactly once). */
  release(): void;
}

/**
 * Loads registry versions per alias on first use, caches them by version, and — when the registry
 * can be watched — swaps an alias to its new version once that version is loaded. The old version
 * is disposed when no alias serves it and its last in-flight request has released it.
 */
export class ModelPool {
  private readonly loads = new Map<number, Promise<Slot>>();
  private readonly loaded = new Map<number, Slot>();
  private readonly bindings = new Map<string, Promise<Slot>>();
  private readonly current = new Map<string, Slot>();
  private readonly generations = new Map<string, number>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Explicitly requested versions kept loaded, least recently used first. */
  private readonly pinned: Slot[] = [];
  private readonly unwatch: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly runtime: Runtime,
    private readonly modelName: string,
    private readonly log: PoolLogger,
    private readonly hooks: PoolHooks = {},
    /** How many explicitly requested versions stay loaded after their requests (LRU). */
    private readonly versionCacheSize = 2,
  ) {
    this.unwatch = registry.watch?.(modelName, (move) => this.onMove(move));
  }

  /** Version currently served for `alias`, if loaded. */
  servedVersion(alias: string): number | undefined {
    return this.current.get(alias)?.version;
  }

  /**
   * Starts loading `alias` in the background. Resolves (never rejects) to `loaded`, `missing` when
   * the registry has no such alias or model (not an error: the server waits for a promotion, and
   * the caller says so in one line), or `failed` when loading failed (logged; retried on next use).
   */
  preload(alias: string): Promise<PreloadResult> {
    if (this.current.has(alias)) return Promise.resolve('loaded');
    const pending = this.bindings.get(alias);
    const loading = (pending ?? this.bind(alias)).then(
      (): PreloadResult => 'loaded',
      (error: unknown): PreloadResult => {
        if (isRegistryNotFound(error)) return 'missing';
        if (!pending) this.log.error({ err: error, alias, model: this.modelName }, 'preload failed');
        return 'failed';
      },
    );
    if (!pending) this.track(loading);
    return loading;
  }

  /** Resolves once every background load and swap started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Borrows the model served for `alias`, loading it on first use. */
  async acquire(alias: string): Promise<ModelLease> {
    for (let attempt = 0; ; attempt++) {
      const slot = await this.bind(alias);
      if (slot.disposed && attempt < 5) continue;
      if (slot.disposed) throw new Error(`model for alias "${alias}" was disposed while loading`);
      return this.lease(slot);
    }
  }

  /**
   * Borrows an explicit registry version, loading it on first use. The loaded model is shared with
   * any alias on the same version and with concurrent requests. The last `versionCacheSize`
   * versions requested this way stay loaded; older ones are disposed after their last request
   * unless an alias serves them.
   */
  async acquireVersion(version: number): Promise<ModelLease> {
    if (this.closed) throw new Error('model pool is closed');
    for (let attempt = 0; ; attempt++) {
      const cached = this.loaded.get(version);
      const slot =
        cached && !cached.disposed
          ? cached
          : await this.load(await this.registry.resolve(this.modelName, { version }));
      if (slot.disposed && attempt < 5) continue;
      if (slot.disposed) throw new Error(`model version ${version} was disposed while loading`);
      const lease = this.lease(slot); // counted before pin() may evict it
      this.pin(slot);
      return lease;
    }
  }

  /** Counts a borrower of `slot`; the lease's `release` (idempotent) may dispose it. */
  private lease(slot: Slot): ModelLease {
    slot.refs += 1;
    let released = false;
    return {
      model: slot.model,
      version: slot.version,
      release: () => {
        if (released) return;
        released = true;
        slot.refs -= 1;
        this.maybeDispose(slot);
      },
    };
  }

  /** Versions currently loaded (served by an alias or in use), ascending. */
  loadedVersions(): number[] {
    return [...this.loaded.values()]
      .filter((slot) => !slot.disposed)
      .map((slot) => slot.version)
      .sort((a, b) => a - b);
  }

  /** Aliases currently served, with their versions. */
  servedAliases(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [alias, slot] of this.current) out[alias] = slot.version;
    return out;
  }

  /** Stops watching and disposes every loaded model (after `settled()`). */
  async close(): Promise<void> {
    this.closed = true;
    this.unwatch?.();
    await this.settled();
    const slots = await Promise.allSettled([...this.loads.values()]);
    this.loads.clear();
    this.loaded.clear();
    this.pinned.length = 0;
    this.bindings.clear();
    this.current.clear();
    for (const result of slots) {
      if (result.status === 'fulfilled' && !result.value.disposed) {
        result.value.disposed = true;
        await result.value.model.dispose().catch(() => undefined);
      }
    }
  }

  private track<T>(promise: Promise<T>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => undefined);
  }

  private bind(alias: string): Promise<Slot> {
    const existing = this.bindings.get(alias);
    if (existing) return existing;
    const ref: { binding?: Promise<Slot> } = {};
    const binding: Promise<Slot> = (async () => {
      const version = await this.registry.resolve(this.modelName, { alias });
      let slot = await this.load(version);
      while (slot.disposed) slot = await this.load(version);
      if (this.bindings.get(alias) === ref.binding && !this.closed) {
        slot.aliases.add(alias);
        this.current.set(alias, slot);
      }
      return slot;
    })();
    ref.binding = binding;
    this.bindings.set(alias, binding);
    binding.catch(() => {
      if (this.bindings.get(alias) === binding) this.bindings.delete(alias);
    });
    return binding;
  }

  private async load(version: ModelVersion): Promise<Slot> {
    for (;;) {
      let loading = this.loads.get(version.version);
      if (!loading) {
        const started = Date.now();
        loading = this.runtime.load(version).then((model) => {
          this.log.info(
            { model: this.modelName, version: version.version, ms: Date.now() - started },
            'model loaded',
          );
          this.hooks.onLoad?.(this.modelName, version.version, (Date.now() - started) / 1000);
          const slot: Slot = {
            version: version.version,
            model,
            refs: 0,
            aliases: new Set(),
            pinned: false,
            disposed: false,
          };
          this.loaded.set(version.version, slot);
          return slot;
        });
        const own = loading;
        this.loads.set(version.version, own);
        own.catch(() => {
          if (this.loads.get(version.version) === own) this.loads.delete(version.version);
        });
      }
      const slot = await loading;
      if (!slot.disposed) return slot;
    }
  }

  /**
   * Applies an alias move reported by someone other than `watch()` (e.g. the promotion route on a
   * registry without `watch`): loads the new version, then swaps the alias to it.
   */
  applyMove(move: AliasMove): void {
    this.onMove(move);
  }

  private onMove(move: AliasMove): void {
    if (move.model !== this.modelName || this.closed) return;
    const alias = move.alias;
    // Aliases never used are loaded on first use, with whatever version they point to then.
    if (!this.bindings.has(alias)) return;
    const generation = (this.generations.get(alias) ?? 0) + 1;
    this.generations.set(alias, generation);
    this.track(
      (async () => {
        let next: Slot | undefined;
        if (move.to !== null) {
          const version = await this.registry.resolve(this.modelName, { version: move.to });
          next = await this.load(version);
        }
        if (this.generations.get(alias) !== generation || this.closed) {
          // A later move won; drop what we loaded unless something else uses it.
          if (next) this.maybeDispose(next);
          return;
        }
        const old = this.current.get(alias);
        if (next) {
          next.aliases.add(alias);
          this.current.set(alias, next);
          this.bindings.set(alias, Promise.resolve(next));
        } else {
          this.current.delete(alias);
          this.bindings.delete(alias);
        }
        if (old && old !== next) {
          old.aliases.delete(alias);
          this.maybeDispose(old);
        }
        this.log.info(
          { model: this.modelName, alias, from: old?.version, to: next?.version },
          'alias swapped',
        );
      })().catch((error: unknown) => {
        this.log.error(
          { err: error, model: this.modelName, alias, to: move.to },
          'alias swap failed; still serving the previous version',
        );
      }),
    );
  }

  private pin(slot: Slot): void {
    const at = this.pinned.indexOf(slot);
    if (at >= 0) this.pinned.splice(at, 1);
    slot.pinned = true;
    this.pinned.push(slot);
    while (this.pinned.length > Math.max(0, this.versionCacheSize)) {
      const evicted = this.pinned.shift()!;
      evicted.pinned = false;
      this.maybeDispose(evicted);
    }
  }

  private maybeDispose(slot: Slot): void {
    if (slot.disposed || slot.refs > 0 || slot.aliases.size > 0 || slot.pinned) return;
    // A binding for an alias may still be about to adopt this slot.
    for (const bound of this.current.values()) if (bound === slot) return;
    slot.disposed = true;
    if (this.loaded.get(slot.version) === slot) {
      this.loaded.delete(slot.version);
      this.loads.delete(slot.version);
    }
    this.track(
      slot.model.dispose().catch((error: unknown) => {
        this.log.error({ err: error, model: this.modelName, version: slot.version }, 'dispose failed');
      }),
    );
  }
}
