import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlopsError } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, getArchitecture } from '../../src/models/registry.js';
import { readSafetensors, type SafetensorsTensor } from '../../src/pretrained/safetensors.js';
import { planHead, readTimmConfig } from '../../src/pretrained/timm-config.js';
import { expectedTimmTensors, loadTimmStateDict } from '../../src/pretrained/timm-weights.js';
import {
  type ExpectedOutputs,
  nchwToNhwc,
  readFixtureJson,
  readFloats,
  TIMM_FIXTURES,
} from './timm-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const scratch = mkdtempSync(join(tmpdir(), 'mlops-timm-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ARCHS = ['mobilenetv4_conv_small_035', 'mobilenetv4_conv_small_050'] as const;

function build(arch: string, numClasses = 4, inputSize = 64): LayersModel {
  return buildModel(arch, { numClasses, inputSize, inputChannels: 3, seed: 1 });
}

/** Softmax of the model on the fixture's input (`folder`: the fixture folder, default the architecture). */
async function probabilities(
  model: LayersModel,
  expected: ExpectedOutputs,
  folder = expected.architecture,
): Promise<number[][]> {
  const shape = expected.input.shape;
  const x = tf.tensor(nchwToNhwc(readFloats(folder, expected.input.file), shape), [
    shape[0],
    shape[2],
    shape[3],
    shape[1],
  ]);
  const logits = model.predict(x) as tf.Tensor;
  const probs = tf.softmax(logits);
  const out = (await probs.array()) as number[][];
  tf.dispose([x, logits, probs]);
  return out;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      max = Math.max(max, Math.abs(v - (b[i]?.[j] as number)));
    });
  });
  return max;
}

describe.each(ARCHS)('%s from a timm checkpoint', (arch) => {
  const expected = readFixtureJson<ExpectedOutputs>(arch, 'expected.json');

  it('gives timm’s probabilities (max |Δp| ≤ 1e-4, float32)', async () => {
    const { tensors, file } = await readSafetensors(join(TIMM_FIXTURES, arch, 'model.safetensors'));
    const model = build(arch);
    const report = loadTimmStateDict(model, tensors, {
      file,
      headLayers: ['classifier'],
      head: { mode: 'keep' },
    });
    const got = await probabilities(model, expected);
    model.dispose();
    expect(maxAbsDiff(got, expected.probabilities)).toBeLessThanOrEqual(1e-4);
    // every tensor but the BN counters was used, and nothing was left out
    expect(report.loaded.length + report.ignored.length).toBe(tensors.size);
    expect(report.ignored.every((key) => key.endsWith('num_batches_tracked'))).toBe(true);
    expect(report.reinitialized).toEqual([]);
  });

  it('re-orders the classifier rows when the dataset lists the labels in another order', async () => {
    const { tensors, file } = await readSafetensors(join(TIMM_FIXTURES, arch, 'model.safetensors'));
    const config = await readTimmConfig(join(TIMM_FIXTURES, arch, 'config.json'));
    const classes = ['fish', 'cat', 'bird', 'dog'];
    const head = planHead(classes, config);
    expect(head.mode).toBe('reorder');
    const model = build(arch);
    loadTimmStateDict(model, tensors, { file, headLayers: [config.classifier], head });
    const got = await probabilities(model, expected);
    model.dispose();
    const permuted = expected.probabilities.map((row) =>
      classes.map((name) => row[config.labelNames?.indexOf(name) ?? -1] as number),
    );
    expect(maxAbsDiff(got, permuted)).toBeLessThanOrEqual(1e-4);
  });
});

/** timm's per-block output summary in `expected.json` (batch element 0, NCHW). */
interface BlockSummary {
  name: string;
  shape: number[];
  mean0: number;
  absMax0: number;
  first0: number[];
}

/**
 * The output of timm module `name` in our graph: the last layer (topological order) named `name`
 * or `name.*` — a block ends in its add, layer scale or projection BN; `bn1` and `norm_head` in
 * their ReLU (timm's BatchNormAct2d), `global_pool` in the reshape back to 1×1.
 */
function moduleOutput(model: LayersModel, name: string): SymbolicTensor {
  const layer = model.layers.filter((l) => l.name === name || l.name.startsWith(`${name}.`)).at(-1);
  if (!layer) throw new Error(`no layer for timm module ${name}`);
  return layer.output as SymbolicTensor;
}

describe('mobilenetv4_hybrid_medium (×0.125, MQA) from a timm checkpoint', () => {
  const fixture = 'mobilenetv4_hybrid_medium_tiny';
  const expected = readFixtureJson<ExpectedOutputs & { intermediates: BlockSummary[] }>(
    fixture,
    'expected.json',
  );
  const buildTiny = () =>
    buildModel('mobilenetv4_hybrid_medium', {
      numClasses: 4,
      inputSize: 64,
      inputChannels: 3,
      widthMultiplier: 0.125,
      seed: 1,
    });

  it('gives timm’s probabilities (max |Δp| ≤ 1e-4, float32) and loads every tensor', async () => {
    const { tensors, file } = await readSafetensors(join(TIMM_FIXTURES, fixture, 'model.safetensors'));
    const model = buildTiny();
    const report = loadTimmStateDict(model, tensors, {
      file,
      headLayers: ['classifier'],
      head: { mode: 'keep' },
    });
    expect(report.loaded).toContain('blocks.2.4.attn.key.down_conv.weight');
    expect(report.loaded).toContain('blocks.3.7.layer_scale.gamma');
    expect(report.loaded.length + report.ignored.length).toBe(tensors.size);
    expect(report.ignored.every((key) => key.endsWith('num_batches_tracked'))).toBe(true);
    const got = await probabilities(model, expected, fixture);
    model.dispose();
    // Measured on the cpu backend: 1.6e-6 (logits within 2e-5 of timm's).
    expect(maxAbsDiff(got, expected.probabilities)).toBeLessThanOrEqual(1e-4);
  });

  it('matches timm block by block (stem, every er/uir/mqa block, head)', async () => {
    const { tensors, file } = await readSafetensors(join(TIMM_FIXTURES, fixture, 'model.safetensors'));
    const model = buildTiny();
    loadTimmStateDict(model, tensors, { file, headLayers: ['classifier'], head: { mode: 'keep' } });
    const probe = functionalModel({
      inputs: model.inputs,
      outputs: expected.intermediates.map(({ name }) => moduleOutput(model, name)),
    });
    const shape = expected.input.shape;
    const x = tf.tensor(nchwToNhwc(readFloats(fixture, expected.input.file), shape), [
      shape[0],
      shape[2],
      shape[3],
      shape[1],
    ]);
    const outputs = probe.predict(x) as tf.Tensor[];
    expected.intermediates.forEach((want, i) => {
      const nhwc = outputs[i] as tf.Tensor4D;
      const [, h, w, c] = nhwc.shape;
      expect([2, c, h, w], want.name).toEqual(want.shape);
      const first = tf.tidy(() => tf.slice(tf.transpose(nhwc, [0, 3, 1, 2]), [0], [1]).dataSync());
      const mean = first.reduce((a, v) => a + v, 0) / first.length;
      const absMax = first.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      const worst = Math.max(
        Math.abs(mean - want.mean0),
        Math.abs(absMax - want.absMax0),
        ...want.first0.map((v, j) => Math.abs((first[j] as number) - v)),
      );
      expect(worst, want.name).toBeLessThan(1e-4);
    });
    tf.dispose([x, ...outputs]);
    model.dispose();
  });

  it('registers timm’s default pretrained checkpoint and input size', () => {
    const cfgs = readFixtureJson<{
      models: Record<string, { hf_hub_id: string; input_size: number[]; classifier: string }>;
    }>('pretrained-cfgs.json');
    const cfg = cfgs.models.mobilenetv4_hybrid_medium!;
    const { info } = getArchitecture('mobilenetv4_hybrid_medium');
    expect(info.pretrainedHubId).toBe(cfg.hf_hub_id);
    expect(info.defaultInputSize).toBe(cfg.input_size[2]);
    expect(info.headLayers).toEqual([cfg.classifier]);
  });
});

describe('loadTimmStateDict', () => {
  const arch = 'mobilenetv4_conv_small_035';
  const weights = join(TIMM_FIXTURES, arch, 'model.safetensors');

  it('re-initializes the classifier for other classes and loads everything else', async () => {
    const { tensors } = await readSafetensors(weights);
    const config = await readTimmConfig(join(TIMM_FIXTURES, arch, 'config.json'));
    const head = planHead(['car', 'bus', 'van'], config);
    expect(head).toMatchObject({ mode: 'reset' });
    const model = build(arch, 3);
    const before = model.getLayer('classifier').getWeights()[0]!.dataSync().slice();
    const report = loadTimmStateDict(model, tensors, { file: weights, headLayers: ['classifier'], head });
    expect(report.reinitialized).toEqual(['classifier']);
    expect(report.ignored).toContain('classifier.weight');
    expect(report.loaded).toContain('conv_stem.weight');
    expect(model.getLayer('classifier').getWeights()[0]!.dataSync()).toEqual(before);
    const stem = model.getLayer('conv_stem').getWeights()[0]!;
    // conv_stem OIHW [32,3,3,3] → HWIO [3,3,3,32]: element (o=5, i=1, h=2, w=0)
    const torch = tensors.get('conv_stem.weight')!;
    const hwio = stem.arraySync() as number[][][][];
    expect(hwio[2]![0]![1]![5]).toBe(torch.values[((5 * 3 + 1) * 3 + 2) * 3]);
    model.dispose();
  });

  it('is strict: missing, unexpected and mis-shaped tensors are listed in one error and nothing is loaded', async () => {
    const { tensors } = await readSafetensors(weights);
    const broken = new Map<string, SafetensorsTensor>(tensors);
    broken.delete('blocks.2.1.pw_exp.conv.weight');
    broken.set('blocks.9.0.extra.weight', { dtype: 'F32', shape: [1], values: new Float32Array(1) });
    const model = build(arch);
    const before = model.getLayer('conv_stem').getWeights()[0]!.dataSync().slice();
    let error: unknown;
    try {
      loadTimmStateDict(model, broken, { file: weights, headLayers: ['classifier'], head: { mode: 'keep' } });
    } catch (e) {
      error = e;
    }
    expect(isMlopsError(error, 'MLOPS_ERR_CHECKPOINT_MISMATCH')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(weights);
    expect(message).toContain('missing from the checkpoint (1): blocks.2.1.pw_exp.conv.weight');
    expect(message).toContain('in the checkpoint but not in the model (1): blocks.9.0.extra.weight');
    expect(model.getLayer('conv_stem').getWeights()[0]!.dataSync()).toEqual(before);
    model.dispose();
  });

  it('names the shapes that do not fit another width of the same architecture', async () => {
    const { tensors } = await readSafetensors(weights);
    const model = build('mobilenetv4_conv_small_050');
    expect(() =>
      loadTimmStateDict(model, tensors, {
        file: weights,
        headLayers: ['classifier'],
        head: { mode: 'keep' },
      }),
    ).toThrow('blocks.1.0.conv.weight [32,16,3,3] (model needs [48,16,3,3])');
    model.dispose();
  });

  it('adapts an RGB stem to grayscale input as timm’s adapt_input_conv does (sum over channels)', async () => {
    const { tensors } = await readSafetensors(weights);
    const model = buildModel(arch, { numClasses: 4, inputSize: 32, inputChannels: 1, seed: 1 });
    const report = loadTimmStateDict(model, tensors, {
      file: weights,
      headLayers: ['classifier'],
      head: { mode: 'keep' },
    });
    expect(report.adaptedInputConv).toEqual({ key: 'conv_stem.weight', from: 3, to: 1 });
    const stem = model.getLayer('conv_stem').getWeights()[0]!.arraySync() as number[][][][];
    const torch = tensors.get('conv_stem.weight')!;
    const sum = [0, 1, 2].reduce(
      (acc, i) => acc + (torch.values[((7 * 3 + i) * 3 + 1) * 3 + 2] as number),
      0,
    );
    expect(stem[1]![2]![0]![7]).toBeCloseTo(sum, 6);
    model.dispose();
  });
});

describe('the zoo’s state dicts are timm’s (full-size models, keys and shapes)', () => {
  const listing = readFixtureJson<{
    models: Record<string, { numClasses: number; tensors: Record<string, { shape: number[] }> }>;
  }>('state-dict-keys.json');
  it.each([
    'mobilenetv4_conv_small',
    'mobilenetv4_conv_small_050',
    'mobilenetv4_conv_small_035',
    'mobilenetv4_hybrid_medium',
  ])('%s at 1000 classes', (arch) => {
    const timm = listing.models[arch]!;
    const model = buildModel(arch, {
      numClasses: timm.numClasses,
      inputSize: 32,
      inputChannels: 3,
      seed: 1,
    });
    const ours = expectedTimmTensors(model);
    model.dispose();
    const theirs = Object.fromEntries(
      Object.entries(timm.tensors)
        .filter(([key]) => !key.endsWith('num_batches_tracked'))
        .map(([key, { shape }]) => [key, shape]),
    );
    expect(Object.fromEntries(ours)).toEqual(theirs);
  });
});

describe('readSafetensors', () => {
  it('reads timm’s file: F32 weights and I64 counters', async () => {
    const { tensors, metadata } = await readSafetensors(
      join(TIMM_FIXTURES, 'mobilenetv4_conv_small_035', 'model.safetensors'),
    );
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('conv_stem.weight')).toMatchObject({ dtype: 'F32', shape: [32, 3, 3, 3] });
    expect(tensors.get('bn1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
  });

  it('rejects a truncated download with a coded error naming the file', async () => {
    const source = join(TIMM_FIXTURES, 'mobilenetv4_conv_small_035', 'model.safetensors');
    const truncated = join(scratch, 'truncated.safetensors');
    writeFileSync(truncated, readFileSync(source).subarray(0, 100_000));
    await expect(readSafetensors(truncated)).rejects.toSatisfy(
      (e: unknown) =>
        isMlopsError(e, 'MLOPS_ERR_CHECKPOINT_INVALID') && (e as Error).message.includes(truncated),
    );
  });

  it('rejects a Git LFS pointer file (what a clone without LFS leaves)', async () => {
    const pointer = join(scratch, 'pointer.safetensors');
    writeFileSync(pointer, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
    await expect(readSafetensors(pointer)).rejects.toSatisfy((e: unknown) =>
      isMlopsError(e, 'MLOPS_ERR_CHECKPOINT_INVALID'),
    );
  });

  it('widens F16 and BF16 to float32', async () => {
    const header = JSON.stringify({
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
    });
    const data = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f]); // 1.0, -2.0 (f16); 1.0 (bf16)
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const file = join(scratch, 'half.safetensors');
    writeFileSync(file, Buffer.concat([len, Buffer.from(header), data]));
    const { tensors } = await readSafetensors(file);
    expect([...tensors.get('h')!.values]).toEqual([1, -2]);
    expect([...tensors.get('b')!.values]).toEqual([1]);
  });
});
