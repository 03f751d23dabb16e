/**
 * A run reads its timm checkpoint's config.json once: the `configDefaults` hook (while the config
 * loads) and the model stage (loading the weights) share one parse, and a changed file is read
 * again. Reads are counted on `node:fs/promises`.
 */
import '@tensorflow/tfjs-backend-cpu';
import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, Pipeline, resolveUserConfig } from '@mlops/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodePng } from '../../src/data/png/png-encode.js';
import { tfjs } from '../../src/plugin.js';
import { readTimmConfig } from '../../src/pretrained/timm-config.js';
import { TIMM_FIXTURES } from './timm-fixtures.js';

const fsReads = vi.hoisted(() => ({ files: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = ((path: Parameters<typeof actual.readFile>[0], ...rest: unknown[]) => {
    fsReads.files.push(String(path));
    return (actual.readFile as (...args: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof actual.readFile;
  return { ...actual, readFile, default: { ...actual, readFile } };
});

const ARCH = 'mobilenetv4_conv_small_035';
const roots: string[] = [];
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

beforeEach(() => {
  fsReads.files.length = 0;
});

/** A copy of the fixture checkpoint in a fresh folder (its own path, so nothing read it before). */
async function checkpointCopy(): Promise<{ root: string; checkpoint: string; configFile: string }> {
  const root = await mkdtemp(join(tmpdir(), 'mlops-timm-reads-'));
  roots.push(root);
  const checkpoint = join(root, 'checkpoint');
  await cp(join(TIMM_FIXTURES, ARCH), checkpoint, { recursive: true });
  return { root, checkpoint, configFile: join(checkpoint, 'config.json') };
}

const readsOf = (file: string) => fsReads.files.filter((f) => f === file).length;

describe('timm config.json reads', () => {
  it('a run (config defaults, then the model stage loading the weights) reads it once', async () => {
    await tf.setBackend('cpu');
    const { root, checkpoint, configFile } = await checkpointCopy();
    const images = join(root, 'images');
    for (const split of ['train', 'validation', 'test']) {
      for (const [c, name] of ['bird', 'cat'].entries()) {
        await mkdir(join(images, split, name), { recursive: true });
        const pixels = new Uint8Array(8 * 8 * 3).map((_, p) => (p * (c + 3)) % 256);
        await writeFile(join(images, split, name, '0.png'), encodePng(pixels, 8, 8, 3));
      }
    }
    const { config } = await resolveUserConfig(
      {
        project: 'timm-reads',
        model: { initialCheckpoint: checkpoint },
        data: { source: 'imagefolder', path: images },
        plugins: [tfjs({ workers: 0, logImages: false, logHistograms: false })],
      },
      { file: join(root, 'mlops.config.ts') },
    );
    expect(config.model.architecture).toBe(ARCH); // the config defaults came from it
    expect(readsOf(configFile)).toBe(1);
    const pipeline = await Pipeline.create({ config, logger: silent });
    const result = await pipeline.run({ stages: ['data', 'model'] });
    expect(result.outputs.model?.initialization).toMatchObject({ format: 'timm', source: checkpoint });
    expect(readsOf(configFile)).toBe(1);
  });

  it('reads it again once the file changed, and shares one frozen parse until then', async () => {
    const { configFile } = await checkpointCopy();
    const first = await readTimmConfig(configFile);
    expect(await readTimmConfig(configFile)).toBe(first);
    expect(readsOf(configFile)).toBe(1);
    expect(Object.isFrozen(first)).toBe(true);

    const raw = JSON.parse(await readFile(configFile, 'utf8'));
    raw.pretrained_cfg.crop_pct = 0.95;
    await writeFile(configFile, JSON.stringify(raw));
    const later = new Date(Date.now() + 5_000);
    await utimes(configFile, later, later); // a new mtime even on coarse-grained file systems
    const changed = await readTimmConfig(configFile);
    expect(changed.cropPct).toBe(0.95);
    expect(first.cropPct).not.toBe(0.95);
    expect(readsOf(configFile)).toBe(3); // the test's own read, and the reread
  });
});
