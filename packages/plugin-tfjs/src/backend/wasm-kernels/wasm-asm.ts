/**
 * A minimal WebAssembly binary writer: just enough to emit a module that imports a memory and
 * exports a few functions made of i32 arithmetic, structured control flow and 128-bit SIMD.
 *
 * It exists so the hottest data-parallel loops of the training kernels can run as wasm SIMD on the
 * tfjs wasm backend's own heap (JS loops reach ~1-2 ns/element here, wasm SIMD several times
 * less), without a build step or a dependency: the module is assembled at runtime from code that
 * reads like the wasm text format (`f.get(x).get(y).op(OP.i32Add)`). Opcodes are from the
 * WebAssembly 2.0 binary format (core + fixed-width SIMD).
 */

/** Value type `i32`. */
export const I32 = 0x7f;
/** Value type `v128`. */
export const V128 = 0x7b;

/** Plain opcodes used by the kernels. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  i32GeS: 0x4e,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const SIMD = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  i32x4Eq: 0x37,
  f32x4Gt: 0x44,
  and: 0x4e,
  bitselect: 0x52,
  f64x2PromoteLowF32x4: 0x5f,
  f32x4Splat: 0x13,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Max: 0xe9,
  f64x2Add: 0xf0,
} as const;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Builds one function body; locals are numbered after the parameters, in declaration order. */
export class FuncBuilder {
  /** Instruction bytes emitted so far. */
  readonly code: number[] = [];
  private readonly localTypes: number[] = [];

  /**
   * @param name export name
   * @param params parameter value types (locals 0..n-1)
   * @param results result value types
   */
  constructor(
    readonly name: string,
    readonly params: number[],
    readonly results: number[] = [],
  ) {}

  /** Declares a local of `type` and returns its index. */
  local(type: number): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  /** Appends raw opcode bytes. */
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  /** `local.get index`. */
  get(index: number): this {
    return this.op(OP.localGet, ...uleb(index));
  }

  /** `local.set index`. */
  set(index: number): this {
    return this.op(OP.localSet, ...uleb(index));
  }

  /** `local.tee index`. */
  tee(index: number): this {
    return this.op(OP.localTee, ...uleb(index));
  }

  /** `i32.const value`. */
  i32(value: number): this {
    return this.op(OP.i32Const, ...sleb(value));
  }

  /** A memory access opcode with alignment hint 0 (always valid) and a static byte offset. */
  mem(opcode: number, offset = 0): this {
    return this.op(opcode, 0, ...uleb(offset));
  }

  /** A SIMD opcode; memory ones take a static byte offset. */
  simd(opcode: number, offset?: number): this {
    this.op(0xfd, ...uleb(opcode));
    if (opcode === SIMD.load || opcode === SIMD.store) this.op(0, ...uleb(offset ?? 0));
    return this;
  }

  /** `v128.const` of all zeros. */
  zeroV128(): this {
    return this.simd(SIMD.const).op(...new Array<number>(16).fill(0));
  }

  /** `v128.const` with the 32-bit pattern `bits` (little-endian) in every lane. */
  splatConst32(bits: number): this {
    const lane = [bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, (bits >>> 24) & 0xff];
    return this.simd(SIMD.const).op(...lane, ...lane, ...lane, ...lane);
  }

  /** `i8x16.shuffle` selecting 32-bit lanes `lanes` (0-3 from the first operand, 4-7 from the second). */
  shuffle32(lanes: [number, number, number, number]): this {
    this.simd(SIMD.shuffle);
    for (const l of lanes) this.op(l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3);
    return this;
  }

  /** `call index`: calls the module's function number `index` (its position in `encodeModule`'s list). */
  call(index: number): this {
    return this.op(OP.call, ...uleb(index));
  }

  /** `local[i] += delta` for an i32 local. */
  addTo(index: number, delta: number): this {
    return this.get(index).i32(delta).op(OP.i32Add).set(index);
  }

  /** `local[i] += local[j]` for i32 locals. */
  addLocal(index: number, other: number): this {
    return this.get(index).get(other).op(OP.i32Add).set(index);
  }

  /**
   * `for (counter = 0; counter < limit; counter++) body()` where `limit` is an i32 local;
   * the body runs inside a block/loop pair and must leave the stack balanced.
   */
  forRange(counter: number, limit: number, body: () => void): this {
    this.i32(0).set(counter);
    this.op(OP.block, 0x40, OP.loop, 0x40);
    this.get(counter).get(limit).op(OP.i32GeS, OP.brIf, 1);
    body();
    this.addTo(counter, 1).op(OP.br, 0, OP.end, OP.end);
    return this;
  }

  /** The encoded body (locals + code + end). */
  encode(): number[] {
    const groups: number[][] = this.localTypes.map((t) => [1, t]);
    const body = [...vec(groups), ...this.code, OP.end];
    return [...uleb(body.length), ...body];
  }
}

/** Pages of the largest wasm32 memory (4 GiB). */
const MAX_PAGES = 65536;

/**
 * Encodes a module importing `env.memory` and exporting `funcs` by name. The import declares no
 * maximum, so any unshared memory matches; with `sharedMemory` it declares a shared memory of at
 * most 4 GiB, which any shared memory (e.g. the threaded tfjs-wasm build's) matches.
 */
export function encodeModule(funcs: FuncBuilder[], options: { sharedMemory?: boolean } = {}): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  // One import: "env" "memory", kind 0x02 (memory), limits 0x00 (min only) = 1 page, or
  // 0x03 (shared, min and max) = 1 .. MAX_PAGES pages.
  const limits = options.sharedMemory ? [0x03, ...uleb(1), ...uleb(MAX_PAGES)] : [0x00, 0x01];
  const imports = vec([[...uleb(3), ...utf8('env'), ...uleb(6), ...utf8('memory'), 0x02, ...limits]]);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(
      7,
      vec(funcs.map((f, i) => [...uleb(utf8(f.name).length), ...utf8(f.name), 0x00, ...uleb(i)])),
    ),
    ...section(10, vec(funcs.map((f) => f.encode()))),
  ];
  return new Uint8Array(bytes);
}
