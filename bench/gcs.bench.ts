/**
 * plugin-gcp transfer and registry costs, against Google's Cloud Storage emulator (firebase-tools)
 * started in-process on 127.0.0.1 behind the test proxy — the network is a loopback, so these are
 * the plugin's and the client library's own costs (hashing, requests, verification), not GCS
 * latency. Run with `node bench/run-all.mjs --only gcs` (or `npx jiti bench/gcs.bench.ts`); prints
 * one JSON object. Flags: `--quick` (smaller data set), `--concurrency <n>` (default 8).
 *
 * - `push`: `mlops data push` of a data version of N small images plus 2 large files (resumable
 *   uploads to tmp/ and a server-side copy): wall time, objects/s, MB/s.
 * - `repush`: the same push again: nothing is missing, so only the presence check is paid.
 * - `pull`: `mlops data pull` of the version into an empty store on "another machine".
 * - `registry`: 2 writers × 10 alias moves on one model in the bucket registry, at once: wall
 *   time, and how many conditional writes lost a race (HTTP 412) and were retried.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataAdd, LocalArtifactStore } from '@mlops/core';
import { createStorageClient } from '../packages/plugin-gcp/src/gcs/storage-client.js';
import {
  GcsArtifactStore,
  GcsModelRegistry,
  pullDataVersion,
  pushDataVersion,
} from '../packages/plugin-gcp/src/index.js';
import { startGcsEmulator } from '../packages/plugin-gcp/test/gcs-emulator.js';

const quick = process.argv.includes('--quick');
const concurrencyFlag = process.argv.indexOf('--concurrency');
const concurrency = concurrencyFlag === -1 ? 8 : Number(process.argv[concurrencyFlag + 1]);
const SMALL = quick ? 200 : 1000;
const SMALL_BYTES = 8 * 1024;
const LARGE = 2;
const LARGE_BYTES = quick ? 12 * 1024 * 1024 : 24 * 1024 * 1024;
const log = (message: string) => process.stderr.write(`[gcs.bench] ${message}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - start) / 1000 };
}

const emulator = await startGcsEmulator();
const work = await mkdtemp(join(tmpdir(), 'mlops-gcs-bench-'));
try {
  const storage = createStorageClient({ apiEndpoint: emulator.url });
  const remote = 'gs://bench-bucket/mlops';
  log(`writing ${SMALL} × ${SMALL_BYTES / 1024} KiB + ${LARGE} × ${LARGE_BYTES / 2 ** 20} MiB`);
  for (let i = 0; i < SMALL; i++) {
    const dir = join(work, 'data', 'train', `class${i % 10}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${i}.png`), randomBytes(SMALL_BYTES));
  }
  for (let i = 0; i < LARGE; i++) {
    await writeFile(join(work, 'data', 'train', 'class0', `big-${i}.png`), randomBytes(LARGE_BYTES));
  }
  const added = await dataAdd(join(work, 'data'), { store: new LocalArtifactStore(join(work, 'a')) });
  const totalMb = (SMALL * SMALL_BYTES + LARGE * LARGE_BYTES) / 2 ** 20;
  const store = (cache: string) =>
    new GcsArtifactStore({
      url: remote,
      storage,
      cache: new LocalArtifactStore(join(work, cache)),
      concurrency,
    });

  log('push');
  const push = await timed(() => pushDataVersion(added.manifestPath, store('a')));
  log('repush');
  const repush = await timed(() => pushDataVersion(added.manifestPath, store('a')));
  log('pull');
  const pull = await timed(() => pullDataVersion(added.manifestPath, store('b')));

  log('registry race');
  const a = new GcsModelRegistry({ url: remote, storage, actor: 'a' });
  const b = new GcsModelRegistry({ url: remote, storage, actor: 'b' });
  const artifact = { hash: added.version, kind: 'dir' as const, size: 0 };
  await a.register({ model: 'bench', artifacts: { data: artifact } });
  const before = emulator.requests.length;
  const race = await timed(() =>
    Promise.all([
      ...Array.from({ length: 10 }, (_, i) => a.promote('bench', 1, `a${i}`)),
      ...Array.from({ length: 10 }, (_, i) => b.promote('bench', 1, `b${i}`)),
    ]),
  );
  const conflicts = emulator.requests.slice(before).filter((r) => r.status === 412).length;
  const aliases = Object.keys((await a.listModels())[0]?.aliases ?? {}).length;

  const rate = (t: { seconds: number }, n: number) => round(n / t.seconds, 1);
  process.stdout.write(
    `${JSON.stringify(
      {
        setup: {
          emulator: 'firebase-tools storage emulator, in-process on 127.0.0.1, behind the test proxy',
          quick,
          concurrency,
          smallFiles: SMALL,
          largeFiles: LARGE,
          largeMiB: LARGE_BYTES / 2 ** 20,
          totalMiB: round(totalMb, 1),
          cpus: cpus().length,
          loadavg: loadavg().map((l) => round(l)),
        },
        push: {
          seconds: round(push.seconds),
          objects: push.value.transferred,
          objectsPerSec: rate(push, push.value.transferred),
          mibPerSec: rate(push, totalMb),
        },
        repush: {
          seconds: round(repush.seconds),
          transferred: repush.value.transferred,
          skipped: repush.value.skipped,
        },
        pull: {
          seconds: round(pull.seconds),
          objects: pull.value.transferred,
          objectsPerSec: rate(pull, pull.value.transferred),
          mibPerSec: rate(pull, totalMb),
        },
        registry: {
          writers: 2,
          moves: 20,
          seconds: round(race.seconds),
          movesPerSec: rate(race, 20),
          conflictsRetried: conflicts,
          aliasesAfter: aliases,
        },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await emulator.stop();
  await rm(work, { recursive: true, force: true });
}
