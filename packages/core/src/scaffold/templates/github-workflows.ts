/**
 * GitHub Actions workflows of a new project — the old system's three: test every pull request,
 * retrain when a data version (a manifest committed to git) changes, deploy to Cloud Run on a
 * release tag. Written as text (not serialized objects) so they keep their comments.
 */
import type { ScaffoldOptions } from '../options.js';
import { CI_NODE_VERSION } from '../versions.js';

/** The repository variables and secrets the workflows read, with what each is for (the README lists them). */
export interface WorkflowSetting {
  /** `vars.<name>` or `secrets.<name>`. */
  kind: 'vars' | 'secrets';
  /** The name. */
  name: string;
  /** What it is, for the README's table. */
  description: string;
  /** True when the workflows work without it. */
  optional: boolean;
}

/** The settings the workflows of `options` read, in README order. */
export function workflowSettings(options: Required<ScaffoldOptions>): WorkflowSetting[] {
  if (options.ci !== 'github' || !options.gcp) return [];
  return [
    {
      kind: 'vars',
      name: 'GCP_PROJECT',
      description: 'Google Cloud project id; the Google Cloud jobs are skipped while it is unset',
      optional: false,
    },
    {
      kind: 'vars',
      name: 'GCP_REGION',
      description: 'region of the Cloud Run service and the image repository (default `us-central1`)',
      optional: true,
    },
    {
      kind: 'vars',
      name: 'MLOPS_DEPLOY_ALIAS',
      description: 'registry alias the deployed service answers for (default `production`)',
      optional: true,
    },
    {
      kind: 'vars',
      name: 'MLOPS_DEPLOY_FLAGS',
      description: 'more `mlops deploy` flags, e.g. `--allow-unauthenticated` for a public API',
      optional: true,
    },
    {
      kind: 'secrets',
      name: 'GCP_WORKLOAD_IDENTITY_PROVIDER',
      description:
        'Workload Identity Federation provider (`projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>`): no key files',
      optional: false,
    },
    {
      kind: 'secrets',
      name: 'GCP_SERVICE_ACCOUNT',
      description:
        'service account the workflows act as: `roles/storage.objectAdmin` on the bucket; for deploys also `roles/run.admin`, `roles/cloudbuild.builds.editor`, `roles/artifactregistry.writer` and `roles/iam.serviceAccountUser`',
      optional: false,
    },
  ];
}

/** The steps every job starts with: the repository, Node with npm's cache, the locked install. */
function setupSteps(fetchDepth?: number): string {
  const checkout = fetchDepth
    ? `      - uses: actions/checkout@v4\n        with:\n          fetch-depth: ${fetchDepth}`
    : '      - uses: actions/checkout@v4';
  return `${checkout}
      - uses: actions/setup-node@v4
        with:
          node-version: ${CI_NODE_VERSION}
          cache: npm
      - run: npm ci`;
}

/** Google Cloud credentials for the rest of the job (Workload Identity Federation, no key file). */
function authStep(condition?: string): string {
  return `      - uses: google-github-actions/auth@v2${condition ? `\n        if: ${condition}` : ''}
        with:
          workload_identity_provider: \${{ secrets.GCP_WORKLOAD_IDENTITY_PROVIDER }}
          service_account: \${{ secrets.GCP_SERVICE_ACCOUNT }}`;
}

/** The manifests `mlops data add` writes and git holds. */
const MANIFESTS = '**/*.mlops-data.json';

/** `.github/workflows/test.yml`: every pull request type-checks the config and trains one quick epoch. */
function renderTestWorkflow(options: Required<ScaffoldOptions>): string {
  const own = options.template === 'imagefolder';
  const fromBucket = own && options.gcp;
  // A pull request from a fork gets no id token and no secrets: it cannot read the bucket.
  const canPull = `\${{ vars.GCP_PROJECT != '' && !github.event.pull_request.head.repo.fork && hashFiles('${MANIFESTS}') != '' }}`;
  const hasData = `\${{ hashFiles('${MANIFESTS}') != '' }}`;
  const steps: string[] = [
    setupSteps(),
    `      - name: Type-check mlops.config.ts\n        run: npm run typecheck`,
  ];
  if (own && !options.gcp) {
    steps.push(`      # The images are committed with their manifest: they must match it, or the retrain
      # workflow (which triggers on the manifest) would not see the change.
      - name: The images match data.mlops-data.json
        if: ${hasData}
        run: |
          status=$(npx mlops data status data)
          echo "$status"
          if [ "$status" != "up to date" ]; then
            echo "::error::data/ differs from data.mlops-data.json: run 'npx mlops data add data', then commit the manifest"
            exit 1
          fi`);
  }
  if (fromBucket) {
    steps.push(
      authStep(canPull),
      `      - name: Restore data/ from the bucket\n        if: ${canPull}\n        run: npx mlops data pull --checkout`,
    );
  }
  const quickRunCondition = fromBucket ? canPull : own ? hasData : undefined;
  steps.push(`      # One epoch on a sample, in a throw-away store: the whole lifecycle runs, nothing is kept.
      - name: Train one epoch on a sample${quickRunCondition ? `\n        if: ${quickRunCondition}` : ''}
        run: npx mlops run --set store.path="$RUNNER_TEMP/mlops-store" --set train.epochs=1 --set data.limitPerClass=32`);
  const env = options.gcp
    ? `    env:
      GOOGLE_CLOUD_PROJECT: \${{ vars.GCP_PROJECT }}
      # A pull request never writes to the bucket: its runs and models stay on the runner.
      MLOPS_GCP_STORE: local
      MLOPS_GCP_REGISTRY: local
`
    : '';
  return `# Test every pull request: mlops.config.ts type-checks, and the whole lifecycle (data → model →
# train → evaluate → export) runs one epoch on a sample of the data.
name: Test
on:
  pull_request:
  workflow_dispatch:

jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read${fromBucket ? '\n      id-token: write' : ''}
${env}    steps:
${steps.join('\n')}
`;
}

/** `.github/workflows/retrain.yml`: a changed data version (or config) on main retrains. */
function renderRetrainWorkflow(options: Required<ScaffoldOptions>): string {
  const own = options.template === 'imagefolder';
  const paths = own
    ? [`"${MANIFESTS}"`, '"mlops.config.ts"']
    : // The dataset's package version is part of the data: package.json names it.
      ['"mlops.config.ts"', '"package.json"'];
  const hasData = `\${{ hashFiles('${MANIFESTS}') != '' }}`;
  // Two commits deep, to name the manifests the push changed.
  const steps: string[] = [setupSteps(own ? 2 : undefined)];
  if (options.gcp) steps.push(authStep());
  if (own) {
    steps.push(`      - name: Which data versions changed
        run: git diff --name-only HEAD~1 HEAD -- '*.mlops-data.json' || true`);
    if (options.gcp) {
      steps.push(`      - name: Restore data/ from the bucket
        if: ${hasData}
        run: npx mlops data pull --checkout`);
    }
  }
  steps.push(`      # Unchanged stages are cached; the new model is registered${options.gcp ? ' in the bucket registry' : ''} and
      # promoted to preproduction only when the evaluation gate passes.
      - name: Retrain${own ? `\n        if: ${hasData}` : ''}
        run: npx mlops run`);
  steps.push(`      - name: Keep the run report
        if: \${{ always() }}
        uses: actions/upload-artifact@v4
        with:
          name: run-report
          path: .mlops/runs/*/report.html
          if-no-files-found: ignore`);
  const header = own
    ? `# Retrain when the data changes — the old system's DVC trigger. A data version is
# data.mlops-data.json, committed to git: \`npx mlops data add data\` writes it${options.gcp ? ' and\n# `npx mlops data push` uploads its images to the bucket.' : ' (the images are\n# committed with it).'}
# A push to main that changes it (or the config) retrains.`
    : `# Retrain when the config or the dataset's package version changes.`;
  const gcpJob = options.gcp
    ? `    if: \${{ vars.GCP_PROJECT != '' }}
`
    : '';
  const env = options.gcp
    ? `    env:
      GOOGLE_CLOUD_PROJECT: \${{ vars.GCP_PROJECT }}
      # The run's artifacts go to the bucket too, so any machine (and Cloud Run) can read them.
      MLOPS_GCP_STORE: bucket
`
    : '';
  return `${header}
name: Retrain on data change
on:
  push:
    branches: [main]
    paths:
${paths.map((p) => `      - ${p}`).join('\n')}
  workflow_dispatch:

concurrency:
  group: retrain-\${{ github.ref }}
  cancel-in-progress: false

jobs:
  retrain:
${gcpJob}    runs-on: ubuntu-latest
    timeout-minutes: 360
    permissions:
      contents: read${options.gcp ? '\n      id-token: write' : ''}
${env}    steps:
${steps.join('\n')}
`;
}

/** `.github/workflows/deploy.yml`: a release tag deploys the server to Cloud Run. */
function renderDeployWorkflow(): string {
  return `# Deploy the inference server to Cloud Run when a release tag (v*) is pushed. \`mlops deploy\`
# builds the image with Cloud Build (reused when the project has not changed) and updates the
# service. The service reads models from the bucket registry: promoting a version later
# (\`npx mlops registry promote <model> <version> production\`) needs no redeploy.
name: Deploy on release
on:
  push:
    tags: ["v*"]
  workflow_dispatch:

concurrency:
  group: deploy-cloud-run
  cancel-in-progress: false

jobs:
  deploy:
    if: \${{ vars.GCP_PROJECT != '' }}
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read
      id-token: write
    env:
      GOOGLE_CLOUD_PROJECT: \${{ vars.GCP_PROJECT }}
      GCP_REGION: \${{ vars.GCP_REGION || 'us-central1' }}
      DEPLOY_ALIAS: \${{ vars.MLOPS_DEPLOY_ALIAS || 'production' }}
      DEPLOY_FLAGS: \${{ vars.MLOPS_DEPLOY_FLAGS }}
    steps:
${setupSteps()}
${authStep()}
      - name: Show what will be deployed
        run: npx mlops deploy --target cloud-run --region "$GCP_REGION" --alias "$DEPLOY_ALIAS" $DEPLOY_FLAGS --dry-run
      - name: Build the image and deploy it
        run: npx mlops deploy --target cloud-run --region "$GCP_REGION" --alias "$DEPLOY_ALIAS" $DEPLOY_FLAGS
`;
}

/** The workflow files of `options`, path → text (none when `ci` is `none`). */
export function renderGithubWorkflows(options: Required<ScaffoldOptions>): Record<string, string> {
  if (options.ci !== 'github') return {};
  return {
    '.github/workflows/test.yml': renderTestWorkflow(options),
    '.github/workflows/retrain.yml': renderRetrainWorkflow(options),
    ...(options.gcp ? { '.github/workflows/deploy.yml': renderDeployWorkflow() } : {}),
  };
}
