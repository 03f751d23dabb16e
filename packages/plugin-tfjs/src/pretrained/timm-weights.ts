import { MlopsError } from '@mlops/core';
import { type Tensor, tensor } from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { SafetensorsTensor } from './safetensors.js';

type Layer = LayersModel['layers'][number];

/** What to do with the checkpoint's classifier. */
export type HeadPlan =
  /** Copy it as it is (the dataset's classes are the checkpoint's labels, in the same order). */
  | { readonly mode: 'keep' }
  /** Copy it with rows re-ordered: output `i` takes the checkpoint's row `order[i]`. */
  | { readonly mode: 'reorder'; readonly order: readonly number[] }
  /** Leave the model's fresh initialisation (new classes, or `model.resetHead`). */
  | { readonly mode: 'reset' };

/** Options of {@link loadTimmStateDict}. */
export interface LoadTimmStateDictOptions {
  /** The checkpoint file, for messages. */
  readonly file: string;
  /** Layers that form the classifier (timm's `pretrained_cfg.classifier`), e.g. `['classifier']`. */
  readonly headLayers: readonly string[];
  /** What to do with them. */
  readonly head: HeadPlan;
}

/** What {@link loadTimmStateDict} did, for logs and the run record. */
export interface TimmLoadReport {
  /** State-dict keys copied into the model. */
  readonly loaded: string[];
  /** Model layers left at their fresh initialisation (the classifier when it was reset). */
  readonly reinitialized: string[];
  /** State-dict keys deliberately not used (`num_batches_tracked`, a reset classifier). */
  readonly ignored: string[];
  /** How the classifier was handled. */
  readonly head: HeadPlan['mode'];
  /** Set when the stem was adapted to another input channel count, as timm's `adapt_input_conv` does. */
  readonly adaptedInputConv?: { readonly key: string; readonly from: number; readonly to: number };
}

/** One model weight and the state-dict key and layout it comes from. */
interface WeightSource {
  readonly key: string;
  /** PyTorch layout → tfjs layout. */
  readonly layout: 'conv' | 'depthwise' | 'dense' | 'vector';
}

/**
 * Per tfjs layer class: the state-dict source of each of the layer's weights, by the weight's
 * own name (`kernel`, `gamma`, …). timm's module paths are the zoo's layer names, so the key is
 * `<layer name>.<parameter>`.
 */
const WEIGHT_SOURCES: Record<string, Record<string, Omit<WeightSource, 'key'> & { param: string }>> = {
  Conv2D: { kernel: { param: 'weight', layout: 'conv' }, bias: { param: 'bias', layout: 'vector' } },
  DepthwiseConv2D: {
    depthwise_kernel: { param: 'weight', layout: 'depthwise' },
    bias: { param: 'bias', layout: 'vector' },
  },
  BatchNormalization: {
    gamma: { param: 'weight', layout: 'vector' },
    beta: { param: 'bias', layout: 'vector' },
    moving_mean: { param: 'running_mean', layout: 'vector' },
    moving_variance: { param: 'running_var', layout: 'vector' },
  },
  Dense: { kernel: { param: 'weight', layout: 'dense' }, bias: { param: 'bias', layout: 'vector' } },
  // timm's LayerScale2d (`<block>.layer_scale.gamma`), MobileNetV4 hybrids.
  LayerScale: { gamma: { param: 'gamma', layout: 'vector' } },
};

/** What to do when a model's layers have no timm counterpart (not a model-zoo architecture). */
const ZOO_ONLY_HINT =
  'timm weights load into the model-zoo architectures only: train this one from scratch (leave out model.initialCheckpoint and model.pretrained).';

/** State-dict keys that carry no weights a model needs. */
function isBookkeeping(key: string): boolean {
  return key.endsWith('.num_batches_tracked');
}

function weightSuffix(name: string): string {
  // tfjs names weights `<layer>/<weight>` and may append `_<n>` to keep names unique.
  const last = name.slice(name.lastIndexOf('/') + 1);
  return last.replace(/_\d+$/, '');
}

function sourcesOf(layer: Layer): WeightSource[] | undefined {
  const table = WEIGHT_SOURCES[layer.getClassName()];
  if (!table) return undefined;
  return layer.weights.map((weight) => {
    const suffix = weightSuffix(weight.originalName);
    const entry = table[suffix];
    if (!entry) {
      throw new MlopsError(
        'MLOPS_ERR_CHECKPOINT_MISMATCH',
        `no timm parameter for weight ${weight.originalName} of ${layer.getClassName()}`,
        {
          hint: ZOO_ONLY_HINT,
        },
      );
    }
    return { key: `${layer.name}.${entry.param}`, layout: entry.layout };
  });
}

/** The PyTorch shape a tfjs weight of `shape` must have in the checkpoint. */
function expectedTorchShape(layout: WeightSource['layout'], shape: readonly number[]): number[] {
  switch (layout) {
    case 'conv': {
      const [kh, kw, cin, cout] = shape as [number, number, number, number];
      return [cout, cin, kh, kw];
    }
    case 'depthwise': {
      const [kh, kw, channels] = shape as [number, number, number, number];
      return [channels, 1, kh, kw];
    }
    case 'dense': {
      const [cin, cout] = shape as [number, number];
      return [cout, cin];
    }
    case 'vector':
      return [...shape];
  }
}

/** OIHW → HWIO. */
function convToTfjs(values: Float32Array, [o, i, kh, kw]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let oc = 0; oc < (o as number); oc++)
    for (let ic = 0; ic < (i as number); ic++)
      for (let h = 0; h < (kh as number); h++)
        for (let w = 0; w < (kw as number); w++) {
          out[((h * (kw as number) + w) * (i as number) + ic) * (o as number) + oc] = values[
            ((oc * (i as number) + ic) * (kh as number) + h) * (kw as number) + w
          ] as number;
        }
  return out;
}

/** [C, 1, kh, kw] → [kh, kw, C, 1]. */
function depthwiseToTfjs(values: Float32Array, [c, , kh, kw]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let ch = 0; ch < (c as number); ch++)
    for (let h = 0; h < (kh as number); h++)
      for (let w = 0; w < (kw as number); w++) {
        out[(h * (kw as number) + w) * (c as number) + ch] = values[
          (ch * (kh as number) + h) * (kw as number) + w
        ] as number;
      }
  return out;
}

/** [out, in] → [in, out]. */
function denseToTfjs(values: Float32Array, [o, i]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < (o as number); r++)
    for (let c = 0; c < (i as number); c++)
      out[c * (o as number) + r] = values[r * (i as number) + c] as number;
  return out;
}

/**
 * timm's `adapt_input_conv`: a stem trained on RGB used on grayscale sums its kernel over the
 * input channels; a grayscale stem used on RGB repeats it, scaled by 1/3. Returns the adapted
 * OIHW values, or undefined when no such adaptation applies.
 */
function adaptInputConv(t: SafetensorsTensor, wantIn: number): Float32Array | undefined {
  const [o, i, kh, kw] = t.shape as [number, number, number, number];
  const plane = kh * kw;
  if (i === 3 && wantIn === 1) {
    const out = new Float32Array(o * plane);
    for (let oc = 0; oc < o; oc++)
      for (let ic = 0; ic < 3; ic++)
        for (let p = 0; p < plane; p++)
          out[oc * plane + p] =
            (out[oc * plane + p] as number) + (t.values[(oc * 3 + ic) * plane + p] as number);
    return out;
  }
  if (i === 1 && wantIn === 3) {
    const out = new Float32Array(o * 3 * plane);
    for (let oc = 0; oc < o; oc++)
      for (let ic = 0; ic < 3; ic++)
        for (let p = 0; p < plane; p++)
          out[(oc * 3 + ic) * plane + p] = (t.values[oc * plane + p] as number) / 3;
    return out;
  }
  return undefined;
}

/** Re-orders the outer dimension (rows of a `[classes, …]` tensor): row `i` ← row `order[i]`. */
function reorderRows(values: Float32Array, rows: number, order: readonly number[]): Float32Array {
  const width = values.length / rows;
  const out = new Float32Array(values.length);
  order.forEach((from, to) => {
    out.set(values.subarray(from * width, (from + 1) * width), to * width);
  });
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function listed(title: string, items: string[]): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, 12).join(', ');
  return `\n  ${title} (${items.length}): ${shown}${items.length > 12 ? `, … ${items.length - 12} more` : ''}`;
}

/**
 * Copies a timm state dict into a zoo model whose layer names are timm's module paths. Every
 * weight is taken by name and converted to tfjs's layout (conv OIHW → HWIO, depthwise
 * `[C,1,k,k]` → `[k,k,C,1]`, linear `[out,in]` → `[in,out]`, BatchNorm weight/bias/running
 * statistics as they are); `num_batches_tracked` is ignored. Strict: a model weight the
 * checkpoint lacks, a checkpoint tensor the model has no place for, or a shape that does not fit
 * is an error listing all of them, and nothing is loaded. The classifier follows `head`.
 */
export function loadTimmStateDict(
  model: LayersModel,
  stateDict: ReadonlyMap<string, SafetensorsTensor>,
  options: LoadTimmStateDictOptions,
): TimmLoadReport {
  const headLayers = new Set(options.headLayers);
  const missing: string[] = [];
  const misshaped: string[] = [];
  const used = new Set<string>();
  const reinitialized: string[] = [];
  const assignments: { layer: Layer; values: Tensor[] }[] = [];
  let adaptedInputConv: TimmLoadReport['adaptedInputConv'];
  const unsupported: string[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const sources = sourcesOf(layer);
    if (!sources) {
      unsupported.push(`${layer.name} (${layer.getClassName()})`);
      continue;
    }
    const isHead = headLayers.has(layer.name);
    if (isHead && options.head.mode === 'reset') {
      reinitialized.push(layer.name);
      continue;
    }
    const values: Float32Array[] = [];
    let complete = true;
    layer.weights.forEach((weight, index) => {
      const source = sources[index] as WeightSource;
      const found = stateDict.get(source.key);
      if (!found) {
        missing.push(source.key);
        complete = false;
        return;
      }
      used.add(source.key);
      const want = expectedTorchShape(source.layout, weight.shape as number[]);
      let data = found.values;
      let shape = [...found.shape];
      if (
        !sameShape(shape, want) &&
        source.layout === 'conv' &&
        shape.length === 4 &&
        sameShape([shape[0], shape[2], shape[3]] as number[], [want[0], want[2], want[3]] as number[])
      ) {
        const adapted = adaptInputConv(found, want[1] as number);
        if (adapted) {
          adaptedInputConv = { key: source.key, from: shape[1] as number, to: want[1] as number };
          data = adapted;
          shape = want;
        }
      }
      if (!sameShape(shape, want)) {
        misshaped.push(`${source.key} [${found.shape.join(',')}] (model needs [${want.join(',')}])`);
        complete = false;
        return;
      }
      if (isHead && options.head.mode === 'reorder')
        data = reorderRows(data, shape[0] as number, options.head.order);
      switch (source.layout) {
        case 'conv':
          values.push(convToTfjs(data, shape));
          break;
        case 'depthwise':
          values.push(depthwiseToTfjs(data, shape));
          break;
        case 'dense':
          values.push(denseToTfjs(data, shape));
          break;
        case 'vector':
          values.push(data);
          break;
      }
    });
    if (complete) {
      assignments.push({
        layer,
        values: layer.weights.map((weight, index) =>
          tensor(values[index] as Float32Array, weight.shape as number[], 'float32'),
        ),
      });
    }
  }
  const ignored: string[] = [];
  const unexpected: string[] = [];
  const headPrefixes = [...headLayers].map((name) => `${name}.`);
  for (const key of stateDict.keys()) {
    if (used.has(key)) continue;
    if (
      isBookkeeping(key) ||
      (options.head.mode === 'reset' && headPrefixes.some((p) => key.startsWith(p)))
    ) {
      ignored.push(key);
    } else {
      unexpected.push(key);
    }
  }
  if (missing.length + misshaped.length + unexpected.length + unsupported.length > 0) {
    for (const { values } of assignments) for (const t of values) t.dispose();
    throw new MlopsError(
      'MLOPS_ERR_CHECKPOINT_MISMATCH',
      `${options.file} does not fit ${model.name}:${listed('missing from the checkpoint', missing)}${listed('shapes that do not fit', misshaped)}${listed('in the checkpoint but not in the model', unexpected)}${listed('layers the timm loader cannot map', unsupported)}`,
      {
        file: options.file,
        hint: 'check that model.architecture (and model.widthMultiplier) match the checkpoint\'s "architecture" in its config.json; a different class count is handled by re-initializing the classifier, anything else means another architecture',
      },
    );
  }
  for (const { layer, values } of assignments) {
    layer.setWeights(values);
    for (const t of values) t.dispose();
  }
  return {
    loaded: [...used].sort(),
    reinitialized,
    ignored: ignored.sort(),
    head: options.head.mode,
    ...(adaptedInputConv ? { adaptedInputConv } : {}),
  };
}

/**
 * The state dict a model expects from timm: every key and its PyTorch shape (without
 * `num_batches_tracked`). Lets a test or a tool check a checkpoint's key list without its weights.
 */
export function expectedTimmTensors(model: LayersModel): Map<string, number[]> {
  const expected = new Map<string, number[]>();
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const sources = sourcesOf(layer);
    if (!sources)
      throw new MlopsError(
        'MLOPS_ERR_CHECKPOINT_MISMATCH',
        `layer ${layer.name} (${layer.getClassName()}) has no timm mapping`,
        {
          hint: ZOO_ONLY_HINT,
        },
      );
    layer.weights.forEach((weight, index) => {
      const source = sources[index] as WeightSource;
      expected.set(source.key, expectedTorchShape(source.layout, weight.shape as number[]));
    });
  }
  return expected;
}
