/**
 * Lists the files `putDir` stores. Rule: every regular file under the directory, recursively,
 * except names starting with `.` (files and directories alike: `.DS_Store`, `._img.jpg`, `.git`,
 * and the store's own temp files). Symbolic links are followed to their content, with a guard
 * against directory cycles. Empty directories are not part of a tree.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compareTreePaths } from './tree-manifest.js';

/** A file found by {@link walkFiles}. */
export interface WalkedFile {
  /** Path relative to the walked directory, `/`-separated. */
  path: string;
  /** Absolute (or `dir`-relative) filesystem path. */
  file: string;
}

/** Whether `putDir` leaves a file or directory out: dotfiles, see the module comment. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.');
}

/** All files under `dir` that a tree keeps, sorted by relative path. */
export async function walkFiles(dir: string): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  const visited = new Set<string>();
  const visit = async (current: string, prefix: string): Promise<void> => {
    // Real paths of directories already walked: a link back to an ancestor must not loop forever.
    const real = await realpath(current);
    if (visited.has(real)) return;
    visited.add(real);
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (isIgnoredName(entry.name)) continue;
      const file = join(current, entry.name);
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(file).catch(() => undefined); // a dangling link has no content
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir) await visit(file, path);
      else if (isFile) out.push({ path, file });
    }
  };
  await visit(dir, '');
  return out.sort((a, b) => compareTreePaths(a.path, b.path));
}
