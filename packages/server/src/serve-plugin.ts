import {
  ArtifactStore,
  definePlugin,
  ImageDecoder,
  type LoadedModel,
  MlopsError,
  type MlopsPlugin,
  ModelRegistry,
  type ModelVersion,
  Runtime,
} from '@mlops/core';
import { loadtestCommand } from './loadtest/loadtest-command.js';
import { routeAliases } from './routes/legacy.js';
import { createServer } from './server.js';
import { SERVER_VERSION } from './version.js';

/** Options of {@link server}. */
export interface ServePluginOptions {
  /** `repository_url` of `/about/`. (`serve.port`, `serve.host`, `serve.model` come from the config.) */
  repositoryUrl?: string;
  /** Largest upload in bytes (default 10 MB). */
  bodyLimit?: number;
  /** Largest image in pixels, checked before decoding (default 40 000 000). */
  maxPixels?: number;
  /** How long `close()` lets in-flight requests run, in ms (default 25 000). */
  drainTimeoutMs?: number;
  /** Serves `/docs` and `/docs/json` (default true). */
  docs?: boolean;
  /**
   * Fastify's pino request logging: one JSON line per request on stdout (default on, since a
   * served model's request log is what its operators read; `false` turns it off).
   */
  logger?: boolean;
}

/**
 * The runtime that serves a version: the highest {@link Runtime.priority} among those that support
 * it (ONNX before tfjs), registration order breaking ties.
 */
function firstSupportingRuntime(registered: Runtime[]): Runtime {
  const runtimes = registered
    .map((runtime, index) => ({ runtime, index }))
    .sort((a, b) => (b.runtime.priority ?? 0) - (a.runtime.priority ?? 0) || a.index - b.index)
    .map(({ runtime }) => runtime);
  return {
    name: runtimes.map((r) => r.name).join('|'),
    supports: (version: ModelVersion) => runtimes.some((r) => r.supports(version)),
    load(version: ModelVersion): Promise<LoadedModel> {
      const runtime = runtimes.find((r) => r.supports(version));
      if (!runtime) {
        throw new MlopsError(
          'MLOPS_ERR_SERVICE_MISSING',
          `no runtime can serve ${version.model} v${version.version} (artifacts: ${Object.keys(version.artifacts).join(', ')})`,
          { hint: 'add @mlops/plugin-tfjs (tfjs artifacts) to plugins' },
        );
      }
      return runtime.load(version);
    },
  };
}

/**
 * Loads the `serve.dummy` model (`<model>@<alias>` or `<model>@v<N>`) for `/api/predict/dummy/`.
 * A reference that does not resolve stops the server at start-up with the registry's error, so a
 * typo is not discovered by the first client.
 */
async function loadDummy(reference: string, registry: ModelRegistry, runtime: Runtime): Promise<LoadedModel> {
  const at = reference.lastIndexOf('@');
  const model = reference.slice(0, at);
  const selector = reference.slice(at + 1);
  const version = /^v\d+$/.test(selector)
    ? await registry.resolve(model, { version: Number(selector.slice(1)) })
    : await registry.resolve(model, { alias: selector });
  return runtime.load(version);
}

/**
 * The `serve` stage, plus the `mlops loadtest <url>` command. The stage starts the inference server for `serve.model` (default: the registry model)
 * on `serve.host:serve.port`, and keeps serving until Ctrl-C / SIGTERM, then drains and stops.
 * `mlops serve` runs only this stage, so it trains nothing.
 */
export function server(options: ServePluginOptions = {}): MlopsPlugin {
  return definePlugin({
    name: '@mlops/server',
    version: SERVER_VERSION,
    apply(api) {
      api.command(loadtestCommand);
      api.hooks.serve.tapPromise({ name: '@mlops/server', stage: 0 }, async (value, ctx) => {
        if (value) return value;
        const { container, config } = ctx;
        if (!container.isRegistered(Runtime, true)) {
          throw new MlopsError(
            'MLOPS_ERR_SERVICE_MISSING',
            'serving needs a runtime, and no plugin provides one',
            {
              hint: 'add @mlops/plugin-tfjs: plugins: [tfjs(), server()]',
            },
          );
        }
        const decoder = container.isRegistered(ImageDecoder, true)
          ? container.resolve(ImageDecoder)
          : undefined;
        const configured = config.serve.promoteToken;
        const promoteToken =
          (typeof configured === 'string' && configured) || process.env.MLOPS_PROMOTE_TOKEN || undefined;
        const rawBatching = config.serve.batching;
        const batching =
          rawBatching === false
            ? (false as const)
            : rawBatching && typeof rawBatching === 'object'
              ? (rawBatching as { maxBatchSize?: number; maxWaitMs?: number })
              : undefined;
        const runtime = firstSupportingRuntime(container.resolveAll(Runtime));
        const registry = container.resolve(ModelRegistry);
        const dummy = config.serve.dummy ? await loadDummy(config.serve.dummy, registry, runtime) : undefined;
        if (dummy)
          ctx.logger.info(
            `/api/predict/dummy/ answers with ${config.serve.dummy} (v${dummy.version.version})`,
          );
        const model = config.serve.model ?? config.registry.model;
        const app = createServer({
          registry,
          runtime,
          onMissingAliases: (message) => ctx.logger.warn(message),
          ...(dummy ? { dummy } : {}),
          ...(container.isRegistered(ArtifactStore, true) ? { store: container.resolve(ArtifactStore) } : {}),
          model,
          ...(config.serve.alias ? { alias: config.serve.alias } : {}),
          ...(decoder
            ? { decode: (bytes: Uint8Array, mimeType: string) => decoder.decode(bytes, mimeType) }
            : {}),
          ...(options.repositoryUrl ? { repositoryUrl: options.repositoryUrl } : {}),
          ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
          ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
          ...(options.drainTimeoutMs !== undefined ? { drainTimeoutMs: options.drainTimeoutMs } : {}),
          ...(options.docs !== undefined ? { docs: options.docs } : {}),
          logger: options.logger ?? true,
          ...(promoteToken ? { promoteToken } : {}),
          ...(config.registry.gate ? { gate: config.registry.gate } : {}),
          ...(batching !== undefined ? { batching } : {}),
        });
        const url = await app.listen({ port: config.serve.port, host: config.serve.host });
        ctx.logger.info(`serving ${model} at ${url} (Ctrl-C stops)`);
        for (const line of routeAliases({
          model,
          ...(config.serve.alias ? { alias: config.serve.alias } : {}),
          ...(config.serve.dummy ? { dummy: config.serve.dummy } : {}),
        })) {
          ctx.logger.info(line);
        }
        if (!ctx.signal.aborted) {
          await new Promise<void>((resolve) =>
            ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
        }
        await app.close();
        await dummy?.dispose();
        return { url };
      });
    },
  });
}

/** The default export is the plugin factory, so YAML configs can name the package. */
export default server;
