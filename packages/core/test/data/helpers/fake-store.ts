import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ArtifactRef, ArtifactStore, TreeManifest } from '../../../src/services/artifact-store.js';
import { stableStringify } from '../../../src/util/json.js';

const sha = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/**
 * A minimal directory-backed ArtifactStore for tests: objects under `objects/<hash>`, trees as
 * stable-JSON manifests like the real store's. Counts putTree and localPath calls.
 */
export class FakeStore implements ArtifactStore {
  putTreeCalls = 0;
  localPathCalls = 0;

  constructor(readonly location: string) {}

  private obj(hash: string): string {
    return join(this.location, 'objects', hash);
  }

  async putBytes(bytes: Uint8Array): Promise<ArtifactRef> {
    const hash = sha(bytes);
    await mkdir(dirname(this.obj(hash)), { recursive: true });
    await writeFile(this.obj(hash), bytes);
    return { hash, kind: 'file', size: bytes.byteLength };
  }

  async putFile(path: string): Promise<ArtifactRef> {
    return this.putBytes(await readFile(path));
  }

  async putDir(): Promise<ArtifactRef> {
    throw new Error('not used in these tests');
  }

  async putTree(entries: { path: string; file: string }[], meta?: { name?: string }): Promise<ArtifactRef> {
    this.putTreeCalls++;
    const treeEntries = [];
    for (const entry of entries) {
      const ref = await this.putFile(entry.file);
      treeEntries.push({ path: entry.path, hash: ref.hash, size: ref.size });
    }
    treeEntries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest: TreeManifest = { format: 'mlops-tree/1', entries: treeEntries };
    const ref = await this.putBytes(Buffer.from(stableStringify(manifest)));
    const size = treeEntries.reduce((s, e) => s + e.size, 0);
    return { hash: ref.hash, kind: 'dir', size, name: meta?.name };
  }

  async has(hash: string): Promise<boolean> {
    return stat(this.obj(hash)).then(
      () => true,
      () => false,
    );
  }

  async getBytes(ref: ArtifactRef | string): Promise<Buffer> {
    return readFile(this.obj(typeof ref === 'string' ? ref : ref.hash));
  }

  async getTree(ref: ArtifactRef | string): Promise<TreeManifest> {
    return JSON.parse((await this.getBytes(ref)).toString('utf8')) as TreeManifest;
  }

  async localPath(ref: ArtifactRef): Promise<string> {
    this.localPathCalls++;
    if (ref.kind === 'file') return this.obj(ref.hash);
    const dir = join(this.location, 'trees', ref.hash);
    await this.checkout(ref, dir);
    return dir;
  }

  async checkout(ref: ArtifactRef, dest: string): Promise<void> {
    const tree = await this.getTree(ref);
    for (const entry of tree.entries) {
      await mkdir(dirname(join(dest, entry.path)), { recursive: true });
      await copyFile(this.obj(entry.hash), join(dest, entry.path));
    }
  }

  async *list(): AsyncIterable<string> {}
}
