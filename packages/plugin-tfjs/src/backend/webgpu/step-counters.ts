/**
 * Counts what a training step costs a tfjs backend, without changing what it does: tfjs kernel
 * invocations (by name), and on `webgpu` the GPU work behind them — compute dispatches, buffer
 * creations, host→GPU uploads, GPU→host readbacks, buffer-to-buffer copies and queue submits.
 *
 * It wraps methods of the engine and of the active backend's objects rather than using
 * `tf.profile`: `tf.profile` times every kernel (`backend.time` — on WebGPU a timestamp query
 * and a submit per kernel) and, with tfjs's default `CHECK_COMPUTATION_FOR_ERRORS`, reads every
 * kernel's output back to the host, which is exactly the per-kernel synchronization being
 * measured. The wrappers only increment counters.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Counts since the last {@link StepCounters.reset}. */
export interface StepCounts {
  /** tfjs kernel invocations (forward ops, gradient ops, custom kernels). */
  kernels: number;
  /** The same, by kernel name. */
  kernelsByName: Record<string, number>;
  /** WebGPU compute dispatches (`runWebGPUProgram` calls); null on other backends. */
  dispatches: number | null;
  /** New GPU buffers (`device.createBuffer`, the buffer manager's misses); null off WebGPU. */
  bufferCreations: number | null;
  /** Host→device uploads (WebGPU: staged tensor uploads and `queue.writeBuffer`; else `backend.write`). */
  uploads: number;
  /** Bytes of those uploads where known (WebGPU `queue.writeBuffer` and staged tensors). */
  uploadBytes: number;
  /** Device→host readbacks (WebGPU: `getBufferData`, one mapped staging buffer each; else `read`/`readSync`). */
  readbacks: number;
  /** WebGPU `copyBufferToBuffer` commands; null off WebGPU. */
  copies: number | null;
  /** WebGPU `queue.submit` calls; null off WebGPU. */
  submits: number | null;
}

/** Live counters installed by {@link installStepCounters}. */
export interface StepCounters {
  /** Counts so far (a copy). */
  snapshot(): StepCounts;
  /** Sets every count to zero. */
  reset(): void;
  /** Removes the wrappers (idempotent). */
  uninstall(): void;
}

type AnyFn = (...args: unknown[]) => unknown;
type Patchable = Record<string, unknown>;

/**
 * Wraps the engine and the active backend (call after `tf.setBackend`). Only one set of counters
 * should be installed at a time.
 */
export function installStepCounters(): StepCounters {
  const engine = tf.engine() as unknown as Patchable;
  const backend = tf.backend() as unknown as Patchable;
  const isWebGpu = tf.getBackend() === 'webgpu';
  let counts = zero(isWebGpu);
  const restore: (() => void)[] = [];

  /** Calls `before` (and `after`, once the synchronous part has returned) around `target[name]`. */
  function patch(
    target: Patchable | undefined,
    name: string,
    before: (args: unknown[]) => void,
    after?: () => void,
  ): void {
    if (target == null || typeof target[name] !== 'function') return;
    const own = Object.hasOwn(target, name);
    const original = target[name] as AnyFn;
    target[name] = function (this: Patchable, ...args: unknown[]) {
      before(args);
      try {
        return original.apply(this, args);
      } finally {
        after?.();
      }
    };
    restore.push(() => {
      if (own) target[name] = original;
      else delete target[name];
    });
  }

  patch(engine, 'runKernelFunc', ([params]) => {
    const name = (params as { kernelName?: string }).kernelName;
    if (name === undefined) return;
    counts.kernels += 1;
    counts.kernelsByName[name] = (counts.kernelsByName[name] ?? 0) + 1;
  });
  if (!isWebGpu) {
    // A backend's `read` may call its own `readSync` (cpu does): one readback, counted once.
    let reading = 0;
    patch(
      backend,
      'read',
      () => {
        counts.readbacks += 1;
        reading += 1;
      },
      () => {
        reading -= 1;
      },
    );
    patch(backend, 'readSync', () => {
      if (reading === 0) counts.readbacks += 1;
    });
  }
  if (isWebGpu) {
    const device = backend.device as Patchable;
    const queue = backend.queue as Patchable;
    const tensorMap = backend.tensorMap as {
      get(id: object): { values?: unknown; resource?: unknown; shape: number[] };
    };
    patch(backend, 'runWebGPUProgram', () => {
      counts.dispatches! += 1;
    });
    patch(backend, 'uploadToGPU', ([dataId]) => {
      const data = tensorMap.get(dataId as object);
      if (data?.resource == null && data?.values != null) {
        counts.uploads += 1;
        counts.uploadBytes += (data.values as ArrayLike<number> & { byteLength?: number }).byteLength ?? 0;
      }
    });
    patch(device, 'createBuffer', () => {
      counts.bufferCreations! += 1;
    });
    patch(queue, 'writeBuffer', (args) => {
      counts.uploads += 1;
      const data = args[2] as { byteLength?: number } | undefined;
      const size = args[4] as number | undefined;
      counts.uploadBytes += size ?? data?.byteLength ?? 0;
    });
    patch(queue, 'submit', () => {
      counts.submits! += 1;
    });
    // Command encoders are created per submit: wrap each one's copy command as it is made (an
    // encoder already open at installation is not seen; measure after a submit).
    const create = device.createCommandEncoder as AnyFn | undefined;
    if (typeof create === 'function') {
      const own = Object.hasOwn(device, 'createCommandEncoder');
      device.createCommandEncoder = function (this: Patchable, ...args: unknown[]) {
        const encoder = create.apply(this, args) as Patchable;
        const copy = encoder.copyBufferToBuffer as AnyFn;
        encoder.copyBufferToBuffer = function (this: Patchable, ...copyArgs: unknown[]) {
          counts.copies! += 1;
          return copy.apply(this, copyArgs);
        };
        return encoder;
      };
      restore.push(() => {
        if (own) device.createCommandEncoder = create;
        else delete device.createCommandEncoder;
      });
    }
    // Every WebGPU readback (`read`, `tf.data`) maps a staging buffer here.
    patch(backend, 'getBufferData', () => {
      counts.readbacks += 1;
    });
  } else {
    patch(backend, 'write', () => {
      counts.uploads += 1;
    });
  }

  let installed = true;
  return {
    snapshot: () => ({ ...counts, kernelsByName: { ...counts.kernelsByName } }),
    reset: () => {
      counts = zero(isWebGpu);
    },
    uninstall: () => {
      if (!installed) return;
      installed = false;
      for (const undo of restore.reverse()) undo();
    },
  };
}

function zero(isWebGpu: boolean): StepCounts {
  const gpu = isWebGpu ? 0 : null;
  return {
    kernels: 0,
    kernelsByName: {},
    dispatches: gpu,
    bufferCreations: gpu,
    uploads: 0,
    uploadBytes: 0,
    readbacks: 0,
    copies: gpu,
    submits: gpu,
  };
}

/** `after − before`, field by field (kernel names included). */
export function diffCounts(after: StepCounts, before: StepCounts): StepCounts {
  const sub = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  const kernelsByName: Record<string, number> = {};
  for (const [name, n] of Object.entries(after.kernelsByName)) {
    const d = n - (before.kernelsByName[name] ?? 0);
    if (d !== 0) kernelsByName[name] = d;
  }
  return {
    kernels: after.kernels - before.kernels,
    kernelsByName,
    dispatches: sub(after.dispatches, before.dispatches),
    bufferCreations: sub(after.bufferCreations, before.bufferCreations),
    uploads: after.uploads - before.uploads,
    uploadBytes: after.uploadBytes - before.uploadBytes,
    readbacks: after.readbacks - before.readbacks,
    copies: sub(after.copies, before.copies),
    submits: sub(after.submits, before.submits),
  };
}
