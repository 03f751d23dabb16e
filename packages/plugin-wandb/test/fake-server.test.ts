/** The fake W&B server is only useful if it refuses what the real one would: checked here. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { startFake, TEST_KEY } from './helpers.js';

const auth = {
  authorization: `Basic ${Buffer.from(`api:${TEST_KEY}`).toString('base64')}`,
  'content-type': 'application/json',
};

let fake: FakeWandbServer;
beforeEach(async () => {
  fake = await startFake();
});
afterEach(async () => {
  await fake.close();
});

async function gql(
  operationName: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<number> {
  const res = await fetch(`${fake.url}/graphql`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ operationName, query, variables }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('fake W&B server strictness', () => {
  it('refuses unknown operations, fields, input fields and missing required variables', async () => {
    expect(await gql('Hack', 'query Hack { viewer { apiKeys } }')).toBe(400);
    expect(
      await gql(
        'UpsertBucket',
        'mutation UpsertBucket($name: String) { upsertBucket(input: {name: $name}) { bucket { secret } } }',
      ),
    ).toBe(400);
    expect(
      await gql(
        'UpsertBucket',
        'mutation UpsertBucket($name: String) { upsertBucket(input: {nom: $name}) { inserted } }',
      ),
    ).toBe(400);
    expect(
      await gql(
        'CommitArtifact',
        'mutation CommitArtifact($artifactID: ID!) { commitArtifact(input: {artifactID: $artifactID}) { artifact { id } } }',
      ),
    ).toBe(400);
    expect(fake.violations).toHaveLength(4);
    expect(fake.violations.join('\n')).toMatch(/unknown GraphQL operation Hack/);
    expect(fake.violations.join('\n')).toMatch(/unknown field UpsertBucket.upsertBucket.bucket.secret/);
    expect(fake.violations.join('\n')).toMatch(/unknown input field .*nom/);
    expect(fake.violations.join('\n')).toMatch(/required \$artifactID empty/);
  });

  it('refuses calls out of order: streaming to a run never created, committing an artifact never uploaded', async () => {
    const res = await fetch(`${fake.url}/files/e/p/nope/file_stream`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ files: { 'wandb-history.jsonl': { offset: 0, content: ['{}'] } } }),
    });
    expect(res.status).toBe(400);
    expect(
      await gql(
        'CommitArtifact',
        'mutation CommitArtifact($artifactID: ID!) { commitArtifact(input: {artifactID: $artifactID}) { artifact { id } } }',
        {
          artifactID: 'art-404',
        },
      ),
    ).toBe(400);
    expect(fake.violations.join('\n')).toMatch(/never upserted[\s\S]*never created/);
  });

  it('requires the key on API calls', async () => {
    const res = await fetch(`${fake.url}/graphql`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });

  it('refuses the old alias shape and a quoted NaN in history, as the current schema and format do', async () => {
    expect(
      await gql(
        'ArtifactByID',
        'query ArtifactByID($id: ID!) { artifact(id: $id) { aliases { artifactCollectionName alias } } }',
        { id: 'art-1' },
      ),
    ).toBe(400);
    expect(fake.violations.join('\n')).toMatch(
      /unknown field ArtifactByID.artifact.aliases.artifactCollectionName/,
    );
    expect(
      await gql(
        'UpsertBucket',
        'mutation UpsertBucket($name: String, $project: String, $entity: String) { upsertBucket(input: {name: $name, modelName: $project, entityName: $entity}) { inserted } }',
        { name: 'r', project: 'p', entity: 'e' },
      ),
    ).toBe(200);
    const stream = (line: string) =>
      fetch(`${fake.url}/files/e/p/r/file_stream`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ files: { 'wandb-history.jsonl': { offset: 0, content: [line] } } }),
      });
    expect((await stream('{"loss":"NaN","_step":0}')).status).toBe(400);
    expect(fake.violations.at(-1)).toMatch(/history value loss is the string "NaN"/);
    const ok = await stream('{"loss":NaN,"grad":-Infinity,"_step":0}');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ exitcode: null, limits: {} });
    expect(fake.historyRows('e', 'p', 'r')[0]?.loss).toBeNaN();
    fake.requestStop('e', 'p', 'r');
    expect(await (await stream('{"loss":1,"_step":0}')).json()).toMatchObject({ stopped: true });
  });
});
