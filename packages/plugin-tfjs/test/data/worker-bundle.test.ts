import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'tsup';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/images.js';

/** The @mlops/core package folder (its `exports` name the built `dist/`). */
const CORE_PACKAGE = join(import.meta.dirname, '..', '..', '..', 'core');

/** Runs in a plain `node` process against the bundle: worker results vs in-thread results. */
const CHECK = `
import { AugmentWorkerPool, augmentBatch, augmentKernels } from './worker-bundle-entry.js';
const shape = { height: 16, width: 16, channels: 3 };
const length = 16 * 16 * 3;
const images = new Uint8Array(new SharedArrayBuffer(20 * length)).map((_, i) => (i * 31) % 256);
const params = { scale: [0.08, 1], ratio: [0.75, 4 / 3], hflip: 0.5, vflip: 0.1, colorJitter: 0.4, grayscale: 0.1,
  gaussianBlur: 0.3, blurSigma: [0.1, 2], randomErasing: 0.25, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const indices = Int32Array.from([3, 1, 4, 15, 9, 2, 6, 5]);
const pool = new AugmentWorkerPool(2, { images, shape, params, seed: 42 });
const fromWorkers = await pool.run(2, indices);
await pool.close();
const inline = new Float32Array(indices.length * length);
augmentBatch(augmentKernels, images, shape, params, 42, 2, indices, inline);
const same = fromWorkers.length === inline.length && fromWorkers.every((v, i) => Object.is(v, inline[i]));
console.log(JSON.stringify({ same, n: fromWorkers.length }));
`;

describe('augmentation workers in a tsup bundle', () => {
  it('run from one bundled file and match the in-thread results', async () => {
    const out = await tempDir();
    await build({
      entry: [join(import.meta.dirname, 'fixtures', 'worker-bundle-entry.ts')],
      outDir: out,
      format: ['esm'],
      target: 'node20',
      platform: 'node',
      dts: false,
      silent: true,
      config: false,
      sourcemap: false,
      outExtension: () => ({ js: '.js' }),
      // As in the package's own build, @mlops/core is a peer: imported, not bundled (its built
      // dist/, through a node_modules link as an installed project has it).
      external: ['@mlops/core'],
    });
    await writeFile(join(out, 'package.json'), '{"type":"module"}');
    await mkdir(join(out, 'node_modules', '@mlops'), { recursive: true });
    await symlink(CORE_PACKAGE, join(out, 'node_modules', '@mlops', 'core'), 'dir');
    await writeFile(join(out, 'check.js'), CHECK);
    const { stdout } = await promisify(execFile)(process.execPath, [join(out, 'check.js')], { cwd: out });
    expect(JSON.parse(stdout.trim())).toEqual({ same: true, n: 8 * 16 * 16 * 3 });
  });
});
