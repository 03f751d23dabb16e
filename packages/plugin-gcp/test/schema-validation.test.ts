import { describe, expect, it } from 'vitest';
import { publicAccessRequest, withPublicAccess } from '../src/deploy/cloud-run-iam.js';
import { buildCloudRunRequest } from '../src/deploy/cloud-run-service.js';
import { DiscoveryApi, loadDiscovery } from './discovery.js';
import { discoveryApis } from './fake-google-api.js';

const FIXTURES = [
  'run.v2.json',
  'aiplatform.v1.json',
  'cloudbuild.v1.json',
  'artifactregistry.v1.json',
  'monitoring.v3.json',
  'secretmanager.v1.json',
  'iam.v1.json',
];

describe("the fakes' schema check (Google's discovery documents)", () => {
  it('every fixture names its source and revision', () => {
    for (const file of FIXTURES) {
      const doc = loadDiscovery(file);
      expect(doc['x-mlops-source'], file).toMatch(
        /^github\.com\/googleapis\/discovery-artifact-manager discoveries\/.+\.json at [0-9a-f]{40}/,
      );
      expect(doc.revision, file).toMatch(/^\d{8}$/);
    }
  });

  it('catches what Google would reject: unknown fields, types, enums, output-only and required fields, masks, query', () => {
    const run = discoveryApis().run as DiscoveryApi;
    const name = 'projects/p/locations/europe-west1/services/s';
    const good = buildCloudRunRequest({
      project: 'p',
      region: 'europe-west1',
      image: 'img:1',
      model: 's',
      remote: 'gs://b/p',
    });
    const matched = run.match('PATCH', `v2/${name}`);
    expect(matched?.method.id).toBe('run.projects.locations.services.patch');
    const query = new URL(good.url).searchParams;
    expect(run.validateRequest(matched!, query, good.body)).toEqual([]);

    const bad = structuredClone(good.body) as unknown as {
      ingress: string;
      uri?: string;
      template: {
        scaling: { maxInstanceCount: unknown };
        containers: Record<string, unknown>[];
        timeout: string;
      };
      traffic: { percent: number }[];
    };
    bad.ingress = 'INGRESS_PUBLIC'; // not in the enum
    bad.uri = 'https://s.run.app'; // output only
    bad.template.scaling.maxInstanceCount = '3'; // int32 as a string
    const container = bad.template.containers[0] as Record<string, unknown>;
    container.port = 8080; // not a field (ports[] is)
    delete container.image; // "Required."
    bad.template.timeout = '60'; // a google-duration needs its unit
    (bad.traffic[0] as { percent: number }).percent = 12.5;
    const problems = run.validateRequest(
      matched!,
      new URLSearchParams('allowMissing=yes&updateMask=template.containerz,labels&force=true'),
      bad,
    );
    expect(problems.map((p) => p.replace(/^run\.projects\.locations\.services\.patch/, ''))).toEqual([
      '?allowMissing: expected a boolean, got "yes"',
      '?updateMask: "template.containerz" is not a field of GoogleCloudRunV2Service',
      ': unknown query parameter "force"',
      'GoogleCloudRunV2Service.ingress: "INGRESS_PUBLIC" is not one of INGRESS_TRAFFIC_UNSPECIFIED, INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY, INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER, INGRESS_TRAFFIC_NONE',
      'GoogleCloudRunV2Service.template.scaling.maxInstanceCount: expected an integer, got "3"',
      'GoogleCloudRunV2Service.template.timeout: "60" is not a google-duration',
      'GoogleCloudRunV2Service.template.containers[0].port: not a field of GoogleCloudRunV2Container',
      'GoogleCloudRunV2Service.template.containers[0].image: required',
      'GoogleCloudRunV2Service.traffic[0].percent: expected an integer, got 12.5',
      'GoogleCloudRunV2Service.uri: output only, may not be sent',
    ]);
    // int64 fields travel as decimal strings (Vertex's replicaCount).
    const vertex = discoveryApis().aiplatform as DiscoveryApi;
    const create = vertex.match('POST', 'v1/projects/p/locations/us-central1/customJobs');
    const job = {
      displayName: 'j',
      jobSpec: { workerPoolSpecs: [{ replicaCount: 1, machineSpec: { machineType: 'n1-standard-4' } }] },
    };
    expect(vertex.validateRequest(create!, new URLSearchParams(), job)).toEqual([
      'GoogleCloudAiplatformV1CustomJob.jobSpec.workerPoolSpecs[0].replicaCount: expected a string, got 1',
    ]);
    expect(vertex.match('POST', 'v1/projects/p/locations/us-central1/trainingJobs')).toBeUndefined();
  });

  it('the invoker binding mlops sets is an IAM v1 SetIamPolicyRequest as IAM and Cloud Run publish it', () => {
    const iam = new DiscoveryApi(loadDiscovery('iam.v1.json'));
    const run = discoveryApis().run as DiscoveryApi;
    const policy = withPublicAccess(
      {
        version: 3,
        etag: 'BwYAAAA=',
        bindings: [
          {
            role: 'roles/run.invoker',
            members: ['user:ana@acme.example'],
            condition: { title: 'office hours', expression: 'request.time.getHours("Europe/Berlin") < 18' },
          },
        ],
      },
      true,
    );
    const body = { policy };
    expect(iam.validate({ $ref: 'SetIamPolicyRequest' }, body, 'SetIamPolicyRequest', 'request')).toEqual([]);
    const set = run.match('POST', 'v2/projects/p/locations/r/services/s:setIamPolicy');
    expect(run.validateRequest(set!, new URLSearchParams(), body)).toEqual([]);
    // A conditional binding is left alone; allUsers gets an unconditional one.
    expect(policy.bindings).toEqual([
      expect.objectContaining({ members: ['user:ana@acme.example'] }),
      { role: 'roles/run.invoker', members: ['allUsers'] },
    ]);
    const dry = publicAccessRequest(
      'projects/p/locations/r/services/s',
      true,
      'https://run.googleapis.com/v2',
    );
    expect(iam.validate({ $ref: 'SetIamPolicyRequest' }, dry.body, 'SetIamPolicyRequest', 'request')).toEqual(
      [],
    );
  });
});
