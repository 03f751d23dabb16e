/**
 * A tiny block-spec language, modelled on timm's `decode_arch_def` strings, so architectures are
 * data (lists of strings) rather than hand-written layer chains.
 *
 * A block string is a type followed by options, separated by `_` or whitespace:
 *   - `cn`  conv + BN + ReLU:            `k` kernel, `s` stride, `c` channels, `skip` to add a residual.
 *   - `uir` Universal Inverted Residual: `a` start-DW kernel (0 = none), `k` mid-DW kernel (0 = none),
 *           `s` stride, `e` expansion ratio, `c` channels, `noskip` to drop the residual.
 *   - `er`  fused inverted residual (timm `EdgeResidual`, "FusedIB"): `k` kernel of the full
 *           expansion conv, `s` stride, `e` expansion ratio, `c` channels, `noskip`.
 *   - `mqa` mobile multi-query attention (timm `MobileAttention` with `MultiQueryAttention2d`):
 *           `h` heads, `d` key/value dim (not scaled by the width multiplier), `v` key/value
 *           stride (1 or 2; default 1) with a `k`×`k` depthwise `down_conv` (`k` default 3),
 *           `c` channels, `noskip`. Stride 1 only (timm's block never downsamples).
 *   - `mp`  max pool:                    `k` pool size, `s` stride (defaults to `k`).
 * Every type accepts `r` (repeat count, default 1; only the first repeat carries the stride) and
 * ignores `e` where it has no meaning (timm writes `e1` on `cn` blocks).
 * Example: `uir_r4_a0_k3_s1_e2_c96` or `uir r4 a0 k3 e2 c96`.
 */

import { tfjsErrors } from '../errors.js';

/** Conv + BatchNorm + ReLU block (timm `ConvBnAct`). */
export interface ConvBnActSpec {
  readonly type: 'cn';
  readonly kernel: number;
  readonly stride: number;
  readonly channels: number;
  /** Residual add when stride is 1 and channels match; timm only adds it when asked. */
  readonly skip: boolean;
}

/** Universal Inverted Residual block (timm `UniversalInvertedResidual`, MobileNetV4). */
export interface UirSpec {
  readonly type: 'uir';
  /** Kernel of the depthwise conv before the expansion; 0 = absent. */
  readonly startKernel: number;
  /** Kernel of the depthwise conv after the expansion; 0 = absent. */
  readonly midKernel: number;
  readonly stride: number;
  readonly expandRatio: number;
  readonly channels: number;
  /** Suppress the residual add even where shapes allow it. */
  readonly noskip: boolean;
}

/** Fused inverted residual (timm `EdgeResidual`): full k×k expansion conv, then 1×1 projection. */
export interface EdgeResidualSpec {
  readonly type: 'er';
  /** Kernel of the expansion conv (which carries the stride). */
  readonly kernel: number;
  readonly stride: number;
  readonly expandRatio: number;
  readonly channels: number;
  /** Suppress the residual add even where shapes allow it. */
  readonly noskip: boolean;
}

/** Mobile multi-query attention block (timm `MobileAttention`, `use_multi_query=True`). */
export interface MqaSpec {
  readonly type: 'mqa';
  /** Query heads. */
  readonly heads: number;
  /** Key and value dimension (timm's `key_dim = value_dim`); not scaled by the width multiplier. */
  readonly keyDim: number;
  /** Stride of the key/value depthwise `down_conv`; 1 = no down-sampling (and no `down_conv`). */
  readonly kvStride: number;
  /** Kernel of the key/value `down_conv` (used when `kvStride` > 1). */
  readonly kernel: number;
  /** Always 1: timm's `MobileAttention` keeps the resolution. */
  readonly stride: number;
  readonly channels: number;
  /** Suppress the residual add even where shapes allow it. */
  readonly noskip: boolean;
}

/** Max-pooling block (no weights). */
export interface MaxPoolSpec {
  readonly type: 'mp';
  readonly kernel: number;
  readonly stride: number;
}

/** Any block the network builder understands. */
export type BlockSpec = ConvBnActSpec | UirSpec | EdgeResidualSpec | MqaSpec | MaxPoolSpec;

const OPTION_RE = /^([a-z])(\d+(?:\.\d+)?)$/;

interface RawOptions {
  readonly values: Map<string, number>;
  readonly flags: Set<string>;
}

function tokenize(text: string): { type: string; options: RawOptions } {
  const [type, ...rest] = text.trim().split(/[_\s]+/);
  const values = new Map<string, number>();
  const flags = new Set<string>();
  for (const token of rest) {
    const match = OPTION_RE.exec(token);
    if (match) {
      values.set(match[1]!, Number(match[2]));
    } else if (token === 'skip' || token === 'noskip') {
      flags.add(token);
    } else {
      throw tfjsErrors.create('MLOPS_TFJS_ERR_BLOCK_SPEC', `Block spec '${text}': unknown option '${token}'`);
    }
  }
  return { type: type ?? '', options: { values, flags } };
}

function checkAllowed(text: string, options: RawOptions, allowed: string): void {
  for (const key of options.values.keys()) {
    if (!allowed.includes(key))
      throw tfjsErrors.create(
        'MLOPS_TFJS_ERR_BLOCK_SPEC',
        `Block spec '${text}': option '${key}' not valid here`,
      );
  }
}

function required(text: string, options: RawOptions, key: string): number {
  const value = options.values.get(key);
  if (value === undefined)
    throw tfjsErrors.create('MLOPS_TFJS_ERR_BLOCK_SPEC', `Block spec '${text}': missing option '${key}'`);
  return value;
}

function checkKernel(text: string, kernel: number, allowZero: boolean): number {
  // Odd kernels only: symmetric (timm/PyTorch) padding needs (k - 1) / 2 on each side.
  const ok = Number.isInteger(kernel) && (kernel % 2 === 1 || (allowZero && kernel === 0));
  if (!ok)
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_BLOCK_SPEC',
      `Block spec '${text}': kernel ${kernel} must be an odd integer${allowZero ? ' or 0' : ''}`,
    );
  return kernel;
}

function checkPositiveInt(text: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_BLOCK_SPEC',
      `Block spec '${text}': ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

function parseOne(text: string): { spec: BlockSpec; repeats: number } {
  const { type, options } = tokenize(text);
  const repeats = checkPositiveInt(text, 'repeat count r', options.values.get('r') ?? 1);
  const stride = checkPositiveInt(text, 'stride s', options.values.get('s') ?? 1);
  switch (type) {
    case 'cn': {
      checkAllowed(text, options, 'rksce');
      const kernel = checkKernel(text, required(text, options, 'k'), false);
      const channels = checkPositiveInt(text, 'channels c', required(text, options, 'c'));
      return { spec: { type, kernel, stride, channels, skip: options.flags.has('skip') }, repeats };
    }
    case 'uir': {
      checkAllowed(text, options, 'raksec');
      const startKernel = checkKernel(text, options.values.get('a') ?? 0, true);
      const midKernel = checkKernel(text, required(text, options, 'k'), true);
      const expandRatio = required(text, options, 'e');
      if (!(expandRatio > 0))
        throw tfjsErrors.create('MLOPS_TFJS_ERR_BLOCK_SPEC', `Block spec '${text}': expansion e must be > 0`);
      const channels = checkPositiveInt(text, 'channels c', required(text, options, 'c'));
      if (stride > 1 && startKernel === 0 && midKernel === 0) {
        throw tfjsErrors.create(
          'MLOPS_TFJS_ERR_BLOCK_SPEC',
          `Block spec '${text}': a strided uir block needs a depthwise conv (a or k)`,
        );
      }
      const noskip = options.flags.has('noskip');
      return { spec: { type, startKernel, midKernel, stride, expandRatio, channels, noskip }, repeats };
    }
    case 'er': {
      checkAllowed(text, options, 'rksec');
      const kernel = checkKernel(text, required(text, options, 'k'), false);
      const expandRatio = required(text, options, 'e');
      if (!(expandRatio > 0))
        throw tfjsErrors.create('MLOPS_TFJS_ERR_BLOCK_SPEC', `Block spec '${text}': expansion e must be > 0`);
      const channels = checkPositiveInt(text, 'channels c', required(text, options, 'c'));
      const noskip = options.flags.has('noskip');
      return { spec: { type, kernel, stride, expandRatio, channels, noskip }, repeats };
    }
    case 'mqa': {
      checkAllowed(text, options, 'rkhvdsc');
      if (stride !== 1) {
        throw tfjsErrors.create(
          'MLOPS_TFJS_ERR_BLOCK_SPEC',
          `Block spec '${text}': mqa blocks keep the resolution (timm's MobileAttention ignores s); use s1, and v for key/value down-sampling`,
        );
      }
      const kernel = checkKernel(text, options.values.get('k') ?? 3, false);
      const heads = checkPositiveInt(text, 'heads h', required(text, options, 'h'));
      const keyDim = checkPositiveInt(text, 'key/value dim d', required(text, options, 'd'));
      const kvStride = checkPositiveInt(text, 'key/value stride v', options.values.get('v') ?? 1);
      if (kvStride > 2)
        throw tfjsErrors.create(
          'MLOPS_TFJS_ERR_BLOCK_SPEC',
          `Block spec '${text}': key/value stride v must be 1 or 2`,
        );
      const channels = checkPositiveInt(text, 'channels c', required(text, options, 'c'));
      const noskip = options.flags.has('noskip');
      return { spec: { type, heads, keyDim, kvStride, kernel, stride, channels, noskip }, repeats };
    }
    case 'mp': {
      checkAllowed(text, options, 'rks');
      const kernel = checkPositiveInt(text, 'pool size k', required(text, options, 'k'));
      return { spec: { type, kernel, stride: options.values.get('s') ?? kernel }, repeats };
    }
    default:
      throw tfjsErrors.create(
        'MLOPS_TFJS_ERR_BLOCK_SPEC',
        `Block spec '${text}': unknown block type '${type}' (expected cn, uir, er, mqa or mp)`,
      );
  }
}

/**
 * Parses one block string into its repeated block specs. As in timm, only the first repeat keeps
 * the stride; the rest use stride 1.
 */
export function parseBlockSpec(text: string): BlockSpec[] {
  const { spec, repeats } = parseOne(text);
  return Array.from({ length: repeats }, (_, i) => (i === 0 ? spec : { ...spec, stride: 1 }));
}

/** Decodes an architecture definition (stages of block strings) into stages of block specs. */
export function decodeStages(stages: readonly (readonly string[])[]): BlockSpec[][] {
  return stages.map((stage) => stage.flatMap(parseBlockSpec));
}
