import { existsSync } from 'node:fs';
import type { ImageInput } from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, readImageDimensions, samplePng } from '../src/index.js';
import { FakeRegistry, FakeRuntime } from './helpers.js';

/**
 * `CHROMIUM_PATH` when set, else Debian's binary, or Chrome (as on GitHub's Linux and macOS
 * runners). Without one the suite is skipped on a developer's machine, but in CI (the `CI`
 * environment variable, which CI services set) or with `MLOPS_REQUIRE_BROWSER=1` a missing browser
 * fails the run instead of silently dropping the test.
 */
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
const CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
const REQUIRED = CI || process.env.MLOPS_REQUIRE_BROWSER === '1';

describe.runIf(!CHROMIUM && REQUIRED)('browser required', () => {
  it(`has a Chromium binary (${CI ? 'CI is set' : 'MLOPS_REQUIRE_BROWSER=1'})`, () => {
    expect.fail('no Chromium found: apt-get install chromium, or set CHROMIUM_PATH');
  });
});

/** Decodes only real PNG headers (so the page must send the file's actual bytes). */
async function pngOnly(bytes: Uint8Array, mimeType: string): Promise<ImageInput> {
  const size = readImageDimensions(bytes, mimeType);
  if (mimeType !== 'image/png' || !size) throw new Error('not a PNG');
  return { data: new Uint8Array(12).fill(90), width: 2, height: 2, channels: 3 };
}

describe.skipIf(!CHROMIUM)(
  `web page in headless Chromium (${CHROMIUM ?? 'no chromium binary: apt-get install chromium'})`,
  () => {
    let app: FastifyInstance;
    let origin: string;
    let browser: Browser;
    const external: string[] = [];
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      const registry = new FakeRegistry();
      await registry.register({ model: 'fashion', artifacts: {}, metrics: { top1: 0.9123, loss: 0.31 } });
      await registry.register({ model: 'fashion', artifacts: {}, metrics: { top1: 0.93 } });
      await registry.promote('fashion', 1, 'production');
      await registry.promote('fashion', 2, 'preproduction');
      app = createServer({ registry, runtime: new FakeRuntime(), model: 'fashion', decode: pngOnly });
      origin = await app.listen({ port: 0, host: '127.0.0.1' });
      browser = await chromium.launch({
        executablePath: CHROMIUM!,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    });

    afterAll(async () => {
      await browser?.close();
      await app?.close();
    });

    async function open(path: string): Promise<Page> {
      const page = await browser.newPage();
      // Any request leaving the server is recorded and refused: the pages must work offline.
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:'))
          return route.continue();
        external.push(url);
        return route.abort();
      });
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      await page.goto(`${origin}${path}`);
      return page;
    }

    it('shows the model, and the top classes with bars for a picked or dropped image', async () => {
      const page = await open('/ui/');
      await expect.poll(() => page.textContent('#model-name')).toBe('fashion');
      await expect
        .poll(() => page.locator('#alias option').allTextContents())
        .toEqual(['production → v1', 'preproduction → v2']);
      expect(await page.textContent('#version')).toMatch(/^version 1 · /);
      expect(await page.locator('#metrics tr').first().locator('td').allTextContents()).toEqual([
        'top1',
        '0.9123',
      ]);

      // Pick a file.
      await page.setInputFiles('#file', { name: 'shoe.png', mimeType: 'image/png', buffer: samplePng() });
      await page.locator('#results .row').nth(4).waitFor();
      const rows = page.locator('#results .row');
      expect(await rows.count()).toBe(5);
      expect(await rows.locator('.label').allTextContents()).toEqual([
        'v1-a',
        'v1-b',
        'v1-c',
        'v1-d',
        'v1-e',
      ]);
      const widths = await rows
        .locator('.bar')
        .evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().width));
      expect(widths[0]).toBeGreaterThan(widths[1]!);
      expect(widths[4]).toBeGreaterThan(0);
      expect(await rows.first().locator('.pct').textContent()).toBe('50.4%');
      expect(await page.locator('#preview').isVisible()).toBe(true);

      // Switch alias, then drop a file on the drop zone.
      await page.selectOption('#alias', 'preproduction');
      expect(await page.locator('#metrics tr').first().locator('td').allTextContents()).toEqual([
        'top1',
        '0.9300',
      ]);
      const bytes = [...samplePng()];
      const dataTransfer = await page.evaluateHandle((data) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(data)], 'dropped.png', { type: 'image/png' }));
        return transfer;
      }, bytes);
      await page.dispatchEvent('#drop', 'drop', { dataTransfer });
      await expect.poll(() => rows.first().locator('.label').textContent()).toBe('v2-a');
      expect(await page.textContent('#version')).toBe('version 2');
      await page.close();
    });

    it('shows the server error for a file that is not an image', async () => {
      const page = await open('/ui/');
      await expect.poll(() => page.textContent('#model-name')).toBe('fashion');
      await page.setInputFiles('#file', {
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('hello'),
      });
      await page.locator('#error').waitFor({ state: 'visible' });
      expect(await page.textContent('#error')).toMatch(/Unsupported file type "text\/plain"/);
      expect(await page.locator('#results .row').count()).toBe(0);
      await page.close();
    });

    it('renders the API docs page offline', async () => {
      const page = await open('/docs');
      await page.locator('.swagger-ui .info .title').waitFor();
      expect(await page.textContent('.swagger-ui .info .title')).toMatch(/mlops inference server/);
      await page.locator('.opblock-summary-path[data-path="/v1/models/{name}/predict"]').waitFor();
      await page.close();
    });

    afterAll(() => {
      expect(external).toEqual([]);
      // The only console error allowed is the browser's own log of the 400 answered on purpose.
      expect(consoleErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    });
  },
);
