/**
 * The engine's wiring through core's pipeline: an ImageFolder run (data → model → train →
 * evaluate) with a recording tracker registered by a plugin receives the sample grid, weight and
 * gradient histograms at the epoch step, and the evaluation's PNGs; `logImages: false` and
 * `logHistograms: false` turn them off. The run record keeps the backend and the reason.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, type Logger, Pipeline, resolveUserConfig, Tracker } from '@mlops/core';
import { afterAll, describe, expect, it } from 'vitest';
import { isPng } from '../../src/data/png/png-chunks.js';
import { encodePng } from '../../src/data/png/png-encode.js';
import { tfjs } from '../../src/plugin.js';
import { RecordingTracker } from './recording-tracker.js';

const roots: string[] = [];
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

/** 3 classes of 16×16 gray images (a bright bar at a class-specific row), per split. */
async function imageFolder(root: string): Promise<string> {
  const dir = join(root, 'images');
  const counts: Record<string, number> = { train: 8, validation: 4, test: 4 };
  for (const [split, count] of Object.entries(counts)) {
    for (const [c, name] of ['a', 'b', 'c'].entries()) {
      await mkdir(join(dir, split, name), { recursive: true });
      for (let i = 0; i < count; i++) {
        const pixels = new Uint8Array(16 * 16).map(
          (_, p) => ((p * 7 + i * 13) % 40) + (Math.floor(p / 16) === 3 + c * 4 ? 200 : 0),
        );
        await writeFile(join(dir, split, name, `${i}.png`), encodePng(pixels, 16, 16, 1));
      }
    }
  }
  return dir;
}

async function run(options: { logImages?: boolean; logHistograms?: boolean }) {
  const root = await mkdtemp(join(tmpdir(), 'mlops-engine-tracker-'));
  roots.push(root);
  const tracker = new RecordingTracker();
  const recording = definePlugin({
    name: 'recording-tracker',
    apply: (api) => api.provide(Tracker, tracker),
  });
  const { config } = await resolveUserConfig(
    {
      project: 'engine-tracker',
      data: { source: 'imagefolder', path: await imageFolder(root) },
      model: { architecture: 'small_cnn', inputSize: 16, inputChannels: 1 },
      train: { epochs: 2, batchSize: 8, backend: 'wasm' },
      plugins: [tfjs({ workers: 0, evalBatchSize: 16, ...options }), recording],
    },
    { file: join(root, 'mlops.config.ts') },
  );
  const pipeline = await Pipeline.create({ config, logger: silent });
  const result = await pipeline.run({ stages: ['data', 'model', 'train', 'evaluate'] });
  return { tracker, result };
}

afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

describe('TfjsEngine → trackers', () => {
  it('sends samples, per-epoch histograms and evaluation images', async () => {
    const { tracker, result } = await run({});
    const keys = tracker.images.map((i) => i.key);
    expect(keys).toEqual(['samples/train', 'evaluate/confusion_matrix', 'evaluate/roc']);
    for (const image of tracker.images) expect(isPng(image.png)).toBe(true);
    // The first batch (8 images: one row of the up-to-8×8 grid), labels named in the caption.
    expect(tracker.images[0]?.caption).toMatch(/^row 1: [abc](, [abc]){7}$/);
    const weights = tracker.histograms.filter((h) => h.key.startsWith('weights/'));
    const gradients = tracker.histograms.filter((h) => h.key.startsWith('gradients/'));
    expect(weights.length).toBeGreaterThan(2);
    expect(gradients.map((h) => `${h.key.slice('gradients/'.length)}@${h.step}`)).toEqual(
      weights.map((h) => `${h.key.slice('weights/'.length)}@${h.step}`),
    );
    expect(new Set(weights.map((h) => h.step))).toEqual(new Set([1, 2]));
    expect(tracker.metrics.map((m) => m.step)).toEqual([1, 2]);
    expect(result.outputs.train?.backend).toBe('wasm');
    expect(result.outputs.train?.backendReason).toMatch(/WebAssembly/);
  }, 120_000);

  it('sends none of them when turned off', async () => {
    const { tracker } = await run({ logImages: false, logHistograms: false });
    expect(tracker.images).toEqual([]);
    expect(tracker.histograms).toEqual([]);
    expect(tracker.metrics).toHaveLength(2);
  }, 120_000);
});
