/**
 * Test helpers: a project `create-mlops` wrote, installed without a registry — each dependency its
 * `package.json` names is a symlink to the workspace package (or, for a dataset, the monorepo's
 * copy), as `npm install` would place it — and tiny ImageFolder images to train it on.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

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

/** A valid RGB PNG (8 bits, no filter) drawn by `pixel(x, y) → [r, g, b]`. */
export function png(size: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) raw.set(pixel(x, y), y * (size * 3 + 1) + 1 + x * 3);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
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
