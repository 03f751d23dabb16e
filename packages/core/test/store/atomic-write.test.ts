import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMlopsError } from '../../src/errors.js';
import {
  readJson,
  readJsonIfExists,
  renameDirAtomic,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from '../../src/store/atomic-write.js';
import { makeTempDir, spawnTs, waitForExit, waitForLine } from './spawn-ts.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterEach(() => cleanup());

describe('writeFileAtomic', () => {
  it('writes, replaces, creates parents and leaves no temp files', async () => {
    const path = join(dir, 'a', 'b', 'file.txt');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, new TextEncoder().encode('two'));
    expect(await readFile(path, 'utf8')).toBe('two');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['file.txt']);
  });

  it('removes its temp file when the rename fails', async () => {
    const path = join(dir, 'taken');
    await mkdir(join(path, 'child'), { recursive: true }); // a non-empty directory cannot be renamed over
    await expect(writeFileAtomic(path, 'x')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('keeps the old content when the process is killed between temp write and rename', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'OLD');
    const child = spawnTs(fixture('write-then-hang.ts'), [path, '100000']);
    const exit = waitForExit(child);
    await waitForLine(child, 'READY');
    child.kill('SIGKILL');
    expect((await exit).signal).toBe('SIGKILL');

    expect(await readFile(path, 'utf8')).toBe('OLD');
    // The temp file sits next to the target under the documented name, complete, never renamed.
    const temps = (await readdir(dir)).filter((n) => n !== 'state.json');
    expect(temps).toHaveLength(1);
    expect(temps[0]).toMatch(new RegExp(`^\\.state\\.json\\.${child.pid}\\.[0-9a-f]{8}\\.tmp$`));
    expect((await readFile(join(dir, temps[0]!), 'utf8')).length).toBe(100_000);
  });

  it('never exposes a torn file when a writer is killed at a random moment', async () => {
    const path = join(dir, 'loop.json');
    const child = spawnTs(fixture('write-loop.ts'), [path]);
    const exit = waitForExit(child);
    await waitForLine(child, 'WRITING');
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
    child.kill('SIGKILL');
    await exit;
    const value = await readJson<{ i: number; payload: string }>(path);
    expect(value.i).toBeGreaterThanOrEqual(3);
    expect(value.payload).toHaveLength(200_000);
  });
});

describe('JSON helpers', () => {
  it('round-trips JSON and reads an absent file as undefined', async () => {
    const path = join(dir, 'v.json');
    await writeJsonAtomic(path, { b: 1, a: [true, null] });
    expect(await readJson(path)).toEqual({ b: 1, a: [true, null] });
    expect((await readFile(path, 'utf8')).endsWith('\n')).toBe(true);
    expect(await readJsonIfExists(join(dir, 'absent.json'))).toBeUndefined();
    await expect(readJson(join(dir, 'absent.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('names the file when JSON is invalid', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"a": ');
    const error = await readJson(path).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_STORE_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(path);
    expect(error).toMatchObject({ file: path });
  });
});

describe('directories', () => {
  it('renameDirAtomic moves into place and replaces an existing directory', async () => {
    const dest = join(dir, 'dest');
    const first = join(dir, 'first');
    await mkdir(first);
    await writeFile(join(first, 'old.txt'), 'old');
    await renameDirAtomic(first, dest);
    const second = join(dir, 'second');
    await mkdir(second);
    await writeFile(join(second, 'new.txt'), 'new');
    await renameDirAtomic(second, dest);
    expect(await readdir(dest)).toEqual(['new.txt']);
    expect((await readdir(dir)).sort()).toEqual(['dest']); // old directory removed, nothing aside
  });

  it('writeDirAtomic builds in a temp dir and cleans up when filling fails', async () => {
    const dest = join(dir, 'built');
    await writeDirAtomic(dest, async (tmp) => {
      expect(tmp).not.toBe(dest);
      await writeFile(join(tmp, 'f.txt'), 'f');
    });
    expect(await readdir(dest)).toEqual(['f.txt']);
    await expect(
      writeDirAtomic(dest, async (tmp) => {
        await writeFile(join(tmp, 'g.txt'), 'g');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await readdir(dest)).toEqual(['f.txt']);
    expect(await readdir(dir)).toEqual(['built']);
  });
});
