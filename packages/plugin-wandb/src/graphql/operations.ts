/**
 * The GraphQL documents this plugin sends, each a subset of the document the wandb Python SDK
 * sends for the same operation (`wandb/sdk/internal/internal_api.py` and the artifact queries of
 * `tools/graphql_codegen/artifacts/*.graphql`): same operation names, argument names, input fields
 * and result fields, so the real server accepts them. Result fields follow the current schema
 * (e.g. an alias names its collection as `artifactCollection { name project { … } }`). The test
 * server checks requests against these shapes.
 */

/** Creates or updates a run ("bucket"): name, display name, group, tags, config, the sweep it is a trial of. */
export const UPSERT_BUCKET = `mutation UpsertBucket(
  $id: String,
  $name: String,
  $project: String,
  $entity: String,
  $groupName: String,
  $displayName: String,
  $notes: String,
  $config: JSONString,
  $jobType: String,
  $sweep: String,
  $tags: [String!]
) {
  upsertBucket(input: {
    id: $id,
    name: $name,
    groupName: $groupName,
    modelName: $project,
    entityName: $entity,
    displayName: $displayName,
    notes: $notes,
    config: $config,
    jobType: $jobType,
    sweep: $sweep,
    tags: $tags
  }) {
    bucket {
      id
      name
      displayName
      project {
        id
        name
        entity {
          id
          name
        }
      }
    }
    inserted
  }
}`;

/** Where a resumed run left off: how many history lines the server already has. */
export const RUN_RESUME_STATUS = `query RunResumeStatus($project: String, $entity: String, $name: String!) {
  model(name: $project, entityName: $entity) {
    id
    name
    bucket(name: $name, missingOk: true) {
      id
      name
      historyLineCount
    }
  }
}`;

/** Signed upload URLs for run files (media, tables). */
export const CREATE_RUN_FILES = `mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID
    uploadHeaders
    files {
      name
      uploadUrl
    }
  }
}`;

/** Creates an artifact version (or returns the existing one with the same digest). */
export const CREATE_ARTIFACT = `mutation CreateArtifact(
  $artifactTypeName: String!,
  $artifactCollectionNames: [String!],
  $entityName: String!,
  $projectName: String!,
  $runName: String,
  $description: String,
  $digest: String!,
  $aliases: [ArtifactAliasInput!],
  $metadata: JSONString,
  $clientID: ID!,
  $sequenceClientID: ID!,
  $enableDigestDeduplication: Boolean
) {
  createArtifact(input: {
    artifactTypeName: $artifactTypeName,
    artifactCollectionNames: $artifactCollectionNames,
    entityName: $entityName,
    projectName: $projectName,
    runName: $runName,
    description: $description,
    digest: $digest,
    digestAlgorithm: MANIFEST_MD5,
    aliases: $aliases,
    metadata: $metadata,
    clientID: $clientID,
    sequenceClientID: $sequenceClientID,
    enableDigestDeduplication: $enableDigestDeduplication
  }) {
    artifact {
      id
      state
      artifactSequence {
        id
        latestArtifact {
          id
          versionIndex
        }
      }
    }
  }
}`;

/** Creates the artifact's manifest file record and its upload URL. */
export const CREATE_ARTIFACT_MANIFEST = `mutation CreateArtifactManifest(
  $name: String!,
  $digest: String!,
  $artifactID: ID!,
  $baseArtifactID: ID,
  $entityName: String!,
  $projectName: String!,
  $runName: String!,
  $includeUpload: Boolean!
) {
  createArtifactManifest(input: {
    name: $name,
    digest: $digest,
    artifactID: $artifactID,
    baseArtifactID: $baseArtifactID,
    entityName: $entityName,
    projectName: $projectName,
    runName: $runName
  }) {
    artifactManifest {
      id
      file {
        id
        name
        displayName
        uploadUrl @include(if: $includeUpload)
        uploadHeaders @include(if: $includeUpload)
      }
    }
  }
}`;

/** Upload URLs for the artifact's files (null URL: the content is already stored). */
export const CREATE_ARTIFACT_FILES = `mutation CreateArtifactFiles(
  $storageLayout: ArtifactStorageLayout!
  $artifactFiles: [CreateArtifactFileSpecInput!]!
) {
  createArtifactFiles(input: {
    artifactFiles: $artifactFiles,
    storageLayout: $storageLayout
  }) {
    files {
      edges {
        node {
          id
          name
          displayName
          uploadUrl
          uploadHeaders
          artifact {
            id
          }
        }
      }
    }
  }
}`;

/** Seals an artifact version once its files and manifest are uploaded. */
export const COMMIT_ARTIFACT = `mutation CommitArtifact(
  $artifactID: ID!,
) {
  commitArtifact(input: {
    artifactID: $artifactID,
  }) {
    artifact {
      id
      digest
    }
  }
}`;

/** Points aliases at an artifact version (moving them off the version that had them). */
export const ADD_ALIASES = `mutation AddAliases($artifactID: ID!, $aliases: [ArtifactCollectionAliasInput!]!) {
  addAliases(input: {artifactID: $artifactID, aliases: $aliases}) {
    success
  }
}`;

/** Removes aliases from an artifact version. */
export const DELETE_ALIASES = `mutation DeleteAliases($artifactID: ID!, $aliases: [ArtifactCollectionAliasInput!]!) {
  deleteAliases(input: {artifactID: $artifactID, aliases: $aliases}) {
    success
  }
}`;

/**
 * The fields of an artifact version this plugin reads. Aliases come with the collection they
 * belong to, as `ArtifactAliasFragment` + `CollectionInfoFragment` read them: an artifact linked
 * into a registry collection carries that collection's aliases too, so the name alone does not
 * say which collection an alias is in.
 */
const ARTIFACT_FIELDS = `id
      digest
      state
      versionIndex
      createdAt
      metadata
      aliases {
        alias
        artifactCollection {
          name
          project {
            name
            entity {
              name
            }
          }
        }
      }`;

/** One artifact version by `name:alias` or `name:vN`. */
export const ARTIFACT_BY_NAME = `query ArtifactByName($entityName: String!, $projectName: String!, $name: String!) {
  project(name: $projectName, entityName: $entityName) {
    artifact(name: $name) {
      ${ARTIFACT_FIELDS}
    }
  }
}`;

/** One artifact version by id. */
export const ARTIFACT_BY_ID = `query ArtifactByID($id: ID!) {
  artifact(id: $id) {
    ${ARTIFACT_FIELDS}
  }
}`;

/**
 * Files of an artifact version, paged, with their download URLs. The path of a file inside the
 * artifact is its `displayName` (the SDK's `FileFragment` reads `name: displayName`, and
 * `Api.create_artifact_files` keys its answer by `displayName`); `name` is the server's own name
 * for the stored file, which is not the path.
 */
export const ARTIFACT_FILES = `query ArtifactFiles($id: ID!, $first: Int, $after: String) {
  artifact(id: $id) {
    files(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          displayName
          md5
          sizeBytes
          directUrl
        }
      }
    }
  }
}`;

/** Where the artifact version's manifest (`wandb_manifest.json`: paths, digests, sizes) can be read. */
export const FETCH_ARTIFACT_MANIFEST = `query FetchArtifactManifest($id: ID!) {
  artifact(id: $id) {
    currentManifest {
      file {
        directUrl
      }
    }
  }
}`;

/**
 * Links an artifact version into a collection of another project, e.g. a registry collection
 * (`wandb-registry-model/<name>` under the organization's entity) or the legacy Model Registry
 * (`<entity>/model-registry/<name>`), as `Artifact.link` / `Run.link_model` do
 * (`Api.link_artifact` in `internal_api.py`). Linking again returns the existing membership; the
 * aliases are set on the membership.
 */
export const LINK_ARTIFACT = `mutation LinkArtifact(
  $artifactPortfolioName: String!,
  $entityName: String!,
  $projectName: String!,
  $aliases: [ArtifactAliasInput!],
  $artifactID: ID
) {
  linkArtifact(input: {
    artifactPortfolioName: $artifactPortfolioName,
    entityName: $entityName,
    projectName: $projectName,
    aliases: $aliases,
    artifactID: $artifactID
  }) {
    versionIndex
  }
}`;

/** The organization(s) of an entity and their org entity names (registries live under those). */
export const FETCH_ORG_ENTITY_FROM_ENTITY = `query FetchOrgEntityFromEntity($entityName: String!) {
  entity(name: $entityName) {
    organization {
      name
      orgEntity {
        name
      }
    }
    user {
      organizations {
        name
        orgEntity {
          name
        }
      }
    }
  }
}`;

/** Versions of one artifact collection (a registry model), paged. */
export const ARTIFACT_COLLECTION_VERSIONS = `query ArtifactCollectionVersions(
  $entityName: String!,
  $projectName: String!,
  $artifactTypeName: String!,
  $collectionName: String!,
  $first: Int,
  $after: String
) {
  project(name: $projectName, entityName: $entityName) {
    artifactType(name: $artifactTypeName) {
      artifactCollection(name: $collectionName) {
        name
        artifacts(first: $first, after: $after) {
          pageInfo {
            hasNextPage
            endCursor
          }
          edges {
            node {
              ${ARTIFACT_FIELDS}
            }
          }
        }
      }
    }
  }
}`;

/** Collections (registry models) of an artifact type, paged. */
export const ARTIFACT_COLLECTIONS = `query ArtifactCollections(
  $entityName: String!,
  $projectName: String!,
  $artifactTypeName: String!,
  $first: Int,
  $after: String
) {
  project(name: $projectName, entityName: $entityName) {
    artifactType(name: $artifactTypeName) {
      artifactCollections(first: $first, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            name
          }
        }
      }
    }
  }
}`;

/** An artifact version as returned by the queries above. */
export interface ArtifactNode {
  /** Server id. */
  id: string;
  /** Manifest digest. */
  digest: string;
  /** `PENDING` or `COMMITTED`. */
  state: string;
  /** 0-based version index (`v0`, `v1`, ...). */
  versionIndex: number | null;
  /** ISO time. */
  createdAt: string;
  /** JSON string of the metadata. */
  metadata: string | null;
  /** Aliases, including the automatic `latest` and `vN`, of every collection the version is in. */
  aliases: ArtifactAliasNode[];
}

/** An alias and the collection it is in. */
export interface ArtifactAliasNode {
  /** The alias, e.g. `production`. */
  alias: string;
  /** Its collection; null when the server does not say. */
  artifactCollection: {
    name: string;
    project: { name: string; entity: { name: string } | null } | null;
  } | null;
}

/** A page of a connection. */
export interface Connection<T> {
  /** Paging. */
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Items. */
  edges: { node: T }[];
}
