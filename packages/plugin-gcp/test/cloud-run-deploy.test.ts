import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMlopsError } from '@mlops/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest, CloudRunService } from '../src/deploy/cloud-run-service.js';
import { type FakeGoogleApi, startFakeGoogleApi } from './fake-google-api.js';
import { tempDir } from './helpers.js';
import { gcpProject } from './project.js';

const golden = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
const tokens = { getAccessToken: async () => 'test-token' };
const flags = {
  target: 'cloud-run',
  image: 'europe-west1-docker.pkg.dev/acme-ml/mlops/server:1.4.0',
  project: 'acme-ml',
  region: 'europe-west1',
  alias: 'production',
};
const name = 'projects/acme-ml/locations/europe-west1/services/shoes';

let api: FakeGoogleApi;
beforeAll(async () => {
  api = await startFakeGoogleApi();
});
afterAll(async () => {
  await api?.stop();
});
afterEach(() => {
  // Every request the plugin sent conforms to the published API schemas.
  expect(api.violations).toEqual([]);
  api.reset();
});

async function project(dir: string, deploy = {}) {
  return gcpProject(
    dir,
    {
      tokens,
      endpoints: api.endpoints,
      pollIntervalMs: 5,
      apiRetry: { baseDelayMs: 5 },
      registry: 'bucket',
      deploy,
    },
    { store: { path: '.mlops', remote: 'gs://acme-ml-models/mlops' }, registry: { model: 'shoes' } },
  );
}

/** Replaces the fake's endpoints by Google's in what --dry-run printed. */
function asGoogle(value: unknown): unknown {
  let text = JSON.stringify(value);
  const google: Record<string, string> = {
    run: 'https://run.googleapis.com/v2',
    monitoring: 'https://monitoring.googleapis.com/v3',
    secretManager: 'https://secretmanager.googleapis.com/v1',
  };
  for (const [key, base] of Object.entries(google)) {
    text = text.replaceAll(api.endpoints[key as keyof typeof api.endpoints], base);
  }
  return JSON.parse(text);
}

/** A service as `services.get` answers it. */
function existingService(extra: Record<string, unknown> = {}) {
  return {
    name,
    uri: 'https://shoes-abc-ew.a.run.app',
    labels: { team: 'vision', 'managed-by': 'mlops' },
    annotations: { 'mlops.dev/managed-env': 'NODE_ENV,MLOPS_GCP_STORE,MLOPS_GCP_REGISTRY,OLD_FLAG' },
    latestReadyRevision: 'shoes-00002-abc',
    template: {
      labels: { 'cost-center': 'ml' },
      containers: [
        {
          name: 'server',
          image: 'europe-west1-docker.pkg.dev/acme-ml/mlops/server:1.3.0',
          env: [
            { name: 'NODE_ENV', value: 'production' },
            { name: 'OLD_FLAG', value: '1' },
            { name: 'SET_IN_CONSOLE', value: 'keep me' },
          ],
          volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
          resources: { limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' } },
        },
        { name: 'otel-collector', image: 'otel/opentelemetry-collector:0.100.0' },
      ],
      volumes: [{ name: 'cache', emptyDir: { medium: 'MEMORY' } }],
    },
    traffic: [
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 },
      {
        type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        revision: 'shoes-00001-old',
        percent: 0,
        tag: 'legacy',
      },
    ],
    trafficStatuses: [
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'shoes-00002-abc', percent: 75 },
      {
        type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        revision: 'shoes-00001-old',
        percent: 25,
        tag: 'legacy',
      },
    ],
    ...extra,
  };
}

/** The rollout's operation: not done once, then done with the ready service. */
function rollout(
  op: string,
  trafficStatuses: unknown[] = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
) {
  api.on('GET', `/run/v2/${op}`, [
    { status: 503, body: { error: { code: 503, message: 'try again' } } },
    { body: { name: op, done: false } },
    {
      body: {
        name: op,
        done: true,
        response: {
          name,
          uri: 'https://shoes-abc-ew.a.run.app',
          latestReadyRevision: 'shoes-00003-xyz',
          terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
          trafficStatuses,
        },
      },
    },
  ]);
}

describe('mlops deploy --target cloud-run', () => {
  it('--dry-run writes the Dockerfile and .dockerignore and prints the documented Cloud Run v2 request (golden)', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const before = api.requests.length;
    const out = (await command('deploy', [], { ...flags, dryRun: true })) as {
      dockerfile: string;
      request: ApiRequest<CloudRunService>;
    };
    const printed = asGoogle(out.request);
    const dockerfile = await readFile(out.dockerfile, 'utf8');
    if (process.env.UPDATE_GOLDEN) {
      await writeFile(golden('cloud-run-request.json'), `${JSON.stringify(printed, null, 2)}\n`);
      await writeFile(golden('Dockerfile'), dockerfile);
    }
    expect(printed).toEqual(JSON.parse(await readFile(golden('cloud-run-request.json'), 'utf8')));
    expect(dockerfile).toBe(await readFile(golden('Dockerfile'), 'utf8'));
    const dockerignore = await readFile(join(dir, '.dockerignore'), 'utf8');
    expect(dockerignore).toMatch(/^node_modules\/$/m);
    expect(dockerignore).toMatch(/^\.env$/m);
    expect(dockerignore).toMatch(/^\/\.mlops\/$/m);
    // The printed request is one the API accepts: validated against the discovery document.
    expect(api.requests.length).toBe(before); // nothing was sent
    await cleanup();
  });

  it('--dry-run prints secrets, IAM and alert requests that conform to the published schemas', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const out = asGoogle(
      await command('deploy', [], {
        ...flags,
        dryRun: true,
        secret: ['WANDB_API_KEY=wandb-api-key', 'DB_PASSWORD=projects/shared/secrets/db:3'],
        env: ['LOG_LEVEL=debug'],
        allowUnauthenticated: true,
        traffic: 'latest=10',
        alerts: ['1234567890'],
      }),
    ) as Record<string, unknown>;
    const { discoveryApis } = await import('./fake-google-api.js');
    const apis = discoveryApis();
    const check = (prefix: string, request: { method: string; url: string; body?: unknown }) => {
      const url = new URL(request.url);
      const path = url.pathname.replace(/^\//, '');
      const matched = apis[prefix]?.match(request.method, path);
      expect(matched, `${request.method} ${path}`).toBeDefined();
      return apis[prefix]?.validateRequest(matched!, url.searchParams, request.body) ?? ['no api'];
    };
    const request = out.request as ApiRequest<CloudRunService>;
    expect(check('run', request)).toEqual([]);
    const env = request.body.template.containers[0]?.env;
    expect(env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });
    expect(env).toContainEqual({
      name: 'WANDB_API_KEY',
      valueSource: { secretKeyRef: { secret: 'wandb-api-key', version: 'latest' } },
    });
    expect(env).toContainEqual({
      name: 'DB_PASSWORD',
      valueSource: { secretKeyRef: { secret: 'projects/shared/secrets/db', version: '3' } },
    });
    expect(check('run', out.iam as ApiRequest<unknown>)).toEqual([]);
    expect(out.iam).toMatchObject({
      body: { policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } },
    });
    const alerts = out.alerts as ApiRequest<{ displayName: string }>[];
    expect(alerts.map((a) => a.body.displayName)).toEqual([
      'mlops shoes: 5xx ratio > 5%',
      'mlops shoes: p99 latency > 2000 ms',
      'mlops shoes: instances >= 3',
      'mlops shoes: p99 CPU > 80%',
    ]);
    for (const alert of alerts) expect(check('monitoring', alert)).toEqual([]);
    expect(out.secretChecks).toEqual([
      {
        method: 'GET',
        url: 'https://secretmanager.googleapis.com/v1/projects/acme-ml/secrets/wandb-api-key',
      },
      { method: 'GET', url: 'https://secretmanager.googleapis.com/v1/projects/shared/secrets/db' },
    ]);
    expect((out.notes as string[]).join('\n')).toMatch(/10% to the new revision; the other 90% stays/);
    await cleanup();
  });

  it('creates a new service: reads it (404), sends the request with the ADC token, waits, prints URL and logs', async () => {
    const { dir, cleanup } = await tempDir();
    const { command, log } = await project(dir);
    const op = 'projects/acme-ml/locations/europe-west1/operations/op-1';
    api.on('GET', `/run/v2/${name}`, [{ status: 404, body: { error: { code: 404, message: 'not found' } } }]);
    api.on('PATCH', `/run/v2/${name}`, [{ body: { name: op, done: false } }]);
    rollout(op);
    const before = api.requests.length;
    const result = await command('deploy', [], flags);
    expect(result).toMatchObject({
      service: name,
      revision: 'shoes-00003-xyz',
      url: 'https://shoes-abc-ew.a.run.app',
      traffic: [{ revision: 'LATEST (shoes-00003-xyz)', percent: 100 }],
      built: false,
    });
    const sent = api.requests.slice(before);
    expect(sent.map((r) => r.methodId)).toEqual([
      'run.projects.locations.services.get',
      'run.projects.locations.services.patch',
      'run.projects.locations.operations.get',
      'run.projects.locations.operations.get',
      'run.projects.locations.operations.get',
    ]);
    expect(sent.every((r) => r.authorization === 'Bearer test-token')).toBe(true);
    const expected = JSON.parse(await readFile(golden('cloud-run-request.json'), 'utf8'));
    expect(sent[1]?.body).toEqual(expected.body); // exactly what --dry-run printed
    expect(new URL(sent[1]?.url ?? '', api.url).searchParams.get('updateMask')).toBe(
      'labels,annotations,ingress,template.labels,template.scaling.minInstanceCount,template.scaling.maxInstanceCount,template.maxInstanceRequestConcurrency,template.timeout,template.containers,traffic',
    );
    expect(log.info).toContain('service URL: https://shoes-abc-ew.a.run.app');
    expect(
      log.info.some((l) => l.startsWith('logs: https://console.cloud.google.com/logs/query;query=')),
    ).toBe(true);
    await cleanup();
  });

  it('updates an existing service without wiping what was set elsewhere, with a canary split', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const op = 'projects/acme-ml/locations/europe-west1/operations/op-2';
    api.on('GET', `/run/v2/${name}`, [{ body: existingService() }]);
    api.on('PATCH', `/run/v2/${name}`, [{ body: { name: op, done: false } }]);
    rollout(op, [
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 10 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'shoes-00002-abc', percent: 68 },
      {
        type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        revision: 'shoes-00001-old',
        percent: 22,
        tag: 'legacy',
      },
    ]);
    const before = api.requests.length;
    const result = await command('deploy', [], { ...flags, traffic: 'latest=10', env: 'NEW_FLAG=on' });
    const body = api.requests.slice(before)[1]?.body as CloudRunService & {
      template: { volumes?: unknown };
    };
    // Labels, annotations and template labels of others are kept.
    expect(body.labels).toMatchObject({ team: 'vision', 'managed-by': 'mlops', 'mlops-model': 'shoes' });
    expect(body.template.labels).toMatchObject({ 'cost-center': 'ml', 'mlops-alias': 'production' });
    // mlops's container is merged into the current one; the sidecar stays.
    const [server, sidecar] = body.template.containers;
    expect(sidecar).toEqual({ name: 'otel-collector', image: 'otel/opentelemetry-collector:0.100.0' });
    expect(server).toMatchObject({
      name: 'server',
      image: flags.image,
      volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      resources: { limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' } },
    });
    const envNames = server?.env.map((e) => e.name);
    expect(envNames).toContain('SET_IN_CONSOLE'); // set elsewhere: kept
    expect(envNames).toContain('NEW_FLAG');
    expect(envNames).not.toContain('OLD_FLAG'); // mlops set it last time and no longer does: removed
    // Volumes are not in the update mask, so the server keeps them; they are not resent.
    expect(body.template.volumes).toBeUndefined();
    // 10% to the new revision; 90% split as now (75:25 → 68:22), the tag kept.
    expect(body.traffic).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 10 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', percent: 68, revision: 'shoes-00002-abc' },
      {
        type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        percent: 22,
        revision: 'shoes-00001-old',
        tag: 'legacy',
      },
    ]);
    expect(result).toMatchObject({
      traffic: [{ percent: 10 }, { percent: 68 }, { percent: 22, tag: 'legacy' }],
    });
    await cleanup();
  });

  it('--allow-unauthenticated adds allUsers to the invokers, keeping the other bindings, retrying a stale etag', async () => {
    const { dir, cleanup } = await tempDir();
    const { command, log } = await project(dir);
    const op = 'projects/acme-ml/locations/europe-west1/operations/op-3';
    api.on('GET', `/run/v2/${name}`, [{ body: existingService() }]);
    api.on('PATCH', `/run/v2/${name}`, [{ body: { name: op, done: false } }]);
    rollout(op);
    const policy = (etag: string) => ({
      version: 1,
      etag,
      bindings: [
        { role: 'roles/run.invoker', members: ['serviceAccount:batch@acme-ml.iam.gserviceaccount.com'] },
        { role: 'roles/run.developer', members: ['group:ml@acme.example'] },
      ],
    });
    api.on('GET', `/run/v2/${name}:getIamPolicy`, [
      { body: policy('BwYAAAA=') },
      { body: policy('BwYBBBB=') },
    ]);
    api.on('POST', `/run/v2/${name}:setIamPolicy`, [
      {
        status: 409,
        body: { error: { code: 409, message: 'concurrent policy changes', status: 'ABORTED' } },
      },
      (request) => ({ body: (request.body as { policy: unknown }).policy }),
    ]);
    const before = api.requests.length;
    const result = await command('deploy', [], { ...flags, allowUnauthenticated: true });
    expect(result).toMatchObject({ publicAccess: 'granted' });
    const sets = api.requests.slice(before).filter((r) => r.methodId?.endsWith('setIamPolicy'));
    expect(sets).toHaveLength(2);
    expect(sets[1]?.body).toEqual({
      policy: {
        version: 1,
        etag: 'BwYBBBB=',
        bindings: [
          {
            role: 'roles/run.invoker',
            members: ['serviceAccount:batch@acme-ml.iam.gserviceaccount.com', 'allUsers'],
          },
          { role: 'roles/run.developer', members: ['group:ml@acme.example'] },
        ],
      },
    });
    expect(log.info).toContain('anyone may call the service now (allUsers has roles/run.invoker)');
    await cleanup();
  });

  it('secrets: refuses a credential as a plain env var, checks the secret exists, sends a secretKeyRef', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    await expect(command('deploy', [], { ...flags, env: ['WANDB_API_KEY=abc123'] })).rejects.toThrow(
      /WANDB_API_KEY looks like a credential/,
    );
    api.on('GET', '/secretmanager/v1/projects/acme-ml/secrets/wandb-key', [
      { status: 404, body: { error: { code: 404, message: 'Secret not found', status: 'NOT_FOUND' } } },
    ]);
    const start = api.requests.length;
    const missing = await command('deploy', [], { ...flags, secret: 'WANDB_API_KEY=wandb-key' }).catch(
      (e) => e,
    );
    expect(isMlopsError(missing, 'MLOPS_ERR_USAGE')).toBe(true);
    expect((missing as Error).message).toMatch(
      /secret projects\/acme-ml\/secrets\/wandb-key \(for WANDB_API_KEY\) does not exist/,
    );
    expect(
      api.requests.slice(start).some((r) => r.methodId === 'run.projects.locations.services.patch'),
    ).toBe(false);

    const op = 'projects/acme-ml/locations/europe-west1/operations/op-4';
    api.on('GET', '/secretmanager/v1/projects/acme-ml/secrets/wandb-key', [
      { body: { name: 'projects/123/secrets/wandb-key', createTime: '2026-11-01T10:00:00Z' } },
    ]);
    api.on('GET', `/run/v2/${name}`, [{ status: 404, body: { error: { code: 404, message: 'not found' } } }]);
    api.on('PATCH', `/run/v2/${name}`, [{ body: { name: op, done: false } }]);
    rollout(op);
    const before = api.requests.length;
    await command('deploy', [], { ...flags, secret: 'WANDB_API_KEY=wandb-key:7' });
    const patch = api.requests
      .slice(before)
      .find((r) => r.methodId === 'run.projects.locations.services.patch');
    expect((patch?.body as CloudRunService | undefined)?.template.containers[0]?.env.at(-1)).toEqual({
      name: 'WANDB_API_KEY',
      valueSource: { secretKeyRef: { secret: 'wandb-key', version: '7' } },
    });
    await cleanup();
  });

  it('--alerts creates the four policies, updates them on the next deploy, and monitor status shows them', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    const channel = 'projects/acme-ml/notificationChannels/42';
    const policies: Record<string, Record<string, unknown>> = {};
    api.on('GET', `/monitoring/v3/${channel}`, [
      { body: { name: channel, type: 'email', displayName: 'on-call' } },
    ]);
    api.on('GET', '/monitoring/v3/projects/acme-ml/alertPolicies', [
      (request) => {
        expect(new URL(request.url, api.url).searchParams.get('filter')).toBe(
          'user_labels.mlops_service = "shoes"',
        );
        return { body: { alertPolicies: Object.values(policies) } };
      },
    ]);
    let next = 1;
    api.on('POST', '/monitoring/v3/projects/acme-ml/alertPolicies', [
      (request) => {
        const created = {
          ...(request.body as Record<string, unknown>),
          name: `projects/acme-ml/alertPolicies/${next++}`,
        };
        policies[created.name as string] = created;
        return { body: created };
      },
    ]);
    for (let id = 1; id <= 4; id++) {
      api.on('PATCH', `/monitoring/v3/projects/acme-ml/alertPolicies/${id}`, [
        (request) => {
          const updated = {
            ...policies[`projects/acme-ml/alertPolicies/${id}`],
            ...(request.body as object),
          };
          policies[`projects/acme-ml/alertPolicies/${id}`] = updated;
          return { body: updated };
        },
      ]);
    }
    const deploy = async () => {
      const op = `projects/acme-ml/locations/europe-west1/operations/op-${next}`;
      api.on('GET', `/run/v2/${name}`, [{ body: existingService() }]);
      api.on('PATCH', `/run/v2/${name}`, [{ body: { name: op, done: false } }]);
      rollout(op);
      return (await command('deploy', [], { ...flags, alerts: '42' })) as { alerts: { action: string }[] };
    };
    const first = await deploy();
    expect(first.alerts.map((a) => a.action)).toEqual(['created', 'created', 'created', 'created']);
    // Someone mutes one policy in the console; the next deploy updates, keeps it muted, adds no more.
    (policies['projects/acme-ml/alertPolicies/3'] as Record<string, unknown>).enabled = false;
    const second = await deploy();
    expect(second.alerts.map((a) => a.action)).toEqual(['updated', 'updated', 'updated', 'updated']);
    expect(Object.keys(policies)).toHaveLength(4);
    expect(policies['projects/acme-ml/alertPolicies/3']?.enabled).toBe(false);
    const patch = api.requests.filter((r) => r.methodId === 'monitoring.projects.alertPolicies.patch').at(-1);
    expect(new URL(patch?.url ?? '', api.url).searchParams.get('updateMask')).not.toMatch(/enabled/);

    const status = (await command('monitor status', [], {
      project: 'acme-ml',
      region: 'europe-west1',
      json: true,
    })) as {
      policies: { kind: string; enabled: boolean; conditions: string[]; channels: string[] }[];
      missing: string[];
    };
    expect(status.missing).toEqual([]);
    expect(status.policies.map((p) => [p.kind, p.enabled])).toEqual([
      ['error_ratio', true],
      ['latency_p99', true],
      ['instance_count', false],
      ['cpu', true],
    ]);
    expect(status.policies[0]?.conditions).toEqual([
      'run.googleapis.com/request_count (ratio) > 0.05 for 300s',
    ]);
    expect(status.policies[0]?.channels).toEqual([channel]);
    const text = (await command('monitor status', [], {
      project: 'acme-ml',
      region: 'europe-west1',
    })) as string;
    expect(text).toMatch(/off {2}mlops shoes: instances >= 3/);
    expect(text).toMatch(/run\.googleapis\.com\/request_latencies > 2000 for 300s/);
    await cleanup();
  });

  it('fails with the operation error, and refuses unknown targets, bad splits and unknown channels', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    api.on('GET', `/run/v2/${name}`, [{ status: 404, body: { error: { code: 404, message: 'not found' } } }]);
    api.on('PATCH', `/run/v2/${name}`, [
      {
        body: {
          name: 'projects/acme-ml/locations/europe-west1/operations/op-9',
          done: true,
          error: { code: 9, message: 'Revision shoes-00003 is not ready: container failed to start' },
        },
      },
    ]);
    await expect(command('deploy', [], flags)).rejects.toThrow(/container failed to start/);
    await expect(command('deploy', [], { ...flags, target: 'gke' })).rejects.toSatisfy((e) =>
      isMlopsError(e, 'MLOPS_ERR_USAGE'),
    );
    await expect(
      command('deploy', [], { ...flags, traffic: 'latest=10,shoes-00002-abc=50' }),
    ).rejects.toThrow(/add up to 60, not 100/);
    // A canary needs something serving already.
    await expect(command('deploy', [], { ...flags, traffic: 'latest=10' })).rejects.toThrow(
      /leaves 90% for revisions serving now, and none is/,
    );
    api.on('GET', '/monitoring/v3/projects/acme-ml/notificationChannels/7', [
      { status: 404, body: { error: { code: 404, message: 'not found' } } },
    ]);
    api.on('PATCH', `/run/v2/${name}`, [
      { body: { name: 'projects/acme-ml/locations/europe-west1/operations/op-10', done: false } },
    ]);
    rollout('projects/acme-ml/locations/europe-west1/operations/op-10');
    await expect(command('deploy', [], { ...flags, alerts: '7' })).rejects.toThrow(
      /notification channel projects\/acme-ml\/notificationChannels\/7 does not exist/,
    );
    api.on('GET', `/run/v2/${name}`, [{ status: 404, body: { error: { code: 404, message: 'not found' } } }]);
    api.on('PATCH', `/run/v2/${name}`, [
      { status: 403, body: { error: { code: 403, message: 'Permission run.services.update denied' } } },
    ]);
    const denied = await command('deploy', [], flags).catch((e: unknown) => e);
    expect(isMlopsError(denied, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    expect((denied as Error).message).toMatch(/permission denied.*run\.services\.update/);
    await cleanup();
  });

  it('does not overwrite a hand-written Dockerfile, and leaves a hand-written .dockerignore alone', async () => {
    const { dir, cleanup } = await tempDir();
    const { command } = await project(dir);
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
    await expect(command('deploy', [], { ...flags, dryRun: true })).rejects.toThrow(/not written by mlops/);
    await writeFile(join(dir, '.dockerignore'), 'mine\n');
    await command('deploy', [], { ...flags, dryRun: true, dockerfile: 'Dockerfile.server' });
    expect(await readFile(join(dir, '.dockerignore'), 'utf8')).toBe('mine\n');
    await cleanup();
  });
});
