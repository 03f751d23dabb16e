/**
 * The multi-threaded build of `@tensorflow/tfjs-backend-wasm` 4.22 (`tfjs-backend-wasm-threaded-simd`:
 * emscripten pthreads + XNNPACK's thread pool), made to start under Node.
 *
 * tfjs ships that build but never uses it in Node: its `WASM_HAS_MULTITHREAD_SUPPORT` flag is
 * hard-wired to false there, and its loader starts the pthread workers from Blob URLs
 * (`URL.createObjectURL`), which Node's `worker_threads.Worker` cannot load. The emscripten glue
 * itself supports Node (it runs its workers on `worker_threads`), so here the build's own factory
 * (`wasm-out/tfjs-backend-wasm-threaded-simd.js`) is compiled with a `Worker` of our own in scope:
 * a `worker_threads.Worker` that runs tfjs's pthread worker script (`wasmWorkerContents`) from
 * source (`eval: true`) and loads the factory into each thread from the package's file.
 * Nothing is written to disk and no network or Blob is involved.
 *
 * The build pre-starts 8 pthread workers (`PTHREAD_POOL_SIZE=8`); the C++ side caps its pool at
 * half of `os.cpus().length` (it assumes 2 hyper-threads per core), so the factory sees a
 * `require('os')` reporting {@link MAX_WASM_THREADS} × 2 CPUs and the caller picks the real count.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';

/** Most threads the threaded build can run: its emscripten pool has 8 pre-started workers. */
import { MAX_WASM_THREADS } from './thread-count.js';

/** The emscripten pthread bookkeeping this module touches. */
interface PThreadApi {
  /** Workers running a pthread (e.g. XNNPACK's pool threads). */
  runningWorkers: Worker[];
  /** Pre-started workers not running a thread yet. */
  unusedWorkers: Worker[];
}

/** The C functions tfjs's `BackendWasm` calls through `module.tfjs` (tfjs's own loader adds them). */
export interface TfjsBridge {
  /** Creates XNNPACK's pool with the default size. */
  init(): void;
  /** Creates XNNPACK's pool with `threads` threads (calling it again makes a new pool). */
  initWithThreadsCount(threads: number): void;
  /** Threads of the current pool. */
  getThreadsCount(): number;
  /** Registers a tensor's heap address. */
  registerTensor(id: number, size: number, offset: number): void;
  /** Forgets a tensor. */
  disposeData(id: number): void;
  /** Frees everything. */
  dispose(): void;
}

/** The emscripten module of the threaded build, as tfjs's `BackendWasm` expects it. */
export interface ThreadedWasmModule {
  /** Wraps an exported C function. */
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  /** The shared linear memory (a `WebAssembly.Memory` over a SharedArrayBuffer). */
  wasmMemory: { readonly buffer: ArrayBufferLike };
  /** Byte view of the heap (emscripten replaces it when the memory grows on this thread). */
  HEAPU8: Uint8Array;
  /** pthread bookkeeping. */
  PThread: PThreadApi;
  /** The bridge functions `BackendWasm` calls (added by {@link instantiateThreadedWasm}). */
  tfjs?: TfjsBridge;
  [key: string]: unknown;
}

/** Files of the threaded build inside the installed package. */
function buildFiles(): { dir: string; factory: string; wasm: string; worker: string } {
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const dir = path.join(pkg, 'wasm-out');
  return {
    dir,
    factory: path.join(dir, 'tfjs-backend-wasm-threaded-simd.js'),
    wasm: path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'),
    worker: path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js'),
  };
}

/**
 * Source of one pthread worker: tfjs's worker script, which in Node expects `require` and
 * `__filename` as globals and evaluates the factory file given in its `load` message.
 */
function workerSource(factoryFile: string, workerFile: string): string {
  const require = createRequire(import.meta.url);
  const { wasmWorkerContents } = require(workerFile) as { wasmWorkerContents: string };
  // The package stores the script in a template literal, where its "\n" escapes became real
  // newlines inside string literals; tfjs's own loader escapes them back the same way.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  return `globalThis.require = require;\nglobalThis.__filename = ${JSON.stringify(factoryFile)};\n${script}\n`;
}

/** Removes the `process` listeners for `event` that are not in `before`. */
function removeAddedListeners(
  event: 'uncaughtException' | 'unhandledRejection',
  before: readonly unknown[],
): void {
  const emitter = process as unknown as {
    listeners(name: string): ((...args: unknown[]) => void)[];
    removeListener(name: string, listener: (...args: unknown[]) => void): unknown;
  };
  for (const listener of emitter.listeners(event)) {
    if (!before.includes(listener)) emitter.removeListener(event, listener);
  }
}

/**
 * Creates the threaded build's emscripten module, with its 8 pthread workers started and the
 * wasm instantiated on a shared memory. The workers do not keep the process alive.
 *
 * The emscripten glue registers process-wide `uncaughtException` / `unhandledRejection` handlers
 * that rethrow; they are removed again, so loading the backend changes nothing for the process.
 *
 * @throws Error when the build cannot be loaded (e.g. no SharedArrayBuffer or wasm threads)
 */
export async function instantiateThreadedWasm(): Promise<ThreadedWasmModule> {
  const files = buildFiles();
  const source = workerSource(files.factory, files.worker);
  /** emscripten's `new Worker(url)`: the URL (a Blob URL in browsers) is not needed here. */
  class PthreadWorker extends Worker {
    constructor(_url?: unknown) {
      super(source, { eval: true, name: 'tfjs-wasm-pthread' });
    }
  }
  const realRequire = createRequire(files.factory);
  const patchedOs = { cpus: () => new Array(2 * MAX_WASM_THREADS).fill({}) };
  const factoryRequire = Object.assign(
    (id: string) => (id === 'os' ? patchedOs : realRequire(id)),
    realRequire,
  );
  const factorySource = readFileSync(files.factory, 'utf8');
  const compiled = vm.compileFunction(
    factorySource,
    ['require', '__filename', '__dirname', 'module', 'exports', 'Worker'],
    { filename: files.factory },
  );
  const cjs = { exports: {} as unknown };
  const uncaught = process.listeners('uncaughtException');
  const unhandled = process.listeners('unhandledRejection');
  const hadWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  let module: ThreadedWasmModule;
  try {
    compiled(factoryRequire, files.factory, files.dir, cjs, cjs.exports, PthreadWorker);
    const factory = cjs.exports as (config: Record<string, unknown>) => Promise<ThreadedWasmModule>;
    module = await factory({
      locateFile: (file: string) => (file.endsWith('.wasm') ? files.wasm : path.join(files.dir, file)),
      // What every pthread worker evaluates to get the factory (a path: read from disk there).
      mainScriptUrlOrBlob: files.factory,
      print: (text: string) => process.stdout.write(`${text}\n`),
      printErr: (text: string) => process.stderr.write(`${text}\n`),
    });
  } finally {
    removeAddedListeners('uncaughtException', uncaught);
    removeAddedListeners('unhandledRejection', unhandled);
    // The glue sets `global.Worker`; its own calls see the class above, nobody else needs it.
    if (hadWorker) Object.defineProperty(globalThis, 'Worker', hadWorker);
    else delete (globalThis as { Worker?: unknown }).Worker;
  }
  const voidType = null;
  module.tfjs = {
    init: module.cwrap('init', voidType, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', voidType, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', voidType, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', voidType, ['number']),
    dispose: module.cwrap('dispose', voidType, []),
  } as TfjsBridge;
  unrefThreads(module);
  return module;
}

/**
 * Lets the process exit while pthreads exist: emscripten `ref()`s a worker when it starts a
 * thread, and XNNPACK's pool threads never end.
 */
export function unrefThreads(module: ThreadedWasmModule): void {
  for (const worker of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) worker.unref();
}
