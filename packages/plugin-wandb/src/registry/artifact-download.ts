import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type ArtifactRef,
  type ArtifactStore,
  MlopsError,
  readJsonIfExists,
  writeJsonAtomic,
} from '@mlops/core';
import {
  ARTIFACT_FILES,
  type ArtifactNode,
  type Connection,
  FETCH_ARTIFACT_MANIFEST,
} from '../graphql/operations.js';
import type { WandbClient } from '../http/wandb-client.js';
import { md5Base64 } from './artifact-manifest.js';
import { fileRefPath, isMlopsArtifact, toModelVersion } from './model-metadata.js';

/** A file of an artifact version as the server lists it; `displayName` is its path in the artifact. */
interface RemoteFile {
  displayName: string;
  md5: string;
  sizeBytes: number;
  directUrl: string;
}

/** One entry of the manifest: a path inside the artifact and its base64 MD5. */
interface ManifestFile {
  path: string;
  digest: string;
}

/** What the download cache remembers of an artifact version. */
interface CachedArtifact {
  /** Artifact id. */
  id: string;
  /** Its manifest digest when downloaded. */
  digest: string;
  /** The refs its files were stored under. */
  artifacts: Record<string, ArtifactRef>;
}

/** Result of {@link materializeArtifact}. */
export interface Materialized {
  /** Refs by role, present in the store. */
  artifacts: Record<string, ArtifactRef>;
  /** Whether files were downloaded (false: served from the cache). */
  downloaded: boolean;
}

/**
 * Makes an artifact version's files present in the local store and returns their refs. A version
 * downloaded before (its refs recorded in `<cacheDir>/<id>.json` and still in the store) is not
 * downloaded again. The paths come from the version's manifest (`wandb_manifest.json`, what the
 * SDK's `Artifact.download` walks), and each is fetched from the listed file whose `displayName`
 * is that path (or, failing that, whose MD5 is the entry's digest: same bytes). Every file is
 * checked against the manifest's MD5, and for artifacts logged by mlops the stored refs must hash
 * to the ones recorded at registration. An artifact logged by something else is stored whole as
 * one `dir` ref with role `files`.
 */
export async function materializeArtifact(
  client: WandbClient,
  store: ArtifactStore,
  cacheDir: string,
  model: string,
  node: ArtifactNode,
): Promise<Materialized> {
  const cachePath = join(cacheDir, `${safeId(node.id)}.json`);
  const cached = await readJsonIfExists<CachedArtifact>(cachePath);
  if (cached && cached.digest === node.digest && (await allPresent(store, cached.artifacts))) {
    return { artifacts: cached.artifacts, downloaded: false };
  }
  const files = await listFiles(client, node.id);
  const entries =
    (await readManifest(client, node.id, model)) ??
    files.map((f) => ({ path: f.displayName, digest: f.md5 }) satisfies ManifestFile);
  const byPath = new Map(files.map((f) => [f.displayName, f]));
  const byMd5 = new Map(files.map((f) => [f.md5, f]));
  const scratch = join(cacheDir, 'tmp');
  await mkdir(scratch, { recursive: true });
  const dir = await mkdtemp(join(scratch, 'dl-'));
  try {
    for (const entry of entries) {
      const parts = entry.path.split('/');
      if (parts.some((p) => p === '' || p === '.' || p === '..') || entry.path.includes('\\')) {
        throw new MlopsError(
          'MLOPS_ERR_STORE_CORRUPT',
          `artifact ${model} (W&B id ${node.id}) lists a file outside the artifact: ${JSON.stringify(entry.path)}`,
        );
      }
      const file = byPath.get(entry.path) ?? byMd5.get(entry.digest);
      if (!file) {
        throw new MlopsError(
          'MLOPS_ERR_STORE_CORRUPT',
          `W&B lists no file for ${entry.path} of ${model} (W&B id ${node.id}), which its manifest names`,
          { hint: 'Retry; if it persists the artifact on W&B is incomplete: register the model again.' },
        );
      }
      const bytes = await client.download(file.directUrl);
      if (md5Base64(bytes) !== entry.digest) {
        throw new MlopsError(
          'MLOPS_ERR_STORE_CORRUPT',
          `artifact file ${entry.path} of ${model} (W&B id ${node.id}) does not match its MD5`,
          { hint: 'Retry; if it persists the artifact on W&B is damaged: register the model again.' },
        );
      }
      const target = join(dir, ...parts);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes);
    }
    const artifacts = isMlopsArtifact(node)
      ? await storeByRole(store, dir, toModelVersion(model, node).artifacts, model)
      : { files: await store.putDir(dir, { name: model }) };
    await writeJsonAtomic(cachePath, {
      id: node.id,
      digest: node.digest,
      artifacts,
    } satisfies CachedArtifact);
    return { artifacts, downloaded: true };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function storeByRole(
  store: ArtifactStore,
  dir: string,
  expected: Record<string, ArtifactRef>,
  model: string,
): Promise<Record<string, ArtifactRef>> {
  const artifacts: Record<string, ArtifactRef> = {};
  for (const [role, ref] of Object.entries(expected)) {
    const stored =
      ref.kind === 'dir'
        ? await store.putDir(join(dir, role), ref.name ? { name: ref.name } : {})
        : await store.putFile(join(dir, ...fileRefPath(role, ref).split('/')), {
            ...(ref.name ? { name: ref.name } : {}),
            ...(ref.mediaType ? { mediaType: ref.mediaType } : {}),
          });
    if (stored.hash !== ref.hash) {
      throw new MlopsError(
        'MLOPS_ERR_STORE_CORRUPT',
        `the "${role}" files of ${model} downloaded from W&B hash to ${stored.hash.slice(0, 12)}…, not ${ref.hash.slice(0, 12)}… as registered`,
        { hint: 'The artifact was changed after registration; register the model again.' },
      );
    }
    artifacts[role] = { ...ref };
  }
  return artifacts;
}

/**
 * The manifest's entries (path and digest), or undefined when the server has no manifest for the
 * version. Reference entries (`ref`: files kept outside W&B, e.g. `s3://…`) cannot be downloaded
 * here.
 */
async function readManifest(
  client: WandbClient,
  id: string,
  model: string,
): Promise<ManifestFile[] | undefined> {
  const data = await client.graphql<{
    artifact: { currentManifest: { file: { directUrl: string | null } | null } | null } | null;
  }>('FetchArtifactManifest', FETCH_ARTIFACT_MANIFEST, { id });
  const url = data.artifact?.currentManifest?.file?.directUrl;
  if (!url) return undefined;
  let manifest: { contents?: Record<string, { digest?: unknown; ref?: unknown }> };
  try {
    manifest = JSON.parse((await client.download(url)).toString('utf8')) as typeof manifest;
  } catch (error) {
    if (error instanceof MlopsError) throw error;
    throw new MlopsError('MLOPS_ERR_STORE_CORRUPT', `the W&B manifest of ${model} (id ${id}) is not JSON`);
  }
  const entries: ManifestFile[] = [];
  for (const [path, entry] of Object.entries(manifest.contents ?? {})) {
    if (entry.ref !== undefined && entry.ref !== null) {
      throw new MlopsError(
        'MLOPS_ERR_REMOTE_REQUEST',
        `artifact ${model} (W&B id ${id}) refers to ${path} outside W&B (${String(entry.ref)}); mlops downloads only files stored in W&B`,
      );
    }
    if (typeof entry.digest !== 'string')
      throw new MlopsError(
        'MLOPS_ERR_STORE_CORRUPT',
        `the W&B manifest of ${model} has no digest for ${path}`,
      );
    entries.push({ path, digest: entry.digest });
  }
  return entries;
}

async function listFiles(client: WandbClient, id: string): Promise<RemoteFile[]> {
  const files: RemoteFile[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { artifact: { files: Connection<RemoteFile> } | null } = await client.graphql(
      'ArtifactFiles',
      ARTIFACT_FILES,
      { id, first: 100, after },
    );
    if (!data.artifact)
      throw new MlopsError('MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND', `W&B has no artifact ${id}`);
    files.push(...data.artifact.files.edges.map((e) => e.node));
    if (!data.artifact.files.pageInfo.hasNextPage) return files;
    after = data.artifact.files.pageInfo.endCursor;
  }
}

async function allPresent(store: ArtifactStore, artifacts: Record<string, ArtifactRef>): Promise<boolean> {
  for (const ref of Object.values(artifacts)) if (!(await store.has(ref.hash))) return false;
  return true;
}

function safeId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
