/** Package versions recorded with a run, so a result can be traced to the code that made it. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Version of each named package as Node would resolve it from `fromDir` (the project directory).
 * Packages that are not installed are omitted rather than failing the run.
 */
export function packageVersions(names: readonly string[], fromDir: string): Record<string, string> {
  const require = createRequire(join(fromDir, 'package.json'));
  const versions: Record<string, string> = {};
  for (const name of names) {
    const version = readVersion(resolvePackageJson(name, fromDir, require));
    if (version !== undefined) versions[name] = version;
  }
  return versions;
}

/**
 * The package's package.json path. `require.resolve('<name>/package.json')` is the fast path, but
 * packages whose `exports` do not list `./package.json` refuse it, so fall back to the
 * node_modules lookup Node itself does: `<dir>/node_modules/<name>` for `fromDir` and each parent.
 */
function resolvePackageJson(name: string, fromDir: string, require: NodeJS.Require): string | undefined {
  try {
    return require.resolve(`${name}/package.json`);
  } catch {
    // fall through to the manual lookup
  }
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (readVersion(candidate) !== undefined) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readVersion(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : undefined;
  } catch {
    return undefined;
  }
}
