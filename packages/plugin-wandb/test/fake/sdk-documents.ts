/**
 * The reference documents the fake server checks requests against: for each operation, the
 * document the wandb Python SDK sends (retyped here from its source, with the optional parts its
 * version switches add), so a request that asks for a field, argument or input field the SDK does
 * not use — and the real server may not know — fails the test. Sources:
 *
 * - `wandb/sdk/internal/internal_api.py` (wandb 0.15–0.16 variables; result fields as the current
 *   SDK selects them): UpsertBucket (`upsert_run`), RunResumeStatus (`run_resume_status`),
 *   CreateRunFiles (`upload_urls`), CreateArtifact (`_get_create_artifact_mutation`: the artifact's
 *   id, state and sequence; no `aliases`), CreateArtifactManifest, CreateArtifactFiles
 *   (`create_artifact_files`, which keys the answer by `displayName`), CommitArtifact,
 *   LinkArtifact (`link_artifact`), FetchOrgEntityFromEntity
 *   (`_fetch_orgs_and_org_entities_from_entity`), UpsertSweep (`upsert_sweep`; `set_sweep_state`
 *   sends a subset of it: the sweep's id and state), SweepWithRuns (`sweep`, which
 *   `set_sweep_state` reads the sweep's id and state with).
 * - `wandb/sdk/artifacts/artifact.py` and `tools/graphql_codegen/artifacts/*.graphql` (current
 *   SDK): the `ArtifactFragment` fields of ArtifactByName, ArtifactByID and
 *   ArtifactCollectionVersions — aliases as `ArtifactAliasFragment` with the collection as
 *   `CollectionInfoFragment`; the old `artifactCollectionName` field of an alias is not read
 *   any more —, AddAliases / DeleteAliases (`_add_aliases`, `_delete_aliases`), ArtifactFiles
 *   (`FileFragment`, whose `name: displayName` makes the display name the path, plus the raw
 *   `name` of `FileWithUrlFragment`), FetchArtifactManifest, ArtifactCollections
 *   (`ProjectArtifactCollections`).
 *
 * The parser has no fragments, so they are written out.
 */
export const SDK_DOCUMENTS: Record<string, string> = {
  UpsertBucket: `mutation UpsertBucket(
    $id: String, $name: String, $project: String, $entity: String, $groupName: String,
    $description: String, $displayName: String, $notes: String, $commit: String,
    $config: JSONString, $host: String, $debug: Boolean, $program: String, $repo: String,
    $jobType: String, $state: String, $sweep: String, $tags: [String!], $summaryMetrics: JSONString
  ) {
    upsertBucket(input: {
      id: $id, name: $name, groupName: $groupName, modelName: $project, entityName: $entity,
      description: $description, displayName: $displayName, notes: $notes, config: $config,
      commit: $commit, host: $host, debug: $debug, jobProgram: $program, jobRepo: $repo,
      jobType: $jobType, state: $state, sweep: $sweep, tags: $tags, summaryMetrics: $summaryMetrics
    }) {
      bucket {
        id name displayName description config sweepName
        project { id name entity { id name } }
      }
      inserted
    }
  }`,
  UpsertSweep: `mutation UpsertSweep(
    $id: ID, $config: String, $description: String, $entityName: String, $projectName: String,
    $controller: JSONString, $scheduler: JSONString, $state: String, $priorRunsFilters: JSONString
  ) {
    upsertSweep(input: {
      id: $id, config: $config, description: $description, entityName: $entityName,
      projectName: $projectName, controller: $controller, scheduler: $scheduler, state: $state,
      priorRunsFilters: $priorRunsFilters
    }) {
      sweep { name project { id name entity { id name } } }
      configValidationWarnings
    }
  }`,
  SweepWithRuns: `query SweepWithRuns($entity: String, $project: String, $sweep: String!, $specs: [JSONString!]!) {
    project(name: $project, entityName: $entity) {
      sweep(sweepName: $sweep) {
        id name method state description config createdAt heartbeatAt updatedAt
        earlyStopJobRunning bestLoss controller scheduler
        runs {
          edges {
            node {
              name state config exitcode heartbeatAt shouldStop failed stopped running summaryMetrics
              sampledHistory(specs: $specs)
            }
          }
        }
      }
    }
  }`,
  RunResumeStatus: `query RunResumeStatus($project: String, $entity: String, $name: String!) {
    model(name: $project, entityName: $entity) {
      id name
      entity { id name }
      bucket(name: $name, missingOk: true) {
        id name summaryMetrics displayName logLineCount historyLineCount eventsLineCount
        historyTail eventsTail config tags
      }
    }
  }`,
  CreateRunFiles: `mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
    createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
      runID
      uploadHeaders
      files { name uploadUrl }
    }
  }`,
  CreateArtifact: `mutation CreateArtifact(
    $artifactTypeName: String!, $artifactCollectionNames: [String!], $entityName: String!,
    $projectName: String!, $runName: String, $description: String, $digest: String!,
    $labels: JSONString, $aliases: [ArtifactAliasInput!], $metadata: JSONString,
    $historyStep: Int64!, $distributedID: String, $clientID: ID!, $sequenceClientID: ID!,
    $enableDigestDeduplication: Boolean
  ) {
    createArtifact(input: {
      artifactTypeName: $artifactTypeName, artifactCollectionNames: $artifactCollectionNames,
      entityName: $entityName, projectName: $projectName, runName: $runName,
      description: $description, digest: $digest, digestAlgorithm: MANIFEST_MD5, labels: $labels,
      aliases: $aliases, metadata: $metadata, historyStep: $historyStep,
      distributedID: $distributedID, clientID: $clientID, sequenceClientID: $sequenceClientID,
      enableDigestDeduplication: $enableDigestDeduplication
    }) {
      artifact {
        id state
        artifactSequence { id latestArtifact { id versionIndex } }
      }
    }
  }`,
  CreateArtifactManifest: `mutation CreateArtifactManifest(
    $name: String!, $digest: String!, $artifactID: ID!, $baseArtifactID: ID,
    $entityName: String!, $projectName: String!, $runName: String!, $includeUpload: Boolean!,
    $type: ArtifactManifestType = FULL
  ) {
    createArtifactManifest(input: {
      name: $name, digest: $digest, artifactID: $artifactID, baseArtifactID: $baseArtifactID,
      entityName: $entityName, projectName: $projectName, runName: $runName, type: $type
    }) {
      artifactManifest {
        id
        file {
          id name displayName
          uploadUrl @include(if: $includeUpload)
          uploadHeaders @include(if: $includeUpload)
        }
      }
    }
  }`,
  CreateArtifactFiles: `mutation CreateArtifactFiles(
    $storageLayout: ArtifactStorageLayout!
    $artifactFiles: [CreateArtifactFileSpecInput!]!
  ) {
    createArtifactFiles(input: { artifactFiles: $artifactFiles, storageLayout: $storageLayout }) {
      files { edges { node { id name displayName uploadUrl uploadHeaders storagePath artifact { id } } } }
    }
  }`,
  CommitArtifact: `mutation CommitArtifact($artifactID: ID!) {
    commitArtifact(input: { artifactID: $artifactID }) { artifact { id digest } }
  }`,
  AddAliases: `mutation AddAliases($artifactID: ID!, $aliases: [ArtifactCollectionAliasInput!]!) {
    addAliases(input: {artifactID: $artifactID, aliases: $aliases}) { success }
  }`,
  DeleteAliases: `mutation DeleteAliases($artifactID: ID!, $aliases: [ArtifactCollectionAliasInput!]!) {
    deleteAliases(input: {artifactID: $artifactID, aliases: $aliases}) { success }
  }`,
  ArtifactByName: `query ArtifactByName($entityName: String!, $projectName: String!, $name: String!, $enableTracking: Boolean) {
    project(name: $projectName, entityName: $entityName) {
      artifact(name: $name, enableTracking: $enableTracking) { ${fragment()} }
    }
  }`,
  ArtifactByID: `query ArtifactByID($id: ID!) {
    artifact(id: $id) { ${fragment()} }
  }`,
  ArtifactFiles: `query ArtifactFiles($id: ID!, $fileNames: [String!], $first: Int, $after: String) {
    artifact(id: $id) {
      files(names: $fileNames, after: $after, first: $first) {
        edges { node { __typename id name displayName url sizeBytes storagePath mimetype updatedAt digest md5 directUrl } cursor }
        pageInfo { __typename endCursor hasNextPage }
      }
    }
  }`,
  FetchArtifactManifest: `query FetchArtifactManifest($id: ID!) {
    artifact(id: $id) { currentManifest { file { directUrl } } }
  }`,
  LinkArtifact: `mutation LinkArtifact(
    $artifactPortfolioName: String!, $entityName: String!, $projectName: String!,
    $aliases: [ArtifactAliasInput!], $artifactID: ID, $clientID: ID
  ) {
    linkArtifact(input: {
      artifactPortfolioName: $artifactPortfolioName, entityName: $entityName,
      projectName: $projectName, aliases: $aliases, artifactID: $artifactID, clientID: $clientID
    }) { versionIndex }
  }`,
  FetchOrgEntityFromEntity: `query FetchOrgEntityFromEntity($entityName: String!) {
    entity(name: $entityName) {
      organization { name orgEntity { name } }
      user { organizations { name orgEntity { name } } }
    }
  }`,
  ArtifactCollectionVersions: `query ArtifactCollectionVersions(
    $entityName: String!, $projectName: String!, $artifactTypeName: String!, $collectionName: String!,
    $first: Int, $after: String, $filters: JSONString
  ) {
    project(name: $projectName, entityName: $entityName) {
      artifactType(name: $artifactTypeName) {
        artifactCollection(name: $collectionName) {
          name
          artifacts(filters: $filters, after: $after, first: $first) {
            totalCount
            edges { node { ${fragment()} } version cursor }
            pageInfo { endCursor hasNextPage }
          }
        }
      }
    }
  }`,
  ArtifactCollections: `query ArtifactCollections(
    $entityName: String!, $projectName: String!, $artifactTypeName: String!, $first: Int, $after: String
  ) {
    project(name: $projectName, entityName: $entityName) {
      artifactType(name: $artifactTypeName) {
        artifactCollections(after: $after, first: $first) {
          pageInfo { endCursor hasNextPage }
          totalCount
          edges { node { id name description createdAt } cursor }
        }
      }
    }
  }`,
};

/**
 * The `ArtifactFragment` fields of the current SDK (`tools/graphql_codegen/artifacts/artifacts.graphql`),
 * with `SourceCollectionInfoFragment`, `CollectionInfoFragment`, `ProjectInfoFragment`,
 * `ArtifactAliasFragment` and `TagFragment` written out.
 */
function fragment(): string {
  const project = 'project { id internalId name entity { name } }';
  return `__typename id
    artifactSequence { __typename name ${project} }
    versionIndex
    artifactType { name }
    description metadata ttlDurationSeconds ttlIsInherited
    tags { __typename id name }
    historyStep state size digest commitHash fileCount createdAt updatedAt
    aliases { artifactCollection { __typename name ${project} } __typename id alias }`;
}
