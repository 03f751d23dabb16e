import { layers, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { MultiQueryAttention } from './attention.js';
import type {
  BlockSpec,
  ConvBnActSpec,
  EdgeResidualSpec,
  MaxPoolSpec,
  MqaSpec,
  UirSpec,
} from './block-spec.js';
import { DropPath } from './drop-path.js';
import { xavierConvInitializer } from './initializers.js';
import { applyLayer, BATCH_NORM, channelsOf, convBn, pointwiseConv } from './layer-helpers.js';
import { LayerScale } from './layer-scale.js';
import { makeDivisible, roundChannels } from './make-divisible.js';

/** Context shared by every block of one build. */
export interface BlockContext {
  /** Layer-name prefix of this block, e.g. `blocks.2.0` (timm's module path). */
  readonly name: string;
  readonly widthMultiplier: number;
  readonly seed: number | undefined;
  /**
   * Stochastic-depth rate of this block's residual branch (timm's per-block `drop_path_rate`);
   * 0 or absent: no `DropPath` layer. Ignored by blocks without a residual add.
   */
  readonly dropPath?: number;
  /**
   * timm's `layer_scale_init_value`: when set, `uir` and `mqa` blocks end with a `LayerScale`
   * (`<block>.layer_scale`, gamma initialised to this value) — on every such block, with or
   * without a residual add, as timm does. Absent: no layer scale (MobileNetV4 conv models).
   */
  readonly layerScale?: number;
}

/** The block's `LayerScale` when the network uses layer scale (see `BlockContext.layerScale`). */
function layerScale(ctx: BlockContext, x: SymbolicTensor): SymbolicTensor {
  if (ctx.layerScale === undefined) return x;
  return applyLayer(new LayerScale({ initValue: ctx.layerScale, name: `${ctx.name}.layer_scale` }), x);
}

/**
 * `shortcut + drop_path(x)`, as timm's blocks end: the `DropPath` layer (`<block>.drop_path`) is
 * only added when the block's rate is above 0, so models without stochastic depth keep the graph
 * they always had.
 */
function residual(ctx: BlockContext, shortcut: SymbolicTensor, x: SymbolicTensor): SymbolicTensor {
  const rate = ctx.dropPath ?? 0;
  if (rate > 0) x = applyLayer(new DropPath({ rate, name: `${ctx.name}.drop_path` }), x);
  return applyLayer(layers.add({ name: `${ctx.name}.add` }), [x, shortcut]);
}

function convBnActBlock(x: SymbolicTensor, spec: ConvBnActSpec, ctx: BlockContext): SymbolicTensor {
  const outChannels = roundChannels(spec.channels, ctx.widthMultiplier);
  const shortcut = x;
  const y = convBn(x, {
    convName: `${ctx.name}.conv`,
    bnName: `${ctx.name}.bn1`,
    kernel: spec.kernel,
    stride: spec.stride,
    filters: outChannels,
    relu: true,
    seed: ctx.seed,
  });
  const hasSkip = spec.skip && spec.stride === 1 && channelsOf(shortcut) === outChannels;
  return hasSkip ? residual(ctx, shortcut, y) : y;
}

/**
 * Universal Inverted Residual, as timm's `UniversalInvertedResidual`:
 *   [dw_start: DW a×a + BN] → pw_exp: 1×1 expand + BN + ReLU → [dw_mid: DW k×k + BN + ReLU]
 *   → pw_proj: 1×1 project + BN → [layer_scale (hybrid models)]
 *   → (+ shortcut when stride 1 and channels match).
 * The stride sits on dw_mid, or on dw_start when there is no dw_mid.
 */
function uirBlock(x: SymbolicTensor, spec: UirSpec, ctx: BlockContext): SymbolicTensor {
  const inChannels = channelsOf(x);
  const outChannels = roundChannels(spec.channels, ctx.widthMultiplier);
  const midChannels = makeDivisible(inChannels * spec.expandRatio);
  const shortcut = x;
  const part = (suffix: string) => ({
    convName: `${ctx.name}.${suffix}.conv`,
    bnName: `${ctx.name}.${suffix}.bn`,
  });
  if (spec.startKernel > 0) {
    const stride = spec.midKernel > 0 ? 1 : spec.stride;
    x = convBn(x, {
      ...part('dw_start'),
      kernel: spec.startKernel,
      stride,
      filters: 'depthwise',
      relu: false,
      seed: ctx.seed,
    });
  }
  x = convBn(x, {
    ...part('pw_exp'),
    kernel: 1,
    stride: 1,
    filters: midChannels,
    relu: true,
    seed: ctx.seed,
  });
  if (spec.midKernel > 0) {
    x = convBn(x, {
      ...part('dw_mid'),
      kernel: spec.midKernel,
      stride: spec.stride,
      filters: 'depthwise',
      relu: true,
      seed: ctx.seed,
    });
  }
  x = convBn(x, {
    ...part('pw_proj'),
    kernel: 1,
    stride: 1,
    filters: outChannels,
    relu: false,
    seed: ctx.seed,
  });
  x = layerScale(ctx, x);
  const hasSkip = !spec.noskip && spec.stride === 1 && inChannels === outChannels;
  return hasSkip ? residual(ctx, shortcut, x) : x;
}

/**
 * Fused inverted residual ("FusedIB"), as timm's `EdgeResidual`:
 *   conv_exp: k×k conv (stride here) to `make_divisible(in · e)` + bn1 + ReLU
 *   → conv_pwl: 1×1 project + bn2 → (+ shortcut when stride 1 and channels match).
 * No layer scale: timm's `EdgeResidual` has none, even in the hybrid models.
 */
function edgeResidualBlock(x: SymbolicTensor, spec: EdgeResidualSpec, ctx: BlockContext): SymbolicTensor {
  const inChannels = channelsOf(x);
  const outChannels = roundChannels(spec.channels, ctx.widthMultiplier);
  const shortcut = x;
  x = convBn(x, {
    convName: `${ctx.name}.conv_exp`,
    bnName: `${ctx.name}.bn1`,
    kernel: spec.kernel,
    stride: spec.stride,
    filters: makeDivisible(inChannels * spec.expandRatio),
    relu: true,
    seed: ctx.seed,
  });
  x = convBn(x, {
    convName: `${ctx.name}.conv_pwl`,
    bnName: `${ctx.name}.bn2`,
    kernel: 1,
    stride: 1,
    filters: outChannels,
    relu: false,
    seed: ctx.seed,
  });
  const hasSkip = !spec.noskip && spec.stride === 1 && inChannels === outChannels;
  return hasSkip ? residual(ctx, shortcut, x) : x;
}

/**
 * Mobile multi-query attention, as timm's `MobileAttention` with `MultiQueryAttention2d`:
 *   norm: BN → attn: query.proj 1×1 → `heads·d`;
 *                    key: [down_conv DW k×k stride v + norm: BN] → proj 1×1 → d;
 *                    value: the same with its own weights;
 *                    softmax(q kᵀ / √d) v per head (a `MultiQueryAttention` layer, `<block>.attn`)
 *                    → output.proj 1×1 → channels
 *   → [layer_scale (hybrid models)] → (+ shortcut when channels match).
 * Projections are bias-free and start from Glorot-uniform, as timm's `init_weights`.
 */
function mqaBlock(x: SymbolicTensor, spec: MqaSpec, ctx: BlockContext): SymbolicTensor {
  const inChannels = channelsOf(x);
  const outChannels = roundChannels(spec.channels, ctx.widthMultiplier);
  const shortcut = x;
  const attn = `${ctx.name}.attn`;
  const init = (name: string) => xavierConvInitializer(ctx.seed, name);
  const proj = (input: SymbolicTensor, name: string, filters: number) =>
    pointwiseConv(input, { name, filters, seed: ctx.seed, initializer: init(name) });
  x = applyLayer(layers.batchNormalization({ ...BATCH_NORM, name: `${ctx.name}.norm` }), x);
  const keyValue = (part: 'key' | 'value', dim: number) => {
    let y = x;
    if (spec.kvStride > 1) {
      const convName = `${attn}.${part}.down_conv`;
      y = convBn(y, {
        convName,
        bnName: `${attn}.${part}.norm`,
        kernel: spec.kernel,
        stride: spec.kvStride,
        filters: 'depthwise',
        relu: false,
        seed: ctx.seed,
        initializer: init(convName),
      });
    }
    return proj(y, `${attn}.${part}.proj`, dim);
  };
  const q = proj(x, `${attn}.query.proj`, spec.heads * spec.keyDim);
  const k = keyValue('key', spec.keyDim);
  const v = keyValue('value', spec.keyDim);
  const core = new MultiQueryAttention({
    numHeads: spec.heads,
    keyDim: spec.keyDim,
    valueDim: spec.keyDim,
    name: attn,
  });
  x = proj(applyLayer(core, [q, k, v]), `${attn}.output.proj`, outChannels);
  x = layerScale(ctx, x);
  const hasSkip = !spec.noskip && inChannels === outChannels;
  return hasSkip ? residual(ctx, shortcut, x) : x;
}

function maxPoolBlock(x: SymbolicTensor, spec: MaxPoolSpec, ctx: BlockContext): SymbolicTensor {
  // 'same' so odd or tiny feature maps never shrink to zero.
  const pool = layers.maxPooling2d({
    poolSize: spec.kernel,
    strides: spec.stride,
    padding: 'same',
    name: ctx.name,
  });
  return applyLayer(pool, x);
}

/** Appends one block to the graph and returns its output. */
export function buildBlock(x: SymbolicTensor, spec: BlockSpec, ctx: BlockContext): SymbolicTensor {
  switch (spec.type) {
    case 'cn':
      return convBnActBlock(x, spec, ctx);
    case 'uir':
      return uirBlock(x, spec, ctx);
    case 'er':
      return edgeResidualBlock(x, spec, ctx);
    case 'mqa':
      return mqaBlock(x, spec, ctx);
    case 'mp':
      return maxPoolBlock(x, spec, ctx);
  }
}

/** Whether a block ends in a residual add, given its input channel count and the width multiplier. */
export function blockHasResidual(spec: BlockSpec, inChannels: number, widthMultiplier: number): boolean {
  if (spec.type === 'mp' || spec.stride !== 1) return false;
  const sameChannels = inChannels === roundChannels(spec.channels, widthMultiplier);
  return sameChannels && (spec.type === 'cn' ? spec.skip : !spec.noskip);
}
