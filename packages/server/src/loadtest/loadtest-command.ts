import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { MlopsError, type PluginCommand } from '@mlops/core';
import { formatLoadTest, type LoadTestImage, runLoadTest } from './loadtest.js';

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
};

function positiveNumber(value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new MlopsError('MLOPS_ERR_USAGE', `${flag} must be a positive number (got "${String(value)}")`);
  }
  return n;
}

async function readImage(file: string): Promise<LoadTestImage> {
  const mimeType = IMAGE_TYPES[extname(file).toLowerCase()];
  if (!mimeType) {
    throw new MlopsError('MLOPS_ERR_USAGE', `--image ${file}: unsupported extension`, {
      hint: `use one of ${Object.keys(IMAGE_TYPES).join(', ')}`,
    });
  }
  try {
    return { bytes: await readFile(file), filename: basename(file), mimeType };
  } catch (error) {
    throw new MlopsError('MLOPS_ERR_USAGE', `--image ${file}: cannot read it (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * `mlops loadtest <url>`: the old Locust file's mix (`/`, `/about/`, 5× predict with an image)
 * driven by autocannon; prints req/s, p50/p95/p99 and errors (`--json`: the whole result).
 */
export const loadtestCommand: PluginCommand = {
  name: 'loadtest <url>',
  description: 'load-test a running server with the legacy mix (/, /about/, 5x predict)',
  options: [
    ['-d, --duration <seconds>', 'how long to run (default 10)'],
    // No `-c`: that is the global --config.
    ['--connections <n>', 'concurrent connections (default 10)'],
    ['--image <file>', 'image sent by the predict requests (default: a generated 28x28 PNG)'],
    ['--path <path>', 'predict path (default /api/predict/preproduction/)'],
    ['--json', 'print the result as JSON'],
  ],
  async action(args, options) {
    const [url] = args;
    if (!url)
      throw new MlopsError('MLOPS_ERR_USAGE', 'missing <url>', {
        hint: 'mlops loadtest http://127.0.0.1:8000',
      });
    const result = await runLoadTest({
      url,
      durationSeconds: positiveNumber(options.duration, '--duration', 10),
      connections: Math.floor(positiveNumber(options.connections, '--connections', 10)),
      ...(typeof options.image === 'string' ? { image: await readImage(options.image) } : {}),
      ...(typeof options.path === 'string' ? { predictPath: options.path } : {}),
    });
    // `--json` is core's global option; the CLI hands globals to plugin commands with their own.
    return options.json === true ? result : formatLoadTest(result);
  },
};
