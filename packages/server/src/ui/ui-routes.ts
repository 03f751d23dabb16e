import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ServerError } from '../errors.js';
import { UI_CSP, UI_HTML } from './page-html.js';

/** Path of the web page. */
export const UI_PATH = '/ui/';

/** Where the page loads onnxruntime-web from: this server, never a CDN. */
export const ORT_PATH = `${UI_PATH}ort/`;

/**
 * The onnxruntime-web files the page needs, and their types: the wasm-only ES module build, the
 * emscripten loader it imports, and the WebAssembly binary (SIMD; one thread without
 * cross-origin isolation).
 */
export const ORT_FILES: Readonly<Record<string, string>> = {
  'ort.wasm.min.mjs': 'text/javascript; charset=utf-8',
  'ort-wasm-simd-threaded.mjs': 'text/javascript; charset=utf-8',
  'ort-wasm-simd-threaded.wasm': 'application/wasm',
};

/**
 * Finds the folder of the installed onnxruntime-web's files ({@link ORT_FILES}), or undefined
 * when the package is not installed.
 */
export type OnnxRuntimeWebResolver = () => string | undefined;

/**
 * The `dist/` folder of the onnxruntime-web installed next to this package (its `node`/`require`
 * entries live there), or undefined when it is not installed: it is an optional peer dependency,
 * 150 MB that only the web page's in-browser inference needs.
 */
export const resolveInstalledOnnxRuntimeWeb: OnnxRuntimeWebResolver = () => {
  try {
    return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
};

/** Options of {@link registerUiRoutes}. */
export interface UiRoutesOptions {
  /** Where the onnxruntime-web files are; default {@link resolveInstalledOnnxRuntimeWeb}. */
  resolveOnnxRuntimeWeb?: OnnxRuntimeWebResolver;
}

/**
 * Serves the self-contained web page at `/ui/` (and redirects `/ui` there), and the
 * onnxruntime-web files it runs models with at `/ui/ort/<file>`, from `node_modules`. Without
 * onnxruntime-web installed, those answer `MLOPS_SRV_ERR_WEB_RUNTIME_MISSING` (404) saying how to
 * install it, and the page shows that line beside the server's answer.
 */
export function registerUiRoutes(app: FastifyInstance, options: UiRoutesOptions = {}): void {
  const resolveOrt = options.resolveOnnxRuntimeWeb ?? resolveInstalledOnnxRuntimeWeb;
  app.get(
    UI_PATH,
    { schema: { tags: ['ui'], summary: 'Web page to try the model', produces: ['text/html'] } },
    async (_request, reply) =>
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', UI_CSP)
        .header('cache-control', 'no-cache')
        .send(UI_HTML),
  );
  app.get(UI_PATH.slice(0, -1), (_request, reply) => reply.redirect(UI_PATH, 307));

  let dist: string | null | undefined;
  app.get<{ Params: { file: string } }>(
    `${ORT_PATH}:file`,
    {
      schema: {
        tags: ['ui'],
        summary: 'onnxruntime-web, served locally for the web page',
        params: {
          type: 'object',
          required: ['file'],
          properties: { file: { type: 'string', enum: Object.keys(ORT_FILES) } },
        },
      },
    },
    async (request, reply) => {
      const { file } = request.params;
      const type = ORT_FILES[file];
      if (!type) throw new ServerError('MLOPS_SRV_ERR_ROUTE_NOT_FOUND', `No file ${ORT_PATH}${file}.`);
      // Resolved once: installing the package takes a restart, as any dependency does.
      if (dist === undefined) dist = resolveOrt() ?? null;
      if (dist === null) {
        throw new ServerError(
          'MLOPS_SRV_ERR_WEB_RUNTIME_MISSING',
          'onnxruntime-web is not installed, so the web page shows the server’s answer only; installing onnxruntime-web (`npm install onnxruntime-web` next to @mlops/server, then restart) enables in-browser inference.',
        );
      }
      const path = join(dist, file);
      const { size } = await stat(path);
      return reply
        .header('content-type', type)
        .header('content-length', size)
        .header('cache-control', 'public, max-age=86400')
        .send(createReadStream(path));
    },
  );
}
