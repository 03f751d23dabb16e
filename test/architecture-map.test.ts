/**
 * `docs/ARCHITECTURE.md` is the map of the repository: its "you look for → it is in" table must
 * match the tree. Every path the table names exists, and every module folder (and top-level
 * module file) of every package's `src/` is on the map, so a module that moves or appears without
 * its row fails here.
 *
 * How the "it is in" cells are read: a backticked token with a `/` or a file extension is a path
 * (`importCheckpoint` is a name, not a path). `packages/…`, `bench/…`, `docs/…`, `examples/…`,
 * `scripts/…`, `test/…` are from the repository root; `src/…` is inside the package named last in
 * the cell, and so is a relative path (`routes/v1.ts`); a bare file name (`types.ts`) is inside the
 * folder named last; `{a,b}` and `*` (within a segment) expand.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAP = 'docs/ARCHITECTURE.md';
const TABLE_HEADING = '## Packages and where things are';
/** Files of a package's `src/` that are plumbing, not places anyone looks for. */
const NOT_MODULES = new Set(['index.ts', 'version.ts']);

/** `a/{b,c}.ts` → `a/b.ts`, `a/c.ts` (one level of braces, as the table writes them). */
function expandBraces(token: string): string[] {
  const match = /^(.*)\{([^{}]+)\}(.*)$/.exec(token);
  if (!match) return [token];
  const [, head, alternatives, tail] = match as unknown as [string, string, string, string];
  return alternatives
    .split(',')
    .flatMap((alternative) => expandBraces(`${head}${alternative.trim()}${tail}`));
}

const ROOT_FOLDERS = /^(packages|bench|docs|examples|scripts|test)\//;
const looksLikePath = (token: string) => token.includes('/') || /\.[a-z]{1,5}$/.test(token);

/** A path with `*` wildcards (within a segment, e.g. `stage/budget*.ts`) → the existing paths it matches. */
function expandGlob(path: string): string[] {
  if (!path.includes('*')) return [path];
  let matches = [''];
  for (const segment of path.split('/')) {
    if (!segment.includes('*')) {
      matches = matches.map((m) => (m ? `${m}/${segment}` : segment));
      continue;
    }
    const pattern = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    matches = matches.flatMap((m) => {
      const dir = join(REPO, m);
      const names = existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir) : [];
      return names.filter((name) => pattern.test(name)).map((name) => (m ? `${m}/${name}` : name));
    });
  }
  return matches.filter((m) => existsSync(join(REPO, m.replace(/\/$/, ''))));
}

/**
 * The repository paths one "it is in" cell names, each with the token it came from; a glob
 * that matches nothing yields its pattern (which then does not exist).
 */
function cellPaths(cell: string): { token: string; path: string }[] {
  const out: { token: string; path: string }[] = [];
  let packageDir: string | undefined;
  let folder: string | undefined;
  for (const [, token] of cell.matchAll(/`([^`]+)`/g) as Iterable<[string, string]>) {
    if (!looksLikePath(token) || /\s/.test(token)) continue;
    for (const expanded of expandBraces(token)) {
      let path: string;
      if (ROOT_FOLDERS.test(expanded)) path = expanded;
      else if (expanded.startsWith('src/') && packageDir) path = `${packageDir}/${expanded}`;
      else if (!expanded.includes('/') && folder) path = `${folder}/${expanded}`;
      else if (packageDir) path = `${packageDir}/src/${expanded}`;
      else path = expanded;
      const matches = expandGlob(path);
      for (const match of matches.length ? matches : [path]) out.push({ token, path: match });
      const inPackage = /^((?:packages|examples)\/[^/]+)\//.exec(path);
      if (inPackage) packageDir = inPackage[1];
      folder = path.endsWith('/') ? path.slice(0, -1) : path.includes('/') ? dirname(path) : undefined;
    }
  }
  return out;
}

/** The rows of the map's table: `[you look for, it is in]`. */
function tableRows(markdown: string): [string, string][] {
  const start = markdown.indexOf(TABLE_HEADING);
  if (start < 0) throw new Error(`${MAP} has no "${TABLE_HEADING}" section`);
  const rows: [string, string][] = [];
  for (const line of markdown.slice(start).split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|') || /^\|\s*-/.test(line) || /^\|\s*you look for/.test(line)) continue;
    // Split on the bar between the two cells: the first ` | ` outside backticks.
    const cells = line
      .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
      .split(/\|(?=(?:[^`]*`[^`]*`)*[^`]*$)/);
    if (cells.length >= 2) rows.push([(cells[0] as string).trim(), cells.slice(1).join('|').trim()]);
  }
  return rows;
}

describe(`${MAP}: the "you look for → it is in" table`, () => {
  const rows = tableRows(readFileSync(join(REPO, MAP), 'utf8'));
  const named = rows.flatMap(([lookFor, cell]) => cellPaths(cell).map((p) => ({ ...p, lookFor })));

  it('has rows, and every row names a path', () => {
    expect(rows.length).toBeGreaterThan(20);
    const pathless = rows.filter(([, cell]) => cellPaths(cell).length === 0).map(([lookFor]) => lookFor);
    expect(pathless, `rows whose "it is in" names no path`).toEqual([]);
  });

  it('names only paths that exist', () => {
    const missing = named
      .filter(({ path }) => !existsSync(join(REPO, path)))
      .map(({ lookFor, token, path }) => `"${lookFor}": \`${token}\` → ${path} does not exist`);
    expect(missing, `fix the table in ${MAP}:\n${missing.join('\n')}`).toEqual([]);
  });

  it("puts every module of every package's src/ on the map", () => {
    const mapped = named.map(({ path }) => path.replace(/\/$/, ''));
    const onMap = (path: string) =>
      mapped.some((m) => m === path || m.startsWith(`${path}/`) || path.startsWith(`${m}/`));
    const unmapped: string[] = [];
    for (const dir of readdirSync(join(REPO, 'packages'))) {
      const src = join(REPO, 'packages', dir, 'src');
      if (!existsSync(src)) continue;
      for (const entry of readdirSync(src)) {
        const path = `packages/${dir}/src/${entry}`;
        const isFolder = statSync(join(REPO, path)).isDirectory();
        if (!isFolder && (NOT_MODULES.has(entry) || entry.endsWith('.test.ts'))) continue;
        if (!onMap(path)) unmapped.push(isFolder ? `${path}/` : path);
      }
    }
    expect(unmapped, `add rows for these to the table in ${MAP}:\n${unmapped.join('\n')}`).toEqual([]);
  });
});

describe('reading a cell', () => {
  it('resolves package-relative, folder-relative and brace paths, and skips names', () => {
    expect(
      cellPaths(
        '`packages/core/src/config/` (`types.ts`, `defaults.ts`), `src/api/{a,b}.ts`, `importCheckpoint`, `bench/gpu/`',
      ).map((p) => p.path),
    ).toEqual([
      'packages/core/src/config/',
      'packages/core/src/config/types.ts',
      'packages/core/src/config/defaults.ts',
      'packages/core/src/api/a.ts',
      'packages/core/src/api/b.ts',
      'bench/gpu/',
    ]);
    expect(cellPaths('`packages/*/src/errors.ts`').map((p) => p.path)).toContain(
      'packages/core/src/errors.ts',
    );
    expect(cellPaths('`packages/core/src/no-such-*.ts`').map((p) => p.path)).toEqual([
      'packages/core/src/no-such-*.ts',
    ]);
  });
});
