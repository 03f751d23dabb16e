import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type SymbolicTensor, model as tfModel } from '@tensorflow/tfjs-layers';
import { it } from 'vitest';
import { modelParameterCount } from '../../src/model-io/index.js';
import { buildModel } from '../../src/models/registry.js';
import { readSafetensors } from '../../src/pretrained/safetensors.js';
import { expectedTimmTensors, loadTimmStateDict } from '../../src/pretrained/timm-weights.js';
import { nchwToNhwc, readFixtureJson, readFloats, TIMM_FIXTURES } from '../pretrained/timm-fixtures.js';

it('scratch', async () => {
  await tf.setBackend('cpu');
  const full = buildModel('mobilenetv4_hybrid_medium', {
    numClasses: 1000,
    inputSize: 32,
    inputChannels: 3,
    seed: 1,
  });
  console.log('params', modelParameterCount(full), full.countParams());
  const listing = readFixtureJson<any>('state-dict-keys.json').models.mobilenetv4_hybrid_medium;
  const ours = expectedTimmTensors(full);
  const theirs = new Map<string, number[]>(
    Object.entries(listing.tensors)
      .filter(([k]) => !k.endsWith('num_batches_tracked'))
      .map(([k, v]: any) => [k, v.shape]),
  );
  const missing = [...theirs.keys()].filter((k) => !ours.has(k));
  const extra = [...ours.keys()].filter((k) => !theirs.has(k));
  const bad = [...ours.keys()].filter(
    (k) => theirs.has(k) && JSON.stringify(theirs.get(k)) !== JSON.stringify(ours.get(k)),
  );
  console.log(
    'missing',
    missing.slice(0, 10),
    missing.length,
    'extra',
    extra.slice(0, 10),
    extra.length,
    'bad',
    bad.slice(0, 10),
  );
  full.dispose();

  const arch = 'mobilenetv4_hybrid_medium_tiny';
  const expected = readFixtureJson<any>(arch, 'expected.json');
  const m = buildModel('mobilenetv4_hybrid_medium', {
    numClasses: 4,
    inputSize: 64,
    inputChannels: 3,
    widthMultiplier: 0.125,
    seed: 1,
  });
  const { tensors, file } = await readSafetensors(join(TIMM_FIXTURES, arch, 'model.safetensors'));
  const report = loadTimmStateDict(m, tensors, { file, headLayers: ['classifier'], head: { mode: 'keep' } });
  console.log('loaded', report.loaded.length, 'ignored', report.ignored.length, tensors.size);
  const shape = expected.input.shape;
  const x = tf.tensor(nchwToNhwc(readFloats(arch, expected.input.file), shape), [
    shape[0],
    shape[2],
    shape[3],
    shape[1],
  ]);
  const names: string[] = expected.intermediates.map((i: any) => i.name);
  const outs: SymbolicTensor[] = [];
  const used: string[] = [];
  for (const n of names) {
    // block output = last layer whose name starts with n
    const layers = m.layers.filter((l) => l.name === n || l.name.startsWith(`${n}.`));
    let layer = layers.at(-1);
    if (n === 'bn1') layer = m.getLayer('bn1.act');
    if (n === 'norm_head') layer = m.getLayer('norm_head.act');
    if (!layer) continue;
    used.push(n);
    outs.push(layer.output as SymbolicTensor);
  }
  const probe = tfModel({ inputs: m.inputs, outputs: outs });
  const results = probe.predict(x) as tf.Tensor[];
  for (const [i, n] of used.entries()) {
    const r = results[i]!;
    const want = expected.intermediates.find((e: any) => e.name === n);
    const v = r.shape.length === 4 ? tf.transpose(r, [0, 3, 1, 2]) : r;
    const b0 = Array.from(tf.slice(v, [0], [1]).dataSync());
    const mean = b0.reduce((a, c) => a + c, 0) / b0.length;
    const absMax = Math.max(...b0.map(Math.abs));
    console.log(
      n,
      JSON.stringify(r.shape),
      'mean',
      mean.toFixed(6),
      want.mean0.toFixed(6),
      'absMax',
      absMax.toFixed(5),
      want.absMax0.toFixed(5),
      'first',
      b0
        .slice(0, 4)
        .map((z) => z.toFixed(5))
        .join(','),
      want.first0.map((z: number) => z.toFixed(5)).join(','),
    );
  }
  const logits = m.predict(x) as tf.Tensor;
  const probs = tf.softmax(logits);
  console.log('logits', logits.arraySync(), expected.logits);
  const p = probs.arraySync() as number[][];
  let maxd = 0;
  p.forEach((row, i) =>
    row.forEach((v, j) => {
      maxd = Math.max(maxd, Math.abs(v - expected.probabilities[i][j]));
    }),
  );
  const l = logits.arraySync() as number[][];
  let maxl = 0;
  l.forEach((row, i) =>
    row.forEach((v, j) => {
      maxl = Math.max(maxl, Math.abs(v - expected.logits[i][j]));
    }),
  );
  console.log('max |dp|', maxd, 'max |dlogit|', maxl);
});
