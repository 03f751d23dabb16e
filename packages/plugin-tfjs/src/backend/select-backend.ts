/**
 * Picks and initialises the fastest TensorFlow.js backend available in this Node process.
 *
 * Only the `cpu` and `wasm` backends are hard dependencies. The native TensorFlow bindings
 * (`@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`) and WebGPU (`@tensorflow/tfjs-backend-webgpu`
 * plus the `webgpu` Dawn bindings) are optional peers, loaded with dynamic `import()` so that a
 * missing one is simply skipped.
 */

import { createRequire } from 'node:module';
import path from 'node:path';
import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import { tfjsErrors } from '../errors.js';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  type BackendMeasurement,
  type BackendProbe,
  chooseFastestBackend,
  DEFAULT_PROBE_BUDGET_MS,
} from './choose-fastest-backend.js';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';
import { machineThreads } from './wasm-threads/thread-count.js';
import {
  getWasmThreads,
  installThreadedWasmBackend,
  setWasmThreads,
  wasmThreadsFallback,
} from './wasm-threads/wasm-threads.js';
import { registerWebGpuTrainingKernels } from './webgpu/fused-kernels.js';

/** Which backend to use; `auto` picks the fastest one available. */
export type BackendPreference = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** The backend that {@link selectBackend} activated. */
export interface BackendInfo {
  /** Name of the active tfjs backend (`tf.getBackend()`): `tensorflow`, `webgpu`, `wasm` or `cpu`. */
  name: string;
  /** The preference that was asked for. */
  requested: string;
  /** Why this backend was chosen, including why faster ones were skipped under `auto`. */
  reason: string;
  /**
   * Compute threads the backend uses, where known (wasm: XNNPACK's pool and the training kernels'
   * workers, every core by default; cpu: 1).
   */
  threads?: number;
  /** Under `auto` with a probe and several accelerated backends: what each measured. */
  measurements?: BackendMeasurement[];
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Under `auto`, when more than one accelerated backend (tensorflow, webgpu, wasm) is available,
   * time this probe on each and activate the fastest instead of taking the first in the fixed
   * order. With one available nothing is probed; `cpu`, the last fallback, never is.
   */
  probe?: BackendProbe;
  /** Total probing time; default 20 s. */
  probeBudgetMs?: number;
  /**
   * Threads of the `wasm` backend (1..8): XNNPACK's pool in the threaded tfjs-wasm build and this
   * package's kernel workers. Default: every core (Node's `availableParallelism`). 1 on a fresh
   * process keeps tfjs's single-threaded build, with no worker threads at all.
   */
  threads?: number;
}

/** One attempt to activate a backend: resolves to its info, or rejects with a helpful Error. */
type Attempt = (requested: string, options: SelectBackendOptions) => Promise<BackendInfo>;

/**
 * Imports an optional package by name. The specifier is a variable so that TypeScript and bundlers
 * do not require the package to exist at build time.
 */
async function importOptional(specifier: string): Promise<unknown> {
  return import(specifier);
}

/** Best-effort message of an unknown thrown value. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

async function activate(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** Native TensorFlow bindings (CUDA build first); both register the backend `tensorflow`. */
const tryTensorflow: Attempt = async (requested) => {
  const failures: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await importOptional(pkg);
    } catch (err) {
      failures.push(`${pkg}: ${messageOf(err)}`);
      continue;
    }
    if (await activate('tensorflow')) {
      return { name: 'tensorflow', requested, reason: `native TensorFlow via ${pkg}` };
    }
    failures.push(`${pkg}: loaded but the 'tensorflow' backend failed to initialise`);
  }
  throw tfjsErrors.create(
    'MLOPS_TFJS_ERR_NO_BACKEND',
    `TensorFlow native backend unavailable (${failures.join('; ')}). ` +
      'Install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA), version ^4.22.0.',
    {
      hint: 'npm install @tensorflow/tfjs-node@^4.22.0 (or tfjs-node-gpu for CUDA), or set train.backend to "wasm" or "auto".',
    },
  );
};

/** Shape of the `webgpu` npm package (Dawn bindings) that is used here. */
interface DawnModule {
  create(flags: string[]): { requestAdapter(): Promise<unknown> };
  globals: Record<string, unknown>;
}

/** WebGPU through Dawn; used only when a GPU adapter actually exists. */
const tryWebgpu: Attempt = async (requested) => {
  const install =
    'Install the optional peers `webgpu` (Dawn for Node) and @tensorflow/tfjs-backend-webgpu@^4.22.0.';
  let dawn: DawnModule;
  try {
    const mod = (await importOptional('webgpu')) as Partial<DawnModule> & { default?: Partial<DawnModule> };
    const candidate = typeof mod.create === 'function' ? mod : mod.default;
    if (candidate == null || typeof candidate.create !== 'function' || candidate.globals == null) {
      throw new Error('unexpected exports');
    }
    dawn = candidate as DawnModule;
  } catch (err) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_NO_BACKEND',
      `WebGPU unavailable (webgpu: ${messageOf(err)}). ${install}`,
      { hint: install },
    );
  }
  const g = globalThis as { navigator?: { gpu?: unknown } };
  // Dawn provides the WebGPU globals (GPUBufferUsage, ...) and `navigator.gpu` that tfjs expects.
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (adapter == null)
    throw tfjsErrors.create('MLOPS_TFJS_ERR_NO_BACKEND', 'WebGPU unavailable: no GPU adapter found.', {
      hint: 'This machine has no GPU WebGPU can use: set train.backend to "auto", "wasm" or "cpu".',
    });
  if (g.navigator == null) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else if (g.navigator.gpu == null) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
  try {
    await importOptional('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_NO_BACKEND',
      `WebGPU unavailable (@tensorflow/tfjs-backend-webgpu: ${messageOf(err)}). ${install}`,
      { hint: install },
    );
  }
  registerWebGpuTrainingKernels();
  if (!(await activate('webgpu')))
    throw tfjsErrors.create('MLOPS_TFJS_ERR_NO_BACKEND', 'WebGPU backend failed to initialise.', {
      hint: 'Set train.backend to "auto", "wasm" or "cpu".',
    });
  return { name: 'webgpu', requested, reason: 'WebGPU (Dawn) with a GPU adapter' };
};

/**
 * Points the wasm backend at the `.wasm` binaries inside its installed package, so they are read
 * from disk rather than fetched. Harmless if the backend was already initialised.
 */
function configureWasmPaths(): void {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  try {
    setWasmPaths(path.join(path.dirname(pkgJson), 'dist') + path.sep);
  } catch {
    // Already initialised with its paths; nothing to change.
  }
}

/**
 * XNNPACK-backed wasm, with the gradient kernels it lacks registered; multi-threaded (tfjs's
 * threaded build, see `wasm-threads/`) unless one thread is asked for.
 */
const tryWasm: Attempt = async (requested, options) => {
  configureWasmPaths();
  registerWasmTrainingKernels();
  const threads = options.threads ?? machineThreads();
  installThreadedWasmBackend(threads);
  if (!(await activate('wasm'))) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_NO_BACKEND',
      'wasm backend failed to initialise; reinstall @tensorflow/tfjs-backend-wasm@4.22.0.',
      { hint: 'Reinstall @tensorflow/tfjs-backend-wasm@4.22.0, or set train.backend to "cpu".' },
    );
  }
  if (options.threads != null) setWasmThreads(options.threads);
  const count = getWasmThreads();
  const fallback = wasmThreadsFallback();
  return {
    name: 'wasm',
    requested,
    reason:
      `WebAssembly + XNNPACK, with the wasm training kernels registered, ${count} thread${count === 1 ? '' : 's'}` +
      (fallback ? ` (the threaded build failed to start: ${fallback})` : ''),
    threads: count,
  };
};

const tryCpu: Attempt = async (requested) => {
  if (!(await activate('cpu')))
    throw tfjsErrors.create('MLOPS_TFJS_ERR_NO_BACKEND', 'cpu backend failed to initialise.', {
      hint: 'Reinstall @tensorflow/tfjs (its cpu backend is always there when the install is whole).',
    });
  return { name: 'cpu', requested, reason: 'plain JavaScript backend', threads: 1 };
};

const ATTEMPTS: Record<Exclude<BackendPreference, 'auto'>, Attempt> = {
  tensorflow: tryTensorflow,
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: tryCpu,
};

/** Order of `auto`: fastest first. */
const AUTO_ORDER: Exclude<BackendPreference, 'auto'>[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
/** The backends worth timing against each other; `cpu` is only the fallback. */
const ACCELERATED: Exclude<BackendPreference, 'auto'>[] = ['tensorflow', 'webgpu', 'wasm'];

/**
 * Activates a tfjs backend and waits until it is ready.
 *
 * `auto` tries, in order: native TensorFlow (`@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`),
 * WebGPU (`@tensorflow/tfjs-backend-webgpu` + `webgpu`, only with a GPU adapter), `wasm` (with
 * {@link registerWasmTrainingKernels}) and finally `cpu`; every skipped option is reported through
 * `log`. An explicit preference either succeeds or throws.
 *
 * With `options.probe`, `auto` instead activates every accelerated backend it can and, when more
 * than one is available, times the probe on each (see {@link chooseFastestBackend}) and keeps the
 * fastest; the reason then lists the measurements.
 *
 * @param preference the backend to use, or `auto`
 * @param log optional sink for progress / fallback messages
 * @param options a probe that makes `auto` measure instead of trusting the fixed order
 * @returns what was activated and why
 * @throws Error naming the package(s) to install when an explicit preference is unavailable
 */
export async function selectBackend(
  preference: BackendPreference = 'auto',
  log?: (msg: string) => void,
  options: SelectBackendOptions = {},
): Promise<BackendInfo> {
  if (preference === 'auto' && options.probe) return selectMeasured(options.probe, options, log);
  if (preference !== 'auto') {
    const attempt = ATTEMPTS[preference];
    if (attempt == null)
      throw new MlopsError('MLOPS_ERR_CONFIG_INVALID', `Unknown backend '${String(preference)}'`, {
        hint: 'Set train.backend to auto, tensorflow, webgpu, wasm or cpu.',
      });
    const info = await attempt(preference, options);
    log?.(`tfjs backend: ${info.name} (${info.reason})`);
    return info;
  }
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const info = await ATTEMPTS[name]('auto', options);
      const reason = skipped.length > 0 ? `${info.reason}; skipped: ${skipped.join('; ')}` : info.reason;
      log?.(`tfjs backend: ${info.name} (${info.reason})`);
      return { ...info, reason };
    } catch (err) {
      const msg = messageOf(err);
      skipped.push(`${name}: ${msg}`);
      log?.(`tfjs backend: ${name} not available: ${msg}`);
    }
  }
  throw tfjsErrors.create(
    'MLOPS_TFJS_ERR_NO_BACKEND',
    `No tfjs backend could be initialised: ${skipped.join('; ')}`,
    {
      hint: 'Install @tensorflow/tfjs-node@^4.22.0, or reinstall @tensorflow/tfjs-backend-wasm@4.22.0 (each failure is listed).',
    },
  );
}

/** `auto` with a probe: all available accelerated backends, timed when there are several. */
async function selectMeasured(
  probe: BackendProbe,
  options: SelectBackendOptions,
  log?: (msg: string) => void,
): Promise<BackendInfo> {
  const skipped: string[] = [];
  const available: BackendInfo[] = [];
  for (const name of ACCELERATED) {
    try {
      available.push(await ATTEMPTS[name]('auto', options));
    } catch (err) {
      const msg = messageOf(err);
      skipped.push(`${name}: ${msg}`);
      log?.(`tfjs backend: ${name} not available: ${msg}`);
    }
  }
  const withSkipped = (reason: string): string =>
    skipped.length > 0 ? `${reason}; skipped: ${skipped.join('; ')}` : reason;
  if (available.length <= 1) {
    const only = available[0] ?? (await ATTEMPTS.cpu('auto', options));
    // Probing activated later candidates; the one to use must be active again.
    if (!(await activate(only.name))) throw new Error(`tfjs backend ${only.name} failed to re-activate`);
    log?.(`tfjs backend: ${only.name} (${only.reason})`);
    return { ...only, reason: withSkipped(only.reason) };
  }
  const fastest = await chooseFastestBackend(
    available.map((info) => info.name),
    probe,
    {
      activate: async (name) => {
        if (!(await activate(name))) throw new Error(`backend ${name} failed to re-activate`);
        await tf.ready();
        return available.find((info) => info.name === name) as BackendInfo;
      },
      budgetMs: options.probeBudgetMs ?? DEFAULT_PROBE_BUDGET_MS,
      ...(log ? { log } : {}),
    },
  );
  return { ...fastest.info, reason: withSkipped(fastest.info.reason), measurements: fastest.measurements };
}
