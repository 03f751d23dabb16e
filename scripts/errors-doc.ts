/**
 * `docs/errors.md` from the error catalogues of all packages (see `packages/core/src/errors.ts`):
 * which modules hold them, how to load them, and how the page is written. The generator
 * (`generate-errors-doc.ts`) and the test that keeps the page current (`test/errors-doc.test.ts`)
 * both use this module, so they cannot disagree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorCatalogue, ErrorSpec } from '../packages/core/src/errors.ts';

/** The monorepo root. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The generated page, relative to {@link REPO_ROOT}. */
export const ERRORS_DOC_PATH = 'docs/errors.md';

/** The command that rewrites {@link ERRORS_DOC_PATH}. */
export const REGENERATE_COMMAND = 'npm run errors:doc';

/** One package's catalogue: where it is declared and the prefix its codes carry. */
export interface CatalogueModule {
  /** The package folder, relative to the root. */
  readonly packageDir: string;
  /** The module declaring the catalogue, relative to the root. */
  readonly file: string;
  /** The name the module exports the catalogue under. */
  readonly exportName: string;
  /** Every code of this catalogue starts with it. */
  readonly codePrefix: string;
}

/** The catalogues of all packages, in the order `docs/errors.md` lists them. */
export const CATALOGUE_MODULES: readonly CatalogueModule[] = [
  {
    packageDir: 'packages/core',
    file: 'packages/core/src/errors.ts',
    exportName: 'coreErrors',
    codePrefix: 'MLOPS_ERR_',
  },
  {
    packageDir: 'packages/server',
    file: 'packages/server/src/errors.ts',
    exportName: 'serverErrors',
    codePrefix: 'MLOPS_SRV_ERR_',
  },
  {
    packageDir: 'packages/plugin-tfjs',
    file: 'packages/plugin-tfjs/src/errors.ts',
    exportName: 'tfjsErrors',
    codePrefix: 'MLOPS_TFJS_ERR_',
  },
  {
    packageDir: 'packages/plugin-onnx',
    file: 'packages/plugin-onnx/src/errors.ts',
    exportName: 'onnxErrors',
    codePrefix: 'MLOPS_ONNX_ERR_',
  },
  {
    packageDir: 'packages/plugin-gcp',
    file: 'packages/plugin-gcp/src/errors.ts',
    exportName: 'gcpErrors',
    codePrefix: 'MLOPS_GCP_ERR_',
  },
  {
    packageDir: 'packages/plugin-wandb',
    file: 'packages/plugin-wandb/src/errors.ts',
    exportName: 'wandbErrors',
    codePrefix: 'MLOPS_WANDB_ERR_',
  },
];

/** What the page needs of a catalogue (core's `ErrorCatalogue`). */
export type DocumentedCatalogue = Pick<ErrorCatalogue<string>, 'packageName' | 'codes' | 'entries'>;

/** A catalogue with the module it came from. */
export interface LoadedCatalogue {
  readonly module: CatalogueModule;
  readonly catalogue: DocumentedCatalogue;
}

/**
 * Loads every catalogue of {@link CATALOGUE_MODULES} with `importModule` (an absolute path in, the
 * module's exports out), so the generator (jiti) and the test (vitest) share the list. Throws when
 * a module does not export its catalogue.
 */
export async function loadCatalogues(
  importModule: (absolutePath: string) => Promise<Record<string, unknown>>,
): Promise<LoadedCatalogue[]> {
  const loaded: LoadedCatalogue[] = [];
  for (const module of CATALOGUE_MODULES) {
    const exports = await importModule(join(REPO_ROOT, module.file));
    const catalogue = exports[module.exportName] as DocumentedCatalogue | undefined;
    if (!catalogue || !Array.isArray(catalogue.codes) || typeof catalogue.entries !== 'object') {
      throw new Error(
        `${module.file} does not export the error catalogue ${module.exportName} (made with defineErrorCatalogue)`,
      );
    }
    loaded.push({ module, catalogue });
  }
  return loaded;
}

function cell(text: string | number | undefined): string {
  return text === undefined ? '' : String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The text of `docs/errors.md` for the given catalogues. */
export function renderErrorsDoc(catalogues: readonly LoadedCatalogue[]): string {
  const lines: string[] = [
    '# Error codes',
    '',
    `<!-- Generated from the error catalogues by \`${REGENERATE_COMMAND}\` (scripts/generate-errors-doc.ts); do not edit by hand. -->`,
    '',
    'Every error a user can act on is an `MlopsError` with a stable `code`, a message naming the file or',
    'option concerned, and a hint. Each package declares its codes once, in its `src/errors.ts`',
    "(`defineErrorCatalogue`); core's codes are `MLOPS_ERR_*`, a plugin's own are `MLOPS_<PACKAGE>_ERR_*`,",
    "and plugins throw core's codes where the meaning is the same. The CLI prints the message and the hint;",
    'scripts match on the code (`isMlopsError(error, code)`); the server answers with the HTTP status shown.',
    '',
    'The "usual fix" is the hint used when a call site gives none; most call sites give a more precise one.',
    '',
  ];
  for (const { module, catalogue } of catalogues) {
    const withStatus = catalogue.codes.some((code) => catalogue.entries[code]?.status !== undefined);
    lines.push(`## ${catalogue.packageName}`, '');
    lines.push(`Declared in [\`${module.file}\`](../${module.file}) as \`${module.exportName}\`.`, '');
    lines.push(
      withStatus ? '| Code | HTTP status | Meaning | Usual fix |' : '| Code | Meaning | Usual fix |',
    );
    lines.push(withStatus ? '| --- | --- | --- | --- |' : '| --- | --- | --- |');
    for (const code of catalogue.codes) {
      const spec = catalogue.entries[code] as ErrorSpec;
      const row = [
        `\`${code}\``,
        ...(withStatus ? [cell(spec.status)] : []),
        cell(spec.meaning),
        cell(spec.hint),
      ];
      lines.push(`| ${row.join(' | ')} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** A string literal in a package's sources that reads like an error code. */
export interface CodeLiteral {
  /** The code. */
  readonly code: string;
  /** `path:line`, relative to the root. */
  readonly where: string;
}

// A whole quoted literal: prefixes used in `startsWith` checks (`'MLOPS_ERR_REGISTRY_'`) end in `_`.
const CODE_LITERAL = /(['"`])(MLOPS_(?:[A-Z0-9]+_)?ERR_[A-Z0-9_]*[A-Z0-9])\1/g;

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts'))
      files.push(path);
  }
  return files;
}

/**
 * Every quoted `MLOPS_ERR_*` / `MLOPS_<PKG>_ERR_*` literal in the `src/` of every workspace package
 * (tests excluded: they may declare catalogues of their own to test the mechanism).
 */
export function findCodeLiterals(): CodeLiteral[] {
  const found: CodeLiteral[] = [];
  const packagesDir = join(REPO_ROOT, 'packages');
  for (const pkg of readdirSync(packagesDir, { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    const src = join(packagesDir, pkg.name, 'src');
    let files: string[];
    try {
      files = sourceFiles(src);
    } catch {
      continue;
    }
    for (const file of files) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        for (const match of line.matchAll(CODE_LITERAL)) {
          found.push({ code: match[2] as string, where: `${relative(REPO_ROOT, file)}:${index + 1}` });
        }
      });
    }
  }
  return found;
}
