/**
 * Multi-threaded wasm backend: installs the threaded tfjs-wasm build (see `threaded-module.ts`)
 * as the `wasm` backend and keeps one thread count for XNNPACK's pool and this package's own
 * kernel workers.
 *
 * The count is chosen when the backend is created (default: every core) and can be changed later
 * with {@link setWasmThreads} (the trainer applies `train.threads`): XNNPACK's pool is then created
 * anew — tfjs-wasm has no call to resize or free the old one, whose threads stay asleep —, so
 * changes should be rare (once per run).
 */

import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { clampThreads, getKernelThreads, machineThreads, setKernelThreads } from './thread-count.js';
import { instantiateThreadedWasm, type ThreadedWasmModule, unrefThreads } from './threaded-module.js';

/** tfjs's priority of the wasm backend (kept when the factory is replaced). */
const WASM_PRIORITY = 2;

let threadedModule: ThreadedWasmModule | null = null;
let installed = false;
let fallbackReason: string | undefined;

/** The threaded module of the active `wasm` backend, if that backend is the threaded build. */
function activeThreadedModule(): ThreadedWasmModule | null {
  const backend = tf.findBackend('wasm') as { wasm?: unknown } | null;
  return backend != null && threadedModule != null && backend.wasm === threadedModule ? threadedModule : null;
}

/**
 * Makes the next creation of the `wasm` backend use the threaded build with `threads` threads
 * (clamped to 1..8). Does nothing when the backend already exists (it keeps its build; use
 * {@link setWasmThreads}) or when `threads` is 1 (the stock single-threaded build is used, with no
 * worker threads at all). If the threaded build fails to start, the stock one is created instead
 * and {@link wasmThreadsFallback} says why.
 *
 * @returns whether the threaded build will be (or already is) used
 */
export function installThreadedWasmBackend(threads: number): boolean {
  const count = clampThreads(threads);
  if (tf.findBackend('wasm') != null) {
    if (activeThreadedModule() != null) setWasmThreads(count);
    return activeThreadedModule() != null;
  }
  if (count <= 1 || installed) {
    if (installed) setThreadsCount(count);
    return installed;
  }
  const stock = tf.findBackendFactory('wasm');
  if (stock == null) return false;
  tf.removeBackend('wasm');
  setThreadsCount(count);
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        const module = await instantiateThreadedWasm();
        threadedModule = module;
        const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
        unrefThreads(module);
        setKernelThreads(Math.max(1, module.tfjs?.getThreadsCount() ?? 1));
        return backend;
      } catch (error) {
        fallbackReason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        threadedModule = null;
        setKernelThreads(1);
        setThreadsCount(1);
        return stock();
      }
    },
    WASM_PRIORITY,
  );
  installed = true;
  return true;
}

/** Why the threaded build could not be used, when it failed to start (else undefined). */
export function wasmThreadsFallback(): string | undefined {
  return fallbackReason;
}

/**
 * Threads the active `wasm` backend computes with: XNNPACK's pool size for the threaded build
 * (1 for the stock build, or when wasm is not initialized).
 */
export function getWasmThreads(): number {
  const module = activeThreadedModule();
  if (module == null) return 1;
  return Math.max(1, module.tfjs?.getThreadsCount() ?? 1);
}

/**
 * Sets the threads of the active threaded `wasm` backend (XNNPACK's pool and this package's
 * kernel workers). A no-op on the stock build, which has one thread. The count cannot exceed the
 * pthread workers still free (8 are started; every resize takes `n - 1` of them for good).
 *
 * @param threads wanted threads (clamped to 1..8); default: every core
 * @returns the threads now in use
 */
export function setWasmThreads(threads: number = machineThreads()): number {
  const module = activeThreadedModule();
  if (module == null || module.tfjs == null) return 1;
  let count = clampThreads(threads);
  const current = getWasmThreads();
  if (count !== current) {
    // pthreadpool_create(n) starts n - 1 threads; without a free pre-started worker emscripten
    // would have to start one asynchronously, which the blocked main thread never lets happen.
    count = Math.min(count, module.PThread.unusedWorkers.length + 1);
    if (count !== current) {
      module.tfjs.initWithThreadsCount(count);
      unrefThreads(module);
    }
  }
  setKernelThreads(getWasmThreads());
  return getWasmThreads();
}

/** Threads of this package's own kernel workers (equal to {@link getWasmThreads} once set). */
export { getKernelThreads, machineThreads };
