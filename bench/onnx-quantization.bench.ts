/**
 * Which int8 scheme for the ONNX export: static QDQ (what `@mlops/plugin-onnx` writes) against
 * dynamic quantization (onnxruntime `quantize_dynamic`-style: uint8 weights per tensor,
 * `DynamicQuantizeLinear` + `ConvInteger`/`MatMulInteger` computing activation ranges on every
 * call), next to fp32. For each: file size, top-1 on the example's real test split (decoded by the
 * data stage's cache, exactly as the evaluator sees it) and p50 latency at batch 1 and 32 with one
 * onnxruntime thread.
 *
 *   node bench/run-all.mjs --only onnx-quantization [-- --project examples/image-classifier --images 10000]
 *
 * The model is `--name` (default fashion-mnist) at `--alias` (default latest) in the registry of
 * `--project`: its `tfjs` artifact is converted here, and the run that trained it (its lineage)
 * gives the dataset. Static QDQ is calibrated on 1,000 training images, as the export stage does.
 * `--quick` scores 2,000 images and times 0.5 s per cell.
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DataOutput, LocalArtifactStore, LocalModelRegistry } from '@mlops/core';
import {
  loadDecodedSplit,
  loadModel,
  normalizeUint8,
  resolveNormalize,
  selectBackend,
} from '@mlops/plugin-tfjs';
import {
  calibrateRanges,
  convertLayersModel,
  createSession,
  type GraphNode,
  type Initializer,
  type OnnxModel,
  quantizeQdq,
  runBatch,
  serializeModel,
} from '../packages/plugin-onnx/src/index.js';
import { flag, hasFlag } from './lib/flags.js';

const here = dirname(fileURLToPath(import.meta.url));
const quick = hasFlag('--quick');
const project = resolve(flag('--project', join(here, '..', 'examples', 'image-classifier')));
const modelName = flag('--name', 'fashion-mnist');
const alias = flag('--alias', 'latest');
const limit = Number(flag('--images', quick ? '2000' : '0'));
const seconds = quick ? 0.5 : 2;
const log = (message: string) => process.stderr.write(`[onnx-quantization.bench] ${message}\n`);
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** uint8 per-tensor quantization of weights (zero point wherever the range puts 0). */
function uint8Weights(w: Float32Array): { q: Uint8Array; scale: number; zeroPoint: number } {
  let min = 0;
  let max = 0;
  for (const v of w) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const scale = (max - min) / 255 || 1;
  const zeroPoint = Math.round(-min / scale);
  return {
    q: Uint8Array.from(w, (v) => Math.max(0, Math.min(255, Math.round(v / scale) + zeroPoint))),
    scale,
    zeroPoint,
  };
}

/**
 * The float graph with every Conv/Gemm replaced by the dynamic-quantization pattern onnxruntime's
 * `quantize_dynamic` writes: x → DynamicQuantizeLinear → ConvInteger/MatMulInteger(uint8 weights)
 * → Cast → · (s_x · s_w) → + bias.
 */
function dynamicQuantized(model: OnnxModel): OnnxModel {
  const initializers = new Map(model.initializers);
  const add = (init: Initializer) => initializers.set(init.name, init);
  const nodes: GraphNode[] = [];
  for (const node of model.nodes) {
    const weight = model.initializers.get(node.inputs[1] ?? '');
    const bias = model.initializers.get(node.inputs[2] ?? '');
    if ((node.opType !== 'Conv' && node.opType !== 'Gemm') || !(weight?.data instanceof Float32Array)) {
      nodes.push(node);
      continue;
    }
    const p = `${node.name}_dynamic`;
    let data = weight.data;
    let dims = weight.dims;
    if (node.opType === 'Gemm') {
      // MatMulInteger takes B as [in, out]; the exporter stores [out, in] (transB).
      const [outs, ins] = weight.dims as [number, number];
      data = new Float32Array(outs * ins);
      for (let o = 0; o < outs; o++)
        for (let i = 0; i < ins; i++) data[i * outs + o] = weight.data[o * ins + i] as number;
      dims = [ins, outs];
    }
    const w = uint8Weights(data);
    add({ name: `${p}/w`, dims, data: w.q });
    add({ name: `${p}/w_zero_point`, dims: [], data: Uint8Array.of(w.zeroPoint) });
    add({ name: `${p}/w_scale`, dims: [], data: Float32Array.of(w.scale) });
    const b = (bias?.data as Float32Array | undefined) ?? new Float32Array(dims[0] as number);
    add({ name: `${p}/b`, dims: node.opType === 'Conv' ? [b.length, 1, 1] : [b.length], data: b });
    const integer = node.opType === 'Conv' ? 'ConvInteger' : 'MatMulInteger';
    nodes.push(
      {
        name: `${p}/dql`,
        opType: 'DynamicQuantizeLinear',
        inputs: [node.inputs[0] as string],
        outputs: [`${p}/xq`, `${p}/xs`, `${p}/xzp`],
      },
      {
        name: `${p}/int`,
        opType: integer,
        inputs: [`${p}/xq`, `${p}/w`, `${p}/xzp`, `${p}/w_zero_point`],
        outputs: [`${p}/acc`],
        ...(integer === 'ConvInteger' && node.attributes ? { attributes: node.attributes } : {}),
      },
      {
        name: `${p}/cast`,
        opType: 'Cast',
        inputs: [`${p}/acc`],
        outputs: [`${p}/accf`],
        attributes: { to: { i: 1 } },
      },
      { name: `${p}/scale`, opType: 'Mul', inputs: [`${p}/xs`, `${p}/w_scale`], outputs: [`${p}/s`] },
      { name: `${p}/rescale`, opType: 'Mul', inputs: [`${p}/accf`, `${p}/s`], outputs: [`${p}/y`] },
      {
        name: `${p}/bias`,
        opType: 'Add',
        inputs: [`${p}/y`, `${p}/b`],
        outputs: [node.outputs[0] as string],
      },
    );
    initializers.delete(weight.name);
    if (bias) initializers.delete(bias.name);
  }
  return { ...model, nodes, initializers };
}

async function main(): Promise<void> {
  const root = join(project, '.mlops');
  const store = new LocalArtifactStore(root);
  const version = await new LocalModelRegistry(root).resolve(
    modelName,
    alias === 'latest' ? 'latest' : { alias },
  );
  const tfjsRef = version.artifacts.tfjs;
  const runId = version.lineage.runId;
  if (!tfjsRef || !runId)
    throw new Error(`${modelName}@${alias} has no tfjs artifact or no run in its lineage`);
  const run = JSON.parse(await readFile(join(root, 'runs', runId, 'run.json'), 'utf8')) as {
    stages: { data?: { output?: DataOutput } };
    config: {
      data: { normalize?: { mean: number[]; std: number[] } };
      model: { inputSize: number; inputChannels: 1 | 3 };
    };
  };
  const data = run.stages.data?.output;
  if (!data) throw new Error(`run ${runId} has no data stage output`);
  const { inputSize: size, inputChannels: channels } = run.config.model;
  const stats = resolveNormalize(run.config.data.normalize, channels);
  const load = async (split: string, n: number) => {
    const decoded = await loadDecodedSplit({ store, data, split, size, channels });
    const per = size * size * channels;
    const count = n > 0 ? Math.min(n, decoded.count) : decoded.count;
    const x = new Float32Array(count * per);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const index = Math.floor((i * decoded.count) / count);
      normalizeUint8(decoded.images, index * per, per, x, i * per, stats);
      labels[i] = decoded.labels[index] as number;
    }
    return { x, labels, count };
  };
  await selectBackend('wasm');
  const model = await loadModel(join(await store.localPath(tfjsRef), 'model'));
  const converted = convertLayersModel(model);
  const calibration = await load('train', 1000);
  const test = await load((data.splits.test ?? 0) > 0 ? 'test' : 'validation', limit);
  const ranges = await calibrateRanges(converted.model, [{ x: calibration.x, n: calibration.count }]);
  const variants: Record<string, OnnxModel> = {
    fp32: converted.model,
    'int8-static-qdq': quantizeQdq(converted.model, ranges).model,
    'int8-dynamic': dynamicQuantized(converted.model),
  };
  const shape = [size, size, channels];
  const per = size * size * channels;
  const results: Record<string, Record<string, number>> = {};
  for (const [name, graph] of Object.entries(variants)) {
    const bytes = serializeModel(graph, 'bench');
    const session = await createSession(bytes, name, { intraOp: 1, interOp: 1 });
    let correct = 0;
    for (let start = 0; start < test.count; start += 256) {
      const n = Math.min(256, test.count - start);
      const probs = await runBatch(session, test.x.subarray(start * per, (start + n) * per), [n, ...shape]);
      const classes = probs.length / n;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < classes; c++)
          if ((probs[i * classes + c] as number) > (probs[i * classes + best] as number)) best = c;
        if (best === test.labels[start + i]) correct++;
      }
    }
    const row: Record<string, number> = { bytes: bytes.length, top1: round(correct / test.count, 4) };
    for (const batch of [1, 32]) {
      const x = test.x.subarray(0, batch * per);
      for (let i = 0; i < 20; i++) await runBatch(session, x, [batch, ...shape]);
      const times: number[] = [];
      const begin = performance.now();
      while (performance.now() - begin < seconds * 1000 || times.length < 50) {
        const t = performance.now();
        await runBatch(session, x, [batch, ...shape]);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      row[`p50Ms_batch${batch}`] = round(times[Math.floor(times.length / 2)] as number);
    }
    await session.release();
    results[name] = row;
    log(`${name}: ${JSON.stringify(row)}`);
  }
  process.stdout.write(
    `${JSON.stringify(
      {
        machine: {
          cpus: cpus().length,
          model: cpus()[0]?.model,
          node: process.version,
          loadavg: loadavg().map((l) => round(l, 2)),
        },
        settings: {
          model: `${modelName} v${version.version}`,
          run: runId,
          testImages: test.count,
          calibrationImages: calibration.count,
          threads: 1,
        },
        results,
      },
      null,
      2,
    )}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
