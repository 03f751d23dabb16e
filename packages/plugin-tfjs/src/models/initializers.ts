import { initializers } from '@tensorflow/tfjs-layers';

/** The initializer type tfjs-layers layer args accept. */
export type Initializer = ReturnType<typeof initializers.zeros>;

/**
 * Derives a per-layer seed from the model seed and the layer name (FNV-1a). Hashing the name —
 * rather than counting layers — gives every layer its own stream, keeps seeds stable when other
 * layers are added, and avoids `seed` and `seed + 1` producing shifted copies of each other.
 */
export function layerSeed(seed: number | undefined, layerName: string): number | undefined {
  if (seed === undefined) return undefined;
  let hash = 0x811c9dc5;
  for (const char of `${seed}:${layerName}`) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * He-normal with fan-out, as timm's `_init_weight_goog` uses for every conv. Fan-out matters for
 * depthwise kernels: tfjs computes fan-in of a `[k, k, C, 1]` kernel as `k·k·C`, which would make
 * the init `√C` times too small, while fan-out is the correct `k·k`.
 */
export function convInitializer(seed: number | undefined, layerName: string): Initializer {
  return initializers.varianceScaling({
    scale: 2,
    mode: 'fanOut',
    distribution: 'normal',
    seed: layerSeed(seed, layerName),
  });
}

/**
 * Glorot-uniform (PyTorch's `xavier_uniform_`) for convolutions, as timm's `MultiQueryAttention2d`
 * initialises its projections and key/value `down_conv`s. tfjs and PyTorch agree on the fans of
 * every kernel it is used on: a 1×1 conv has fans (in, out) in both; a depthwise `[k, k, C, 1]`
 * kernel has tfjs fans (k·k·C, k·k) and PyTorch `[C, 1, k, k]` fans (k·k, C·k·k), the same sum.
 */
export function xavierConvInitializer(seed: number | undefined, layerName: string): Initializer {
  return initializers.glorotUniform({ seed: layerSeed(seed, layerName) });
}

/** Glorot-uniform for dense layers (classifier and hidden fully connected layers). */
export function denseInitializer(seed: number | undefined, layerName: string): Initializer {
  return initializers.glorotUniform({ seed: layerSeed(seed, layerName) });
}
