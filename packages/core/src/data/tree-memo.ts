import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRef, ArtifactStore } from '../services/artifact-store.js';
import { isErrnoException, writeFileAtomic } from '../store/atomic-write.js';
import { hashJson } from '../util/hash.js';
import { FileHashCache } from './file-hash-cache.js';

const MEMO_FILE = 'trees.json';

interface MemoFileContent {
  format: 'mlops-tree-memo/1';
  /** Hash of the sorted (path, content hash) list → the tree reference the store returned. */
  trees: Record<string, ArtifactRef>;
}

/** Options of {@link putTreeMemoized}. */
export interface PutTreeMemoizedOptions {
  /** Directory of the memo and file-hash caches (`<store>/cache`); none disables the memo. */
  cacheDir?: string;
  /** Name recorded on the reference. */
  name?: string;
}

/**
 * `store.putTree(entries)`, skipped when the same paths with the same contents were stored
 * before and the store still has that tree: re-storing 70k unchanged images costs the store a
 * full read (and write) of every file, while this costs a `stat` per file (content hashes come
 * from the stat cache) and one `has`. A tree object present in the store implies its files are
 * too: stores write files before the manifest that names them.
 */
export async function putTreeMemoized(
  store: ArtifactStore,
  entries: { path: string; file: string }[],
  options: PutTreeMemoizedOptions = {},
): Promise<ArtifactRef> {
  const meta = options.name === undefined ? {} : { name: options.name };
  if (options.cacheDir === undefined) return store.putTree(entries, meta);
  const hashes = await FileHashCache.open(options.cacheDir);
  const digests = await hashes.digestAll(entries.map((e) => e.file));
  await hashes.save();
  const key = hashJson(
    entries
      .map((e, i) => [e.path, digests[i]?.hash ?? ''])
      .sort((a, b) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1)),
  );
  const file = join(options.cacheDir, MEMO_FILE);
  const memo = await readMemo(file);
  const known = memo.trees[key];
  if (known && (await store.has(known.hash))) return { ...known, ...meta };
  const ref = await store.putTree(entries, meta);
  // Re-read before writing: another run may have added trees meanwhile.
  const latest = await readMemo(file);
  latest.trees[key] = { hash: ref.hash, kind: ref.kind, size: ref.size };
  await writeFileAtomic(file, JSON.stringify(latest));
  return ref;
}

async function readMemo(file: string): Promise<MemoFileContent> {
  try {
    const content = JSON.parse(await readFile(file, 'utf8')) as Partial<MemoFileContent>;
    if (content.format === 'mlops-tree-memo/1' && content.trees && typeof content.trees === 'object') {
      return { format: 'mlops-tree-memo/1', trees: content.trees };
    }
  } catch (error) {
    if (!isErrnoException(error, 'ENOENT') && !(error instanceof SyntaxError)) throw error;
  }
  return { format: 'mlops-tree-memo/1', trees: {} };
}
