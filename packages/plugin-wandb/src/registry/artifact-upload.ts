import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArtifactRef, type ArtifactStore, type JsonObject, MlopsError } from '@mlops/core';
import {
  COMMIT_ARTIFACT,
  CREATE_ARTIFACT,
  CREATE_ARTIFACT_FILES,
  CREATE_ARTIFACT_MANIFEST,
} from '../graphql/operations.js';
import type { WandbClient } from '../http/wandb-client.js';
import { type ManifestEntry, manifestDigest, manifestJson, md5Base64 } from './artifact-manifest.js';
import { fileRefPath } from './model-metadata.js';

/** What {@link logModelArtifact} uploads. */
export interface ModelArtifactInput {
  /** Entity. */
  entity: string;
  /** Project. */
  project: string;
  /** Collection name (the registry model). */
  model: string;
  /** Artifact type. Default `model`. */
  type?: string;
  /** The run that produced it (must exist on W&B), for lineage. */
  runName?: string;
  /** Artifacts by role, read from `store`. */
  artifacts: Record<string, ArtifactRef>;
  /** Artifact metadata. */
  metadata: JsonObject;
  /** Aliases set at creation. */
  aliases: string[];
  /** Description. */
  description?: string;
}

/** An artifact file to upload: its path in the artifact and where its bytes are. */
interface LocalEntry extends ManifestEntry {
  file: string;
}

/**
 * Logs a model version as a W&B artifact, the way `run.log_artifact` does: createArtifact (with
 * the manifest digest, so identical content returns the existing version, already committed),
 * then createArtifactManifest, createArtifactFiles and a PUT of every file the server does not
 * have yet, the manifest upload, and commitArtifact. Returns the artifact's id.
 */
export async function logModelArtifact(
  client: WandbClient,
  store: ArtifactStore,
  input: ModelArtifactInput,
): Promise<string> {
  const entries = await localEntries(store, input.artifacts);
  const digest = manifestDigest(entries);
  const created = await client.graphql<{ createArtifact: { artifact: { id: string; state: string } } }>(
    'CreateArtifact',
    CREATE_ARTIFACT,
    {
      artifactTypeName: input.type ?? 'model',
      artifactCollectionNames: [input.model],
      entityName: input.entity,
      projectName: input.project,
      runName: input.runName,
      description: input.description,
      digest,
      aliases: input.aliases.map((alias) => ({ artifactCollectionName: input.model, alias })),
      metadata: JSON.stringify(input.metadata),
      clientID: randomUUID(),
      sequenceClientID: randomUUID(),
      enableDigestDeduplication: true,
    },
  );
  const artifact = created.createArtifact.artifact;
  if (artifact.state === 'COMMITTED') return artifact.id; // same content logged before

  const manifest = await client.graphql<{
    createArtifactManifest: {
      artifactManifest: { file: { uploadUrl: string | null; uploadHeaders: string[] | null } };
    };
  }>('CreateArtifactManifest', CREATE_ARTIFACT_MANIFEST, {
    name: 'wandb_manifest.json',
    digest,
    artifactID: artifact.id,
    entityName: input.entity,
    projectName: input.project,
    runName: input.runName ?? '',
    includeUpload: true,
  });
  const files = await client.graphql<{
    createArtifactFiles: {
      files: {
        edges: {
          node: {
            name: string;
            displayName: string;
            uploadUrl: string | null;
            uploadHeaders: string[] | null;
          };
        }[];
      };
    };
  }>('CreateArtifactFiles', CREATE_ARTIFACT_FILES, {
    storageLayout: 'V2',
    artifactFiles: entries.map((entry) => ({
      artifactID: artifact.id,
      name: entry.path,
      md5: entry.digest,
      mimetype: null,
    })),
  });
  const byName = new Map(files.createArtifactFiles.files.edges.map((e) => [e.node.displayName, e.node]));
  for (const entry of entries) {
    const node = byName.get(entry.path);
    if (!node) {
      throw new MlopsError('MLOPS_ERR_REMOTE_REQUEST', `W&B did not return artifact file ${entry.path}`, {
        hint: 'Retry the registration; the artifact stays uncommitted until every file is uploaded.',
      });
    }
    if (!node.uploadUrl) continue; // the server already has this content
    const headers = [...(node.uploadHeaders ?? [])];
    if (!headers.some((h) => h.toLowerCase().startsWith('content-md5:')))
      headers.push(`Content-MD5:${entry.digest}`);
    await client.upload(node.uploadUrl, await readFile(entry.file), headers);
  }
  const manifestFile = manifest.createArtifactManifest.artifactManifest.file;
  if (manifestFile.uploadUrl) {
    await client.upload(
      manifestFile.uploadUrl,
      new TextEncoder().encode(manifestJson(entries, artifact.id)),
      manifestFile.uploadHeaders ?? [],
    );
  }
  await client.graphql('CommitArtifact', COMMIT_ARTIFACT, { artifactID: artifact.id });
  return artifact.id;
}

/** Every file of the refs, with its artifact path and digest. */
async function localEntries(
  store: ArtifactStore,
  artifacts: Record<string, ArtifactRef>,
): Promise<LocalEntry[]> {
  const entries: LocalEntry[] = [];
  for (const [role, ref] of Object.entries(artifacts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (ref.kind === 'dir') {
      const root = await store.localPath(ref);
      const tree = await store.getTree(ref);
      for (const item of tree.entries) {
        const file = join(root, ...item.path.split('/'));
        entries.push({
          path: `${role}/${item.path}`,
          file,
          size: item.size,
          digest: md5Base64(await readFile(file)),
        });
      }
    } else {
      const file = await store.localPath(ref);
      entries.push({
        path: fileRefPath(role, ref),
        file,
        size: ref.size,
        digest: md5Base64(await readFile(file)),
      });
    }
  }
  return entries;
}
