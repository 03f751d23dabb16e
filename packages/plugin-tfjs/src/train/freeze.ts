import { MlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

type Layer = LayersModel['layers'][number];

/**
 * What `train.freeze` names: `backbone` (every layer but the head layers) or layer-name patterns.
 * Structurally `TrainConfig['freeze']`.
 */
export type FreezeSpec = 'backbone' | readonly string[];

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles layer-name patterns: `*` matches any run of characters (dots included), everything
 * else literally. A pattern matches a layer named by it and every layer below it in timm's module
 * path — `blocks.1` matches `blocks.1.0.conv` as `blocks.1.*` does, as freezing a module in timm
 * freezes its submodules — but not `blocks.10.0.conv`.
 */
export function layerNameMatcher(patterns: readonly string[]): (layerName: string) => boolean {
  const expressions = patterns.map(
    (pattern) => new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}(?:\\..*)?$`),
  );
  return (layerName) => expressions.some((re) => re.test(layerName));
}

/** The layers a {@link FreezeSpec} freezes. */
export interface FrozenSelection {
  /** Frozen layers that own weights, in model order. */
  layers: Layer[];
  /** Patterns that matched no layer with weights (typos, or layers this architecture lacks). */
  unmatched: string[];
}

function isBatchNorm(layer: Layer): boolean {
  return layer.getClassName() === 'BatchNormalization';
}

/**
 * Resolves `spec` against `model`: `backbone` selects every layer with weights except those
 * matched by `headLayers` (the architecture's class-count dependent layers, `classifier` for every
 * built-in one), which must exist; patterns select the layers with weights they match (see
 * {@link layerNameMatcher}).
 */
export function selectFrozenLayers(
  model: LayersModel,
  spec: FreezeSpec,
  headLayers: readonly string[],
): FrozenSelection {
  const withWeights = model.layers.filter((layer) => layer.weights.length > 0);
  if (spec === 'backbone') {
    const isHead = layerNameMatcher(headLayers);
    const head = withWeights.filter((layer) => isHead(layer.name));
    if (head.length === 0) {
      throw new MlopsError(
        'MLOPS_ERR_CONFIG_INVALID',
        `train.freeze: 'backbone' keeps the head layers (${headLayers.join(', ') || 'none given'}) trainable, but the model has none of them`,
        { hint: 'list the layers to freeze instead, e.g. train.freeze: [conv_stem, bn1, "blocks.*"]' },
      );
    }
    return { layers: withWeights.filter((layer) => !isHead(layer.name)), unmatched: [] };
  }
  const unmatched = spec.filter((pattern) => !withWeights.some((l) => layerNameMatcher([pattern])(l.name)));
  const matches = layerNameMatcher(spec);
  return { layers: withWeights.filter((layer) => matches(layer.name)), unmatched };
}

function variablesOf(layer: Layer, trainableOnly: boolean): tf.Variable[] {
  const weights = trainableOnly ? layer.trainableWeights : layer.weights;
  return weights.map((w) => {
    const value = w.read();
    if (!(value instanceof tf.Variable)) throw new Error(`Weight ${w.name} is not backed by a tf.Variable`);
    return value;
  });
}

type LayerCall = Layer['call'];

/**
 * Freezes and unfreezes a fixed selection of layers of a model, the way timm's `freeze` does
 * (`requires_grad = False` plus `freeze_batch_norm_2d`):
 * - the trainer leaves the frozen layers' trainable weights out of the gradient computation, so
 *   the optimizer (weight decay included) never touches them, and keeps their EMA shadows as they
 *   are ({@link frozenWeights});
 * - frozen BatchNorm layers run in inference mode even in a training step: they normalize with
 *   their moving mean/variance and do not update them. tfjs-layers' BatchNormalization ignores
 *   `trainable` here, so {@link freeze} overrides `call` on those layer instances to force
 *   `training: false`, and {@link unfreeze} removes the override.
 *
 * The layers' `trainable` flags are not touched, so a saved checkpoint is an ordinary model.
 */
export class LayerFreezer {
  /** The frozen selection. */
  readonly layers: readonly Layer[];
  /** Trainable weights of the frozen layers. */
  readonly frozenParams: ReadonlySet<tf.Variable>;
  /** Every weight of the frozen layers (trainable ones and BatchNorm moving statistics). */
  readonly frozenWeights: ReadonlySet<tf.Variable>;
  /** Parameters (trainable elements) of the frozen layers. */
  readonly frozenParamCount: number;
  private readonly batchNorms: readonly Layer[];
  /** Own `call` properties the BatchNorm layers had before {@link freeze} (normally none). */
  private readonly saved = new Map<Layer, PropertyDescriptor | undefined>();
  private active = false;

  /** Prepares to freeze `layers` (from {@link selectFrozenLayers}); nothing changes until {@link freeze}. */
  constructor(layers: readonly Layer[]) {
    this.layers = [...layers];
    const params = this.layers.flatMap((layer) => variablesOf(layer, true));
    this.frozenParams = new Set(params);
    this.frozenWeights = new Set(this.layers.flatMap((layer) => variablesOf(layer, false)));
    this.frozenParamCount = params.reduce((n, p) => n + p.size, 0);
    this.batchNorms = this.layers.filter(isBatchNorm);
  }

  /** Whether the layers are frozen now. */
  get frozen(): boolean {
    return this.active;
  }

  /** The params among `params` that train while frozen (those outside the frozen layers). */
  trainableParams(params: readonly tf.Variable[]): tf.Variable[] {
    return params.filter((p) => !this.frozenParams.has(p));
  }

  /** Puts the frozen BatchNorm layers in inference mode (idempotent). */
  freeze(): void {
    if (this.active) return;
    for (const layer of this.batchNorms) {
      this.saved.set(layer, Object.getOwnPropertyDescriptor(layer, 'call'));
      const original: LayerCall = layer.call.bind(layer);
      const inference: LayerCall = (inputs, kwargs) => original(inputs, { ...kwargs, training: false });
      Object.defineProperty(layer, 'call', { value: inference, configurable: true, writable: true });
    }
    this.active = true;
  }

  /** Restores the BatchNorm layers' own `call` (idempotent). */
  unfreeze(): void {
    if (!this.active) return;
    for (const layer of this.batchNorms) {
      const own = this.saved.get(layer);
      if (own) Object.defineProperty(layer, 'call', own);
      else Reflect.deleteProperty(layer, 'call');
    }
    this.saved.clear();
    this.active = false;
  }
}
