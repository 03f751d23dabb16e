/**
 * WebGPU without a GPU: headless Chromium (Debian's `chromium`, driven by `playwright-core`) with
 * Dawn on SwiftShader's Vulkan — a software renderer — exposes `navigator.gpu` with a real
 * adapter where Dawn for Node (`webgpu` 0.6.2) finds none. The page runs tfjs-backend-webgpu and
 * this repository's code, bundled with esbuild from `browser-entry.ts`, so the fused WGSL kernels
 * are compiled and executed by a conforming WebGPU implementation on any machine.
 *
 * Software-renderer numbers are not GPU numbers: use it for correctness and for counts, and for
 * timings only as relative before/after comparisons on the same machine.
 */
import { access } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The flags that give headless Chromium a SwiftShader WebGPU adapter. */
export const SWIFTSHADER_WEBGPU_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan,WebGPU',
  '--use-webgpu-adapter=swiftshader',
  '--use-vulkan=swiftshader',
  '--disable-vulkan-surface',
  '--disable-background-networking',
];

/** The adapter the page got. */
export interface PageAdapter {
  /** `GPUAdapterInfo.vendor` (`google` for SwiftShader). */
  vendor: string;
  /** `GPUAdapterInfo.architecture` (`swiftshader`). */
  architecture: string;
  /** Limits the fused kernels plan with. */
  limits: {
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
}

/** An open page with WebGPU and the bundled entry loaded. */
export interface ChromiumWebGpu {
  /** The page's adapter. */
  adapter: PageAdapter;
  /** Chromium's version. */
  browserVersion: string;
  /** Calls `globalThis.__mlops[name](arg)` in the page and returns its (JSON-able) result. */
  call<T>(name: string, arg?: unknown): Promise<T>;
  /** Closes the browser and the server. */
  close(): Promise<void>;
}

/** Why no page could be opened (a missing browser, no adapter…). */
export interface Unavailable {
  unavailable: string;
}

const ENTRY = fileURLToPath(new URL('./browser-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The Chromium binary: `CHROMIUM_PATH`, else Debian's or Ubuntu's. */
async function findChromium(): Promise<string | undefined> {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const path of candidates) {
    if (!path) continue;
    try {
      await access(path);
      return path;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Bundles `browser-entry.ts` for the page: tfjs from node_modules, Node-only modules emptied. */
async function bundle(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    absWorkingDir: ROOT,
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [
      {
        name: 'browser-shims',
        setup(build) {
          // Node built-ins (worker_threads for the wasm pool, fs for checkpoints) are never called
          // on the paths the page runs; an empty CommonJS module satisfies their imports.
          build.onResolve({ filter: /^node:|^(fs|path|os|worker_threads|module|url|crypto)$/ }, (args) => ({
            path: args.path,
            namespace: 'empty',
          }));
          build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({
            contents: 'module.exports = {};',
            loader: 'js',
          }));
          // @mlops/core in the page: only its error classes are used by the training code.
          build.onResolve({ filter: /^@mlops\/core$/ }, () => ({
            path: '@mlops/core',
            namespace: 'core-shim',
          }));
          build.onLoad({ filter: /.*/, namespace: 'core-shim' }, () => ({
            contents: `export * from ${JSON.stringify(`${ROOT}packages/core/src/errors.ts`)};
export function writeFileAtomic() { throw new Error('no file system in the page'); }`,
            loader: 'ts',
            resolveDir: ROOT,
          }));
        },
      },
    ],
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no bundle');
  return out.text;
}

/**
 * Opens headless Chromium with SwiftShader's WebGPU and the bundled entry; `{ unavailable }` with
 * the reason when there is no Chromium, no playwright-core, no esbuild or no adapter.
 */
export async function openChromiumWebGpu(
  options: { log?: (line: string) => void } = {},
): Promise<ChromiumWebGpu | Unavailable> {
  const log = options.log ?? (() => {});
  const executablePath = await findChromium();
  if (!executablePath) return { unavailable: 'no Chromium (apt-get install chromium, or set CHROMIUM_PATH)' };
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch (err) {
    return { unavailable: `playwright-core is not installed (${(err as Error).message})` };
  }
  let code: string;
  try {
    code = await bundle();
  } catch (err) {
    return { unavailable: `could not bundle the page with esbuild: ${(err as Error).message}` };
  }
  const server: Server = createServer((request, response) => {
    if (request.url === '/bundle.js') {
      response.setHeader('content-type', 'text/javascript');
      response.end(code);
    } else {
      response.setHeader('content-type', 'text/html');
      response.end(
        '<!doctype html><html><body><script type="module" src="/bundle.js"></script></body></html>',
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // localhost is a secure context, which navigator.gpu requires.
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await playwright.chromium.launch({
    executablePath,
    headless: true,
    args: SWIFTSHADER_WEBGPU_FLAGS,
  });
  const close = async () => {
    await browser.close().catch(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    const page = await browser.newPage();
    page.on('console', (message) => log(`[page] ${message.text()}`));
    page.on('pageerror', (error) => log(`[page error] ${error.message}`));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { __mlops?: unknown }).__mlops !== undefined, undefined, {
      timeout: 60_000,
    });
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      if (!gpu) return null;
      const a = (await gpu.requestAdapter()) as {
        info?: { vendor: string; architecture: string };
        limits: Record<string, number>;
      } | null;
      if (!a) return null;
      return {
        vendor: a.info?.vendor ?? '',
        architecture: a.info?.architecture ?? '',
        limits: {
          maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize!,
          maxComputeWorkgroupsPerDimension: a.limits.maxComputeWorkgroupsPerDimension!,
          maxStorageBuffersPerShaderStage: a.limits.maxStorageBuffersPerShaderStage!,
        },
      };
    });
    if (!adapter) {
      await close();
      return {
        unavailable: `Chromium (${executablePath}) exposes no WebGPU adapter with the SwiftShader flags`,
      };
    }
    return {
      adapter,
      browserVersion: browser.version(),
      call: <T>(name: string, arg?: unknown) =>
        page.evaluate(
          ([n, a]) =>
            (globalThis as unknown as { __mlops: Record<string, (x: unknown) => Promise<unknown>> }).__mlops[
              n as string
            ]!(a),
          [name, arg] as const,
        ) as Promise<T>,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
