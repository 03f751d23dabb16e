import { defineConfig, type Options } from 'tsup';

/**
 * The one build recipe of every published package: ESM for Node 20, declarations and source maps,
 * a clean `dist/`. Each package's `tsup.config.ts` is `export default packageBuild(...)`, naming
 * only what differs — extra entry points that are scripts (a CLI, a job's entry), run by Node and
 * never imported, so they get no declarations.
 */
export function packageBuild(scripts: readonly string[] = []): Options {
  return defineConfig({
    entry: ['src/index.ts', ...scripts],
    format: ['esm'],
    dts: { entry: 'src/index.ts' },
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
  }) as Options;
}
