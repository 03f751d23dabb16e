/**
 * Worker threads that run this package's own wasm SIMD loops (`wasm-kernels/simd-kernels.ts`) on
 * the threaded tfjs-wasm backend's shared heap, so that the training kernels written here use every
 * core the way XNNPACK's own kernels do.
 *
 * Each worker instantiates the same compiled SIMD module against the backend's shared
 * `WebAssembly.Memory`; a job is a list of tasks (an exported function and its i32 arguments —
 * heap addresses and sizes), written to a SharedArrayBuffer. The calling thread wakes the workers
 * (`Atomics.notify`), takes tasks itself, and returns once all are done. Tasks are claimed one at a
 * time with a compare-and-swap on a 64-bit word that packs the job's number, its task count and the
 * next task, so a worker that wakes late can never take a task of a later job. Idle workers sleep
 * in `Atomics.wait` (no CPU) and never keep the process alive.
 *
 * Which thread runs a task does not change what it computes: every task writes its own outputs, so
 * results are the same for any number of threads (kernels that reduce split their sums into a
 * fixed number of partial sums, independent of the thread count, combined in order).
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Most tasks in one job (the 16-bit fields of the claim word). */
export const MAX_TASKS = 0xffff;
/** Arguments a task can pass (functions taking fewer ignore the rest). */
export const MAX_TASK_ARGS = 10;

// Layout of the control buffer, in 32-bit words (the claim word is the 64-bit word 0).
const EPOCH = 2;
const DONE = 3;
const QUIT = 4;
const FAILED = 5;
const TABLE = 8;
const STRIDE = 1 + MAX_TASK_ARGS;

/** A `WebAssembly.Memory`, as far as used here. */
export interface SharedMemoryLike {
  readonly buffer: ArrayBufferLike;
}

/** What each worker runs: claim tasks of the job it was woken for until none is left. */
function workerSource(): string {
  return `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names, port } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const fns = names.map((name) => instance.exports[name]);
const i32 = new Int32Array(control);
const claim = new BigUint64Array(control, 0, 1);
function work(epoch) {
  const tag = BigInt(epoch >>> 0);
  for (;;) {
    const cur = Atomics.load(claim, 0);
    if (cur >> 32n !== tag) return;
    const count = Number((cur >> 16n) & 0xffffn);
    const i = Number(cur & 0xffffn);
    if (i >= count) return;
    if (Atomics.compareExchange(claim, 0, cur, cur + 1n) !== cur) continue;
    const o = ${TABLE} + i * ${STRIDE};
    try {
      fns[i32[o]](${Array.from({ length: MAX_TASK_ARGS }, (_, k) => `i32[o + ${k + 1}]`).join(', ')});
    } catch (error) {
      Atomics.add(i32, ${FAILED}, 1);
      port.postMessage(String(error && error.stack || error));
    }
    if (Atomics.add(i32, ${DONE}, 1) + 1 === count) Atomics.notify(i32, ${DONE});
  }
}
let seen = 0;
for (;;) {
  Atomics.wait(i32, ${EPOCH}, seen);
  seen = Atomics.load(i32, ${EPOCH});
  if (Atomics.load(i32, ${QUIT}) !== 0) break;
  work(seen);
}
port.close();
`;
}

/**
 * A pool of `size` worker threads (the calling thread works too, so a job runs on `size + 1`
 * threads) over one compiled module and one shared memory.
 */
export class KernelPool {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly i32: Int32Array;
  private readonly claim: BigUint64Array;
  private epoch = 0;
  private closed = false;

  /**
   * @param module the compiled SIMD module (imports `env.memory`, shared)
   * @param memory the backend's shared memory
   * @param names exported functions tasks may call, by index
   * @param local the same functions instantiated in this thread
   * @param size worker threads to start
   */
  constructor(
    module: object,
    memory: SharedMemoryLike,
    private readonly names: readonly string[],
    private readonly local: readonly ((...args: number[]) => void)[],
    readonly size: number,
  ) {
    const control = new SharedArrayBuffer(4 * (TABLE + MAX_TASKS * STRIDE));
    this.i32 = new Int32Array(control);
    this.claim = new BigUint64Array(control, 0, 1);
    const source = workerSource();
    for (let w = 0; w < size; w++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(source, {
        eval: true,
        name: `mlops-wasm-kernels-${w}`,
        workerData: { module, memory, control, names, port: port2 },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /** Index of an exported function, for {@link run}. */
  indexOf(name: string): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new Error(`wasm kernel pool: unknown function ${name}`);
    return i;
  }

  /**
   * Runs `fn` once per argument list in `tasks`, spread over the workers and this thread, and
   * returns when all have finished. The tasks must write disjoint outputs.
   * @throws Error when a task traps (e.g. an out-of-bounds address), after all tasks ended
   */
  run(fn: number, tasks: readonly (readonly number[])[]): void {
    const count = tasks.length;
    if (count === 0) return;
    if (this.closed || this.size === 0 || count === 1) {
      for (const args of tasks) this.local[fn]!(...args);
      return;
    }
    if (count > MAX_TASKS) throw new Error(`wasm kernel pool: ${count} tasks, at most ${MAX_TASKS}`);
    const i32 = this.i32;
    for (let i = 0; i < count; i++) {
      const args = tasks[i]!;
      if (args.length > MAX_TASK_ARGS) throw new Error('wasm kernel pool: too many task arguments');
      const o = TABLE + i * STRIDE;
      i32[o] = fn;
      for (let k = 0; k < MAX_TASK_ARGS; k++) i32[o + 1 + k] = args[k] ?? 0;
    }
    Atomics.store(i32, DONE, 0);
    Atomics.store(i32, FAILED, 0);
    this.epoch = (this.epoch + 1) >>> 0 || 1;
    const tag = BigInt(this.epoch);
    Atomics.store(this.claim, 0, (tag << 32n) | (BigInt(count) << 16n));
    Atomics.store(i32, EPOCH, this.epoch | 0);
    Atomics.notify(i32, EPOCH);
    let failure: unknown;
    try {
      this.work(tag);
    } catch (error) {
      failure = error;
    }
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(i32, DONE);
      if (done >= count) break;
      // A worker finishing a task is usually microseconds away; sleep only when it is not.
      if (spins > 200) Atomics.wait(i32, DONE, done, 20);
    }
    if (failure !== undefined) throw failure;
    if (Atomics.load(i32, FAILED) !== 0) {
      const messages: string[] = [];
      for (const port of this.ports) {
        for (let m = receiveMessageOnPort(port); m != null; m = receiveMessageOnPort(port)) {
          messages.push(String(m.message));
        }
      }
      throw new Error(
        `wasm kernel pool: a task of ${this.names[fn]} failed: ${messages[0] ?? 'unknown error'}`,
      );
    }
  }

  /** This thread's share: claim tasks until none is left. */
  private work(tag: bigint): void {
    const i32 = this.i32;
    const claim = this.claim;
    for (;;) {
      const cur = Atomics.load(claim, 0);
      if (cur >> 32n !== tag) return;
      const count = Number((cur >> 16n) & 0xffffn);
      const i = Number(cur & 0xffffn);
      if (i >= count) return;
      if (Atomics.compareExchange(claim, 0, cur, cur + 1n) !== cur) continue;
      const o = TABLE + i * STRIDE;
      try {
        this.local[i32[o]!]!(
          i32[o + 1]!,
          i32[o + 2]!,
          i32[o + 3]!,
          i32[o + 4]!,
          i32[o + 5]!,
          i32[o + 6]!,
          i32[o + 7]!,
          i32[o + 8]!,
          i32[o + 9]!,
          i32[o + 10]!,
        );
      } finally {
        // Counted even when it throws, so that the caller's wait ends; it rethrows afterwards.
        Atomics.add(i32, DONE, 1);
      }
    }
  }

  /** Stops the workers (a job in progress is not interrupted: call between jobs). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.i32, QUIT, 1);
    Atomics.add(this.i32, EPOCH, 1);
    Atomics.notify(this.i32, EPOCH);
    for (const port of this.ports) port.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
