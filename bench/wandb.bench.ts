/**
 * W&B plugin costs, against the test suite's fake W&B server on 127.0.0.1 (so the network is a
 * loopback: these are the plugin's own costs, not W&B's latency). Run with
 * `node bench/run-all.mjs --only wandb` (or `npx jiti bench/wandb.bench.ts`); prints one JSON
 * object. Flags: `--quick` (smaller sizes).
 *
 * - `logging`: time a training loop spends in tracker calls (median of 5 batches of calls):
 *   `logMetrics` with 10 scalars, `logHistogram` of 100k values, `logImage` of a 28×28 PNG.
 *   These only buffer; the disk and network work happens on the flush timer.
 * - `stream`: history rows per second from the spool to the server (`file_stream`, 500 rows per
 *   request), and the time `finish` takes to flush and complete a run of that many rows.
 * - `registry`: registering a model of N MB (MD5 of every file, signed-URL uploads, commit), and
 *   resolving `model@production` on a fresh store (download, MD5 check, store), then again
 *   (download cache: no transfer).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { LocalArtifactStore } from '@mlops/core';
import { WandbClient, WandbModelRegistry, WandbTracker } from '../packages/plugin-wandb/src/index.js';
import { FakeWandbServer } from '../packages/plugin-wandb/test/fake-wandb-server.js';

const quick = process.argv.includes('--quick');
const KEY = 'bench-key-0123456789abcdef0123456789abcdef';
const log = (message: string) => process.stderr.write(`[wandb.bench] ${message}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function png(width: number, height: number): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grayscale
  const rows = Buffer.alloc((width + 1) * height);
  for (let i = 0; i < rows.length; i++) rows[i] = i % (width + 1) === 0 ? 0 : (i * 37) & 0xff;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function main(): Promise<void> {
  const fake = new FakeWandbServer(KEY);
  await fake.start();
  const work = join(process.cwd(), '.bench-wandb');
  await rm(work, { recursive: true, force: true });
  const client = new WandbClient({ baseUrl: fake.url, apiKey: KEY });
  const tracker = (runId: string) =>
    new WandbTracker({
      entity: 'bench',
      project: 'bench',
      mode: 'online',
      spoolRoot: join(work, 'spool', runId),
      connect: async () => client,
      flushIntervalMs: 60_000,
    });

  // Logging overhead on the caller's thread.
  const calls = quick ? 200 : 2000;
  const t = tracker('logging');
  await t.start({ id: 'logging', project: 'bench', config: {}, dir: work });
  const metrics = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`m${i}`, i / 10]));
  const values = Float32Array.from({ length: 100_000 }, (_, i) => Math.sin(i));
  const image = png(28, 28);
  const perCall = (fn: (i: number) => void, n: number) => {
    const samples: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn(batch * n + i);
      samples.push(Number(process.hrtime.bigint() - start) / 1000 / n);
    }
    return round(median(samples), 3);
  };
  const logging = {
    logMetricsMicros: perCall((i) => t.logMetrics(metrics, i), calls),
    logHistogram100kMicros: perCall((i) => t.logHistogram('grad', values, i), quick ? 5 : 20),
    logImage28pxMicros: perCall((i) => t.logImage('sample', image, { step: i }), quick ? 20 : 100),
  };
  await t.finish('succeeded');
  log(`logging ${JSON.stringify(logging)}`);

  // Streaming.
  const rows = quick ? 2000 : 20_000;
  const s = tracker('stream');
  await s.start({ id: 'stream', project: 'bench', config: {}, dir: work });
  for (let step = 0; step < rows; step++) s.logMetrics(metrics, step);
  const finishStart = performance.now();
  await s.finish('succeeded');
  const finishMs = performance.now() - finishStart;
  const received = fake.historyRows('bench', 'bench', 'stream').length;
  const stream = {
    rows,
    received,
    finishMs: round(finishMs, 0),
    rowsPerSecond: round(rows / (finishMs / 1000), 0),
  };
  log(`stream ${JSON.stringify(stream)}`);

  // Registry.
  const megabytes = quick ? 4 : 32;
  const modelDir = join(work, 'model');
  await mkdir(modelDir, { recursive: true });
  await writeFile(join(modelDir, 'model.json'), '{}');
  await writeFile(join(modelDir, 'weights.bin'), Buffer.alloc(megabytes * 1024 * 1024, 3));
  const storeA = new LocalArtifactStore(join(work, 'a'));
  const registryA = new WandbModelRegistry({
    client,
    entity: 'bench',
    project: 'bench',
    store: storeA,
    stateDir: join(work, 'a', 'wandb'),
  });
  const ref = await storeA.putDir(modelDir);
  let start = performance.now();
  await registryA.register({ model: 'bench', artifacts: { tfjs: ref }, aliases: ['production'] });
  const registerMs = performance.now() - start;
  const storeB = new LocalArtifactStore(join(work, 'b'));
  const registryB = new WandbModelRegistry({
    client,
    entity: 'bench',
    project: 'bench',
    store: storeB,
    stateDir: join(work, 'b', 'wandb'),
  });
  start = performance.now();
  await registryB.resolve('bench', { alias: 'production' });
  const resolveMs = performance.now() - start;
  start = performance.now();
  await registryB.resolve('bench', { alias: 'production' });
  const cachedResolveMs = performance.now() - start;
  const registry = {
    modelMegabytes: megabytes,
    registerMs: round(registerMs, 0),
    firstResolveMs: round(resolveMs, 0),
    cachedResolveMs: round(cachedResolveMs, 1),
  };
  log(`registry ${JSON.stringify(registry)}`);

  await fake.close();
  await rm(work, { recursive: true, force: true });
  if (fake.violations.length) throw new Error(`fake server violations: ${fake.violations.join('; ')}`);
  process.stdout.write(
    `${JSON.stringify({ quick, cpu: cpus()[0]?.model, loadavg: loadavg().map((v) => round(v)), logging, stream, registry }, null, 2)}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
