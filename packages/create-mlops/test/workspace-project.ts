/**
 * Test helpers: a project `create-mlops` wrote, installed without a registry — each dependency its
 * `package.json` names is a symlink to the workspace package (or, for a dataset, the monorepo's
 * copy), as `npm install` would place it — and tiny ImageFolder images to train it on.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyPng } from '../../core/test/tracker/fixtures/tiny-png.js';

/** The monorepo root. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Links every dependency of `project`'s package.json into its `node_modules`. Throws when the
 * workspace has no such package (a name the template got wrong).
 */
export async function linkDependencies(project: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const linked: string[] = [];
  for (const name of Object.keys(manifest.dependencies)) {
    const source = name.startsWith('@mlops/')
      ? join(REPO, 'packages', name.slice('@mlops/'.length))
      : join(REPO, 'node_modules', name);
    const found = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as { name: string };
    if (found.name !== name) throw new Error(`${source} holds ${found.name}, not ${name}`);
    const link = join(project, 'node_modules', ...name.split('/'));
    await mkdir(dirname(link), { recursive: true });
    await symlink(source, link, 'dir');
    linked.push(name);
  }
  return linked;
}

/** Whether the built packages the config imports are there (vitest runs core from its sources, the plugins from dist/). */
export function missingBuilds(packages: readonly string[]): string[] {
  return packages
    .filter((name) => name.startsWith('@mlops/'))
    .filter((name) => !existsSync(join(REPO, 'packages', name.slice('@mlops/'.length), 'dist', 'index.js')));
}

/** A valid RGB PNG of `size`×`size` drawn by `pixel(x, y) → [r, g, b]`. */
export function png(size: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  return Buffer.from(tinyPng(size, size, pixel));
}

/** Image `i` of a class: a bright disc (first class) or vertical stripes (any other), shifted by `i`. */
export function classImage(classIndex: number, i: number, size = 24): Buffer {
  const c = 8 + (i % 5);
  return png(size, (x, y) => {
    const on = classIndex === 0 ? (x - c - 2) ** 2 + (y - c) ** 2 < 36 : (x + i) % 6 < 3;
    const v = on ? 220 - i * 3 : 20 + i * 2;
    return [v, (v + 40 * i) % 256, 255 - v];
  });
}

/** Fills `data/<split>/<class>/` with `counts[split]` images per class. */
export async function writeImages(
  dataDir: string,
  classes: readonly string[],
  counts: Record<string, number>,
): Promise<number> {
  let written = 0;
  for (const [split, count] of Object.entries(counts)) {
    for (const [classIndex, label] of classes.entries()) {
      const dir = join(dataDir, split, label);
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < count; i++) {
        await writeFile(join(dir, `${i}.png`), classImage(classIndex, i));
        written += 1;
      }
    }
  }
  return written;
}
