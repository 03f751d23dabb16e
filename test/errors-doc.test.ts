import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CATALOGUE_MODULES,
  ERRORS_DOC_PATH,
  findCodeLiterals,
  type LoadedCatalogue,
  loadCatalogues,
  REGENERATE_COMMAND,
  REPO_ROOT,
  renderErrorsDoc,
} from '../scripts/errors-doc.ts';

// Vitest resolves '@mlops/core' to core's sources, as the generator does.
const catalogues: Promise<LoadedCatalogue[]> = loadCatalogues((path) => import(path));

describe('docs/errors.md', () => {
  it('is what the generator writes from the catalogues', async () => {
    const written = readFileSync(join(REPO_ROOT, ERRORS_DOC_PATH), 'utf8');
    const expected = renderErrorsDoc(await catalogues);
    expect(
      written === expected,
      `${ERRORS_DOC_PATH} is out of date with the error catalogues: run \`${REGENERATE_COMMAND}\` and commit it`,
    ).toBe(true);
  });

  it('lists every declared code of every package', async () => {
    const text = renderErrorsDoc(await catalogues);
    for (const { catalogue } of await catalogues) {
      expect(text).toContain(`## ${catalogue.packageName}`);
      for (const code of catalogue.codes) expect(text).toContain(`| \`${code}\` |`);
    }
  });
});

describe('error catalogues', () => {
  it('declare each code once, in the package its prefix names, with a meaning', async () => {
    const declaredIn = new Map<string, string[]>();
    const problems: string[] = [];
    for (const { module, catalogue } of await catalogues) {
      for (const code of catalogue.codes) {
        declaredIn.set(code, [...(declaredIn.get(code) ?? []), catalogue.packageName]);
        if (!code.startsWith(module.codePrefix)) {
          problems.push(`${code} (in ${module.file}) does not start with ${module.codePrefix}`);
        }
        if (!catalogue.entries[code]?.meaning) problems.push(`${code} (in ${module.file}) has no meaning`);
      }
    }
    for (const [code, packages] of declaredIn) {
      if (packages.length > 1)
        problems.push(`${code} is declared ${packages.length} times: ${packages.join(', ')}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('declare every code the sources use', async () => {
    const declared = new Set((await catalogues).flatMap(({ catalogue }) => catalogue.codes));
    const literals = findCodeLiterals();
    // The scan must see the sources at all, or this test could not fail.
    expect(literals.some(({ code }) => code === 'MLOPS_ERR_CONFIG_INVALID')).toBe(true);
    const undeclared = literals.filter(({ code }) => !declared.has(code));
    expect(
      undeclared.map(({ code, where }) => `${where}: ${code}`),
      `codes used in the sources but declared in no catalogue (declare them in the package's src/errors.ts: ${CATALOGUE_MODULES.map((m) => m.file).join(', ')})`,
    ).toEqual([]);
  });
});
