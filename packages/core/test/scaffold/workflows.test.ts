import { describe, expect, it } from 'vitest';
import {
  SCAFFOLD_CI_PROVIDERS,
  SCAFFOLD_TEMPLATES,
  type ScaffoldOptions,
} from '../../src/scaffold/options.js';
import { renderProject } from '../../src/scaffold/render.js';
import { lintWorkflow } from './workflow-lint.js';

const COMBINATIONS: ScaffoldOptions[] = SCAFFOLD_TEMPLATES.flatMap((template) =>
  [false, true].map((gcp) => ({ name: 'my-classifier', template, ci: 'github' as const, gcp })),
);

const label = (o: ScaffoldOptions) => `${o.template}, ${o.gcp ? 'gcp' : 'no gcp'}`;

/** The workflows of a project, linted, by file name. */
function workflows(options: ScaffoldOptions) {
  const files = renderProject(options);
  const readme = files.find((f) => f.path === 'README.md')?.content ?? '';
  const linted = Object.fromEntries(
    files
      .filter((f) => f.path.startsWith('.github/workflows/'))
      .map((f) => [f.path.slice('.github/workflows/'.length), lintWorkflow(f.content, f.path)]),
  );
  return { linted, readme };
}

describe('the GitHub workflows mlops init writes', () => {
  it.each(COMBINATIONS.map((o) => [label(o), o] as const))(
    'pass the workflow checks (%s)',
    (_label, options) => {
      const { linted } = workflows(options);
      expect(Object.keys(linted).sort()).toEqual(
        options.gcp ? ['deploy.yml', 'retrain.yml', 'test.yml'] : ['retrain.yml', 'test.yml'],
      );
      for (const workflow of Object.values(linted)) expect(workflow.problems).toEqual([]);
    },
  );

  it.each(COMBINATIONS.map((o) => [label(o), o] as const))(
    'trigger on pull requests, data versions on main and release tags (%s)',
    (_label, options) => {
      const { linted } = workflows(options);
      const on = (file: string) => linted[file]?.doc.on as Record<string, Record<string, string[]> | null>;
      expect(linted['test.yml']?.triggers.sort()).toEqual(['pull_request', 'workflow_dispatch']);
      expect(linted['retrain.yml']?.triggers.sort()).toEqual(['push', 'workflow_dispatch']);
      const push = on('retrain.yml').push as Record<string, string[]>;
      expect(push.branches).toEqual(['main']);
      if (options.template === 'imagefolder') {
        // The manifest `mlops data add data` writes, wherever it sits.
        expect(push.paths).toContain('**/*.mlops-data.json');
        expect(push.paths?.some((p) => 'data.mlops-data.json'.endsWith(p.replace('**/*', '')))).toBe(true);
      } else expect(push.paths).toEqual(['mlops.config.ts', 'package.json']);
      expect(push.paths).toContain('mlops.config.ts');
      if (options.gcp) {
        expect(linted['deploy.yml']?.triggers.sort()).toEqual(['push', 'workflow_dispatch']);
        expect((on('deploy.yml').push as Record<string, string[]>).tags).toEqual(['v*']);
      }
    },
  );

  it.each(COMBINATIONS.map((o) => [label(o), o] as const))(
    'name every secret and variable they read in the README (%s)',
    (_label, options) => {
      const { linted, readme } = workflows(options);
      const names = Object.values(linted).flatMap((w) => [...w.secrets, ...w.vars]);
      if (options.gcp)
        expect(names).toEqual(
          expect.arrayContaining(['GCP_WORKLOAD_IDENTITY_PROVIDER', 'GCP_SERVICE_ACCOUNT', 'GCP_PROJECT']),
        );
      else expect(names).toEqual([]);
      for (const name of names) expect(readme, name).toContain(`\`${name}\``);
    },
  );

  it('run the commands mlops has: data pull, run, deploy to Cloud Run', () => {
    const { linted } = workflows({ name: 'shoes', template: 'imagefolder', ci: 'github', gcp: true });
    const scripts = (file: string) =>
      Object.values(linted[file]?.doc.jobs as Record<string, { steps: { run?: string }[] }>)
        .flatMap((job) => job.steps)
        .map((s) => s.run ?? '')
        .join('\n');
    expect(scripts('retrain.yml')).toMatch(/npx mlops data pull --checkout\n[\s\S]*npx mlops run$/m);
    expect(scripts('deploy.yml')).toMatch(/npx mlops deploy --target cloud-run .*--dry-run/);
    expect(scripts('deploy.yml')).toMatch(/npx mlops deploy --target cloud-run (?!.*--dry-run)/);
    // A pull request trains in a throw-away store and never writes to the bucket.
    expect(scripts('test.yml')).toContain('npx mlops run --set store.path="$RUNNER_TEMP/mlops-store"');
    const testJobs = linted['test.yml']?.doc.jobs as Record<string, { env: Record<string, string> }>;
    const testEnv = testJobs.test?.env;
    expect(testEnv).toMatchObject({ MLOPS_GCP_STORE: 'local', MLOPS_GCP_REGISTRY: 'local' });
  });

  it('writes no workflows with --ci none', () => {
    for (const template of SCAFFOLD_TEMPLATES) {
      const files = renderProject({ name: 'x', template, ci: 'none', gcp: true });
      expect(files.filter((f) => f.path.startsWith('.github/'))).toEqual([]);
      expect(files.find((f) => f.path === 'README.md')?.content).not.toContain('## Continuous integration');
    }
    expect(SCAFFOLD_CI_PROVIDERS).toEqual(['github', 'none']);
  });
});

describe('the workflow checks themselves', () => {
  const base = `name: T
on:
  pull_request:
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
`;
  it('pass a valid workflow', () => {
    expect(lintWorkflow(base, 'ok.yml').problems).toEqual([]);
  });

  it.each([
    ['an unpinned action', base.replace('checkout@v4', 'checkout@main'), /not pinned/],
    ['an action without a ref', base.replace('checkout@v4', 'checkout'), /not pinned/],
    ['a job without runs-on', base.replace('    runs-on: ubuntu-latest\n', ''), /no runs-on/],
    ['a job without steps', base.replace(/ {4}steps:[\s\S]*$/, '    timeout-minutes: 5\n'), /no steps/],
    ['a step with uses and run', `${base}        run: ls\n`, /exactly one of uses and run/],
    [
      'an unknown context',
      `${base}      - run: echo hi\n        if: \${{ runner.os == 'Linux' }}\n`,
      /unknown context "runner"/,
    ],
    [
      'an unknown context in a bare if',
      `${base}      - run: echo hi\n        if: job.status\n`,
      /unknown context "job"/,
    ],
    [
      'an unknown function',
      `${base}      - run: echo hi\n        if: \${{ exists('x') }}\n`,
      /unknown function exists/,
    ],
    [
      'an expression in a script',
      `${base}      - run: echo \${{ github.event.pull_request.title }}\n`,
      /expression inside run/,
    ],
    [
      'a typo in a step key',
      `${base}      - run: ls\n        working_directory: x\n`,
      /unknown key "working_directory"/,
    ],
    [
      'hashFiles in a job if',
      base.replace('    runs-on:', "    if: hashFiles('x') != ''\n    runs-on:"),
      /hashFiles in a job/,
    ],
    ['auth without an id token', `${base}      - uses: google-github-actions/auth@v2\n`, /id-token: write/],
    ['a duplicate key', base.replace('jobs:', 'name: U\njobs:'), /not valid YAML/],
    ['no triggers', base.replace('on:\n  pull_request:\n', ''), /no "on" triggers/],
  ])('catch %s', (_what, text, problem) => {
    expect(lintWorkflow(text, 'bad.yml').problems.join('\n')).toMatch(problem);
  });

  it('collect the secrets and variables read, ignoring string literals', () => {
    const linted = lintWorkflow(
      `${base}        with:\n          token: \${{ secrets.TOKEN }}\n          x: \${{ vars.A || 'secrets.NOT_ONE' }}\n`,
      'x.yml',
    );
    expect(linted.problems).toEqual([]);
    expect([...linted.secrets]).toEqual(['TOKEN']);
    expect([...linted.vars]).toEqual(['A']);
  });
});
