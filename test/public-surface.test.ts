/**
 * The public surface of every published package: the names its entry (`src/index.ts`, what
 * `exports["."]` builds from) exports, values and types, compared with the list committed in
 * `test/public-surface/<package>.json`. A name added or removed is an API change; the test makes
 * it a visible, reviewed one (as unjs packages pin their exports). After a deliberate change,
 * update the lists with
 *
 *   UPDATE_SURFACE=1 npx vitest run test/public-surface.test.ts
 *
 * and commit them with the change. The names are read with the TypeScript compiler from the
 * sources (sibling `@mlops/*` imports resolved to their sources too), so no build is needed.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const UPDATE_COMMAND = 'UPDATE_SURFACE=1 npx vitest run test/public-surface.test.ts';
/** The folders under `packages/` of the published packages (not private, with a `.` export). */
const PACKAGES = readdirSync(join(REPO, 'packages'))
  .filter((dir) => {
    try {
      const manifest = JSON.parse(readFileSync(join(REPO, 'packages', dir, 'package.json'), 'utf8')) as {
        private?: boolean;
        exports?: Record<string, unknown>;
      };
      return !manifest.private && manifest.exports?.['.'] !== undefined;
    } catch {
      return false;
    }
  })
  .sort();

const entryOf = (dir: string) => join(REPO, 'packages', dir, 'src', 'index.ts');
const pinnedFileOf = (dir: string) => join(REPO, 'test', 'public-surface', `${dir}.json`);

/** The exported names of each entry, sorted, from one program over all of them. */
function exportedNames(): Map<string, string[]> {
  const program = ts.createProgram(PACKAGES.map(entryOf), {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
    // `export { X } from '@mlops/core'` names the sources, not a dist/ that may be stale or absent.
    paths: { '@mlops/*': [join(REPO, 'packages', '*', 'src', 'index.ts')] },
  });
  const checker = program.getTypeChecker();
  const names = new Map<string, string[]>();
  for (const dir of PACKAGES) {
    const source = program.getSourceFile(entryOf(dir));
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${entryOf(dir)} is not a module the compiler could read`);
    names.set(
      dir,
      checker
        .getExportsOfModule(module)
        .map((symbol) => symbol.name)
        .sort(),
    );
  }
  return names;
}

/** What changed between the pinned list and the entry's exports, as a message that says the fix. */
function surfaceChange(dir: string, pinned: readonly string[], actual: readonly string[]): string {
  const before = new Set(pinned);
  const after = new Set(actual);
  const added = actual.filter((name) => !before.has(name));
  const removed = pinned.filter((name) => !after.has(name));
  if (added.length === 0 && removed.length === 0) return '';
  return [
    `The public surface of packages/${dir}/src/index.ts changed (pinned in test/public-surface/${dir}.json):`,
    ...(added.length ? [`  added (${added.length}): ${added.join(', ')}`] : []),
    ...(removed.length ? [`  removed (${removed.length}): ${removed.join(', ')}`] : []),
    `If that is intended, update the pinned lists with \`${UPDATE_COMMAND}\` and commit them;`,
    'otherwise export (or stop exporting) those names from the entry.',
  ].join('\n');
}

function readPinned(dir: string): string[] {
  try {
    return JSON.parse(readFileSync(pinnedFileOf(dir), 'utf8')) as string[];
  } catch {
    return [];
  }
}

describe('the public surface of each package', () => {
  it('finds the published packages', () => {
    expect(PACKAGES).toEqual(expect.arrayContaining(['core', 'create-mlops', 'plugin-tfjs', 'server']));
  });

  const actual = exportedNames();
  const update = process.env.UPDATE_SURFACE === '1';

  for (const dir of PACKAGES) {
    it(`packages/${dir} exports exactly the pinned names`, () => {
      const names = actual.get(dir) ?? [];
      expect(names.length, `packages/${dir}/src/index.ts exports nothing`).toBeGreaterThan(0);
      const change = surfaceChange(dir, readPinned(dir), names);
      if (update) {
        if (change) {
          writeFileSync(pinnedFileOf(dir), `${JSON.stringify(names, null, 2)}\n`);
          console.log(`updated test/public-surface/${dir}.json\n${change}`);
        }
        return;
      }
      expect(change, change).toBe('');
    });
  }

  it('says which names were added and removed, and how to update the lists', () => {
    const message = surfaceChange('core', ['a', 'b'], ['b', 'c']);
    expect(message).toContain('added (1): c');
    expect(message).toContain('removed (1): a');
    expect(message).toContain(UPDATE_COMMAND);
    expect(surfaceChange('core', ['a'], ['a'])).toBe('');
  });
});
