/**
 * Writes `docs/errors.md` from the error catalogues of all packages:
 * `npm run errors:doc` (that is, `jiti scripts/generate-errors-doc.ts`). `test/errors-doc.test.ts`
 * fails when the page is not what this writes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createJiti } from 'jiti';
import { ERRORS_DOC_PATH, loadCatalogues, REPO_ROOT, renderErrorsDoc } from './errors-doc.ts';

// The catalogues import only `defineErrorCatalogue` from '@mlops/core': read it from core's
// errors.ts, so the page depends neither on a build of core nor on loading all of core (slow).
const jiti = createJiti(import.meta.url, {
  alias: { '@mlops/core': join(REPO_ROOT, 'packages/core/src/errors.ts') },
  moduleCache: false,
});

const catalogues = await loadCatalogues((path) => jiti.import<Record<string, unknown>>(path));
writeFileSync(join(REPO_ROOT, ERRORS_DOC_PATH), renderErrorsDoc(catalogues));
const count = catalogues.reduce((sum, { catalogue }) => sum + catalogue.codes.length, 0);
process.stdout.write(`wrote ${ERRORS_DOC_PATH}: ${count} codes from ${catalogues.length} packages\n`);
