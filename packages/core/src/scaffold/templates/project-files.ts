/** `package.json`, `tsconfig.json`, `.gitignore` and `.npmrc` of a new project. */
import type { ScaffoldOptions } from '../options.js';
import {
  DATASET_PACKAGES,
  MLOPS_PACKAGE_VERSIONS,
  type MlopsPackageName,
  NODE_ENGINES,
  TOOL_VERSIONS,
} from '../versions.js';

/** The manifest written as `package.json`. */
export interface ScaffoldPackageJson {
  /** The project name. */
  name: string;
  /** Never published. */
  private: true;
  /** `mlops.config.ts` is an ES module. */
  type: 'module';
  /** `npm run <script>` shortcuts for the mlops commands the README uses. */
  scripts: Record<string, string>;
  /** The @mlops packages the config imports (pinned), and a built-in dataset's package. */
  dependencies: Record<string, string>;
  /** TypeScript, to type-check the config. */
  devDependencies: Record<string, string>;
  /** Node versions @mlops/core supports. */
  engines: { node: string };
}

/** The project's `package.json` as an object. */
export function scaffoldPackageJson(options: Required<ScaffoldOptions>): ScaffoldPackageJson {
  const mlops: MlopsPackageName[] = [
    '@mlops/core',
    ...(options.gcp ? (['@mlops/plugin-gcp'] as const) : []),
    '@mlops/plugin-onnx',
    '@mlops/plugin-tfjs',
    '@mlops/server',
  ];
  const dependencies: Record<string, string> = Object.fromEntries(
    mlops.map((name) => [name, MLOPS_PACKAGE_VERSIONS[name]]),
  );
  if (options.template !== 'imagefolder') {
    const dataset = DATASET_PACKAGES[options.template];
    dependencies[dataset.name] = dataset.version;
  }
  const scripts: Record<string, string> = {
    train: 'mlops run',
    serve: 'mlops serve',
    typecheck: 'tsc --noEmit',
  };
  if (options.template === 'imagefolder') scripts['data:add'] = 'mlops data add data';
  if (options.gcp) {
    if (options.template === 'imagefolder') {
      scripts['data:push'] = 'mlops data push';
      scripts['data:pull'] = 'mlops data pull --checkout';
    }
    scripts.deploy = 'mlops deploy --target cloud-run';
  }
  return {
    name: options.name,
    private: true,
    type: 'module',
    scripts,
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))),
    devDependencies: { ...TOOL_VERSIONS },
    engines: { node: NODE_ENGINES },
  };
}

/** `tsconfig.json`: what `npm run typecheck` (and an editor) checks `mlops.config.ts` with. */
export function renderTsconfig(): string {
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    },
    include: ['**/*.ts'],
    exclude: ['node_modules', '.mlops'],
  };
  return `${JSON.stringify(tsconfig, null, 2)}\n`;
}

/**
 * `.gitignore`. The store (`.mlops/`) is not listed: a store writes its own `.gitignore` of `*`
 * when it creates its folder, under whatever name `store.path` gives it. With a bucket, the images
 * under `data/` stay out of git too: git holds their manifest (`data.mlops-data.json`), the bucket
 * the files, as DVC did for the old system.
 */
export function renderGitignore(options: Required<ScaffoldOptions>): string {
  const lines = [
    'node_modules/',
    '*.tsbuildinfo',
    '# The mlops store (.mlops/) ignores itself: it writes its own .gitignore when it is created.',
  ];
  if (options.gcp && options.template === 'imagefolder') {
    lines.push(
      '',
      '# Images live in the bucket (npx mlops data push); git holds their manifest,',
      '# data.mlops-data.json. Restore them with npx mlops data pull --checkout.',
      '/data/**/*',
      '!/data/**/',
      '!/data/README.md',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `.npmrc`: onnxruntime-node's install script downloads CUDA binaries the CPU runtime does not
 * need (and fails without network); its own switch skips that (see @mlops/plugin-onnx's README).
 */
export function renderNpmrc(): string {
  return '# onnxruntime-node ships its CPU binaries; skip the download of the CUDA ones.\nonnxruntime-node-install=skip\n';
}
