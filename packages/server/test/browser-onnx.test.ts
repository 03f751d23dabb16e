/**
 * The model in the browser too: the web page runs the served version's ONNX file with
 * onnxruntime-web (wasm, served by this server), next to the server's answer (onnxruntime-node
 * through @mlops/plugin-onnx), and both agree within 1e-4 on every class probability. The version
 * is a real registration in a local store: a small CNN exported to ONNX with timm's eval transform
 * (bicubic, crop 0.875, ImageNet mean/std), and a dataset tree whose test split gives the page's
 * sample images. Nothing leaves the server.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type InputPreprocessing,
  LocalArtifactStore,
  LocalModelRegistry,
  makeClassesFile,
} from '@mlops/core';
import {
  convertLayersModel,
  encodeMetadata,
  INPUT_NAME,
  OnnxRuntime,
  OUTPUT_NAME,
  serializeModel,
} from '@mlops/plugin-onnx';
import { buildModel, decodeImageBytes, selectBackend } from '@mlops/plugin-tfjs';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, encodePng } from '../src/index.js';

const CHROMIUM = (
  process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : [
        '/usr/bin/chromium',
        '/usr/bin/chromium-browser',
        '/usr/bin/google-chrome',
        '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      ]
).find((path) => existsSync(path));

const MODEL = 'shoes';
const LABELS = ['boot', 'sandal', 'sneaker', 'slipper'];
const PREPROCESSING: InputPreprocessing = {
  size: 24,
  channels: 3,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resize: 'timm',
  cropPct: 0.875,
  interpolation: 'bicubic',
};

/** A smooth RGB picture with some noise, different per seed (so the classes differ). */
function picture(width: number, height: number, seed: number): Buffer {
  const pixels = new Uint8Array(width * height * 3);
  let a = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      a = (a * 1103515245 + 12345) >>> 0;
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width + ((seed * 40) % 80);
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = ((x + y + seed * 17) * 9) % 256;
      for (let c = 0; c < 3; c++)
        pixels[i + c] = Math.max(0, Math.min(255, pixels[i + c]! + ((a >>> 24) % 41) - 20));
    }
  }
  return encodePng(pixels, width, height, 3);
}

describe.skipIf(!CHROMIUM)(
  `the served ONNX model in headless Chromium (${CHROMIUM ?? 'no chromium binary: apt-get install chromium'})`,
  () => {
    let dir: string;
    let app: FastifyInstance;
    let origin: string;
    let browser: Browser;
    let store: LocalArtifactStore;
    let registry: LocalModelRegistry;
    const external: string[] = [];
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mlops-srv-onnx-web-'));
      const root = join(dir, '.mlops');
      store = new LocalArtifactStore(root);
      registry = new LocalModelRegistry(root);

      // The model: small_cnn with seeded random weights, exported to ONNX with its metadata.
      await selectBackend('cpu');
      const network = buildModel('small_cnn', {
        numClasses: LABELS.length,
        inputSize: 24,
        inputChannels: 3,
        seed: 11,
      });
      const converted = convertLayersModel(network);
      const onnx = serializeModel(
        {
          ...converted.model,
          metadata: encodeMetadata({
            inputName: INPUT_NAME,
            outputName: OUTPUT_NAME,
            inputShape: [24, 24, 3],
            labels: LABELS,
            preprocessing: { ...PREPROCESSING, layout: 'NHWC' },
            modelName: MODEL,
            modelVersion: 1,
            runId: 'browser-test',
            architecture: 'small_cnn',
            precision: 'fp32',
          }),
        },
        'test',
      );
      network.dispose();
      const onnxRef = await store.putBytes(onnx, { name: 'model.onnx' });

      // The dataset: classes.json and a test split of 3 PNGs per class.
      const data = join(dir, 'data');
      await mkdir(data, { recursive: true });
      const classMap = Object.fromEntries(LABELS.map((label) => [label, [label]]));
      await writeFile(join(data, 'classes.json'), JSON.stringify(makeClassesFile(LABELS, classMap)));
      let seed = 1;
      for (const label of LABELS) {
        await mkdir(join(data, 'test', label), { recursive: true });
        for (let i = 0; i < 3; i++)
          await writeFile(join(data, 'test', label, `${i}.png`), picture(30 + i * 7, 34 - i * 3, seed++));
      }
      const dataset = await store.putDir(data, { name: 'dataset' });

      await registry.register({
        model: MODEL,
        artifacts: { onnx: onnxRef },
        metrics: { top1: 0.5 },
        lineage: { dataVersion: dataset.hash },
        metadata: {
          labels: LABELS,
          inputShape: [24, 24, 3],
          preprocessing: { ...PREPROCESSING },
          evaluation: { split: 'test', dataVersion: dataset.hash, dataHash: 'h', images: 12 },
        },
        aliases: ['production'],
      });

      app = createServer({
        registry,
        runtime: new OnnxRuntime({ store }),
        store,
        model: MODEL,
        decode: (bytes) => decodeImageBytes(bytes),
      });
      origin = await app.listen({ port: 0, host: '127.0.0.1' });
      browser = await chromium.launch({
        executablePath: CHROMIUM!,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    });

    afterAll(async () => {
      await browser?.close();
      await app?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      expect(external).toEqual([]);
      expect(consoleErrors).toEqual([]);
    });

    async function open(at = origin, errors = consoleErrors): Promise<Page> {
      const page = await browser.newPage();
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(at) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
        external.push(url);
        return route.abort();
      });
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${at}/ui/`);
      return page;
    }

    /** The server's own answer for `png`: every class, by label. */
    async function serverProbabilities(png: Buffer): Promise<Record<string, number>> {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/models/${MODEL}/predict?topk=${LABELS.length}`,
        headers: { 'content-type': 'image/png' },
        payload: png,
      });
      expect(res.statusCode).toBe(200);
      const top = (res.json() as { predictions: { top: { label: string; probability: number }[] }[] })
        .predictions[0]!.top;
      return Object.fromEntries(top.map(({ label, probability }) => [label, probability]));
    }

    /** The page's browser-side answer (top 5 rows, full precision) and its parity line. */
    async function browserAnswer(page: Page) {
      await page.locator('#parity[data-max-diff]').waitFor({ timeout: 30_000 });
      const rows = await page
        .locator('#browser-results .row')
        .evaluateAll((els) =>
          els.map(
            (el) =>
              [(el as HTMLElement).dataset.label!, Number((el as HTMLElement).dataset.probability)] as const,
          ),
        );
      const maxDiff = Number(await page.locator('#parity').getAttribute('data-max-diff'));
      return { rows, maxDiff };
    }

    it('offers sample images of the test split, and a clicked one gets the same answer in the browser as on the server', async () => {
      const page = await open();
      const samples = page.locator('#samples button');
      await expect.poll(() => samples.count()).toBe(8);
      // One per class first, in class order, then the second image of each.
      expect(await samples.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.label))).toEqual([
        ...LABELS,
        ...LABELS,
      ]);
      const list = (await app.inject(`/v1/models/${MODEL}/samples`)).json() as {
        split: string;
        samples: { index: number; path: string }[];
      };
      expect(list.split).toBe('test');
      expect(list.samples[5]!.path).toBe('test/sandal/1.png');

      await samples.nth(5).click();
      const { rows, maxDiff } = await browserAnswer(page);
      const png = (await app.inject(`/v1/models/${MODEL}/versions/1/samples/5`)).rawPayload;
      const expected = await serverProbabilities(png);
      expect(rows).toHaveLength(LABELS.length);
      // Not a degenerate model: the classes get clearly different probabilities.
      expect(Math.max(...Object.values(expected)) - Math.min(...Object.values(expected))).toBeGreaterThan(
        0.01,
      );
      for (const [label, probability] of rows)
        expect(Math.abs(probability - expected[label]!)).toBeLessThan(1e-4);
      expect(maxDiff).toBeLessThan(1e-4);
      expect(await page.locator('#results .row').count()).toBe(LABELS.length);
      expect(await page.textContent('#server-time')).toMatch(/^round trip [\d.]+ ms · onnx$/);
      expect(await page.textContent('#browser-time')).toMatch(
        /^decode \+ preprocess \+ inference [\d.]+ ms · onnx \(/,
      );
      await page.close();
    });

    it('agrees on an uploaded picture of another shape (timm resize and crop in the browser)', async () => {
      const page = await open();
      await expect.poll(() => page.locator('#alias option').count()).toBe(1);
      const png = picture(53, 37, 42);
      await page.setInputFiles('#file', { name: 'upload.png', mimeType: 'image/png', buffer: png });
      const { rows, maxDiff } = await browserAnswer(page);
      const expected = await serverProbabilities(png);
      for (const [label, probability] of rows)
        expect(Math.abs(probability - expected[label]!)).toBeLessThan(1e-4);
      expect(maxDiff).toBeLessThan(1e-4);
      await page.close();
    });

    it('without onnxruntime-web installed, shows the server’s answer and one line saying what to install', async () => {
      const withoutOrt = createServer({
        registry,
        runtime: new OnnxRuntime({ store }),
        store,
        model: MODEL,
        decode: (bytes) => decodeImageBytes(bytes),
        resolveOnnxRuntimeWeb: () => undefined,
      });
      const at = await withoutOrt.listen({ port: 0, host: '127.0.0.1' });
      try {
        const errors: string[] = [];
        const page = await open(at, errors);
        const note = page.locator('#browser-note');
        await expect
          .poll(() => note.textContent())
          .toMatch(/installing onnxruntime-web .*enables in-browser inference/);
        await expect.poll(() => page.locator('#alias option').count()).toBe(1);
        await page.setInputFiles('#file', {
          name: 'upload.png',
          mimeType: 'image/png',
          buffer: picture(53, 37, 42),
        });
        await expect.poll(() => page.locator('#results .row').count()).toBe(LABELS.length);
        expect(await page.textContent('#server-time')).toMatch(/^round trip [\d.]+ ms · onnx$/);
        expect(await note.textContent()).toMatch(
          /^onnxruntime-web is not installed.*npm install onnxruntime-web/,
        );
        expect(await page.locator('#browser-results .row').count()).toBe(0);
        expect(await page.textContent('#error')).toBe('');
        // The only errors: the browser reporting the coded 404s of the runtime's files.
        expect(errors.filter((text) => !/status of 404/.test(text))).toEqual([]);
        await page.close();
      } finally {
        await withoutOrt.close();
      }
    });
  },
);
