/**
 * How many threads the wasm training kernels use. One setting for XNNPACK's pool inside the
 * threaded tfjs-wasm build and for this package's own kernel workers (`kernel-pool.ts`).
 */
import { availableParallelism } from 'node:os';

/** Most threads the threaded build can run: its emscripten pool has 8 pre-started workers. */
export const MAX_WASM_THREADS = 8;

/** Every core of this machine (Node's `availableParallelism`), capped at {@link MAX_WASM_THREADS}. */
export function machineThreads(): number {
  return clampThreads(availableParallelism());
}

/** `n` rounded and clamped to 1 .. {@link MAX_WASM_THREADS}. */
export function clampThreads(n: number): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.round(n)));
}

let kernelThreads = 1;
const listeners = new Set<(threads: number) => void>();

/** Threads the package's own wasm kernels split their work over (1 until a backend sets it). */
export function getKernelThreads(): number {
  return kernelThreads;
}

/** Sets {@link getKernelThreads}; the kernel pools resize on their next job. */
export function setKernelThreads(n: number): void {
  const next = clampThreads(n);
  if (next === kernelThreads) return;
  kernelThreads = next;
  for (const listener of listeners) listener(next);
}

/** Calls `listener` whenever the thread count changes. */
export function onKernelThreadsChange(listener: (threads: number) => void): void {
  listeners.add(listener);
}
