import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMlopsError } from '../../src/errors.js';
import {
  defaultBucket,
  projectNameFrom,
  SCAFFOLD_CI_PROVIDERS,
  SCAFFOLD_TEMPLATES,
  type ScaffoldOptions,
} from '../../src/scaffold/options.js';
import { renderProject } from '../../src/scaffold/render.js';
import {
  DATASET_PACKAGES,
  MLOPS_PACKAGE_VERSIONS,
  NODE_ENGINES,
  TOOL_VERSIONS,
} from '../../src/scaffold/versions.js';
import { writeProject } from '../../src/scaffold/write-project.js';
import { STORE_GITIGNORE } from '../../src/store/store-root.js';

const REPO = new URL('../../../../', import.meta.url);
const readJson = async (path: string) =>
  JSON.parse(await readFile(new URL(path, REPO), 'utf8')) as {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    engines?: { node?: string };
  };

const ALL: ScaffoldOptions[] = SCAFFOLD_TEMPLATES.flatMap((template) =>
  SCAFFOLD_CI_PROVIDERS.flatMap((ci) =>
    [false, true].map((gcp) => ({ name: 'my-classifier', template, ci, gcp })),
  ),
);

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('renderProject', () => {
  it.each(ALL.map((o) => [`${o.template} / ci ${o.ci} / ${o.gcp ? 'gcp' : 'no gcp'}`, o] as const))(
    'renders %s',
    (_label, options) => {
      const files = renderProject(options);
      const paths = files.map((f) => f.path);
      expect(paths).toEqual([...paths].sort());
      expect(new Set(paths).size).toBe(paths.length);
      const expected = [
        '.gitignore',
        '.npmrc',
        'README.md',
        'mlops.config.ts',
        'package.json',
        'tsconfig.json',
      ];
      if (options.ci === 'github') {
        expected.push('.github/workflows/retrain.yml', '.github/workflows/test.yml');
        if (options.gcp) expected.push('.github/workflows/deploy.yml');
      }
      if (options.template === 'imagefolder') {
        expected.push('data/README.md');
        for (const split of ['train', 'validation', 'test'])
          for (const label of ['cat', 'dog']) expected.push(`data/${split}/${label}/.gitkeep`);
      }
      expect(paths.sort()).toEqual(expected.sort());
      const text = (path: string) => files.find((f) => f.path === path)?.content ?? '';
      // Nothing left unfilled, every text file ends with a newline.
      for (const file of files) {
        expect(file.content, file.path).not.toMatch(/undefined|\[object Object\]|\$\{(?!\{)/);
        if (file.content) expect(file.content.endsWith('\n'), file.path).toBe(true);
      }

      const config = text('mlops.config.ts');
      expect(config).toMatch(/^import \{ defineConfig \} from '@mlops\/core';/);
      expect(config).toContain('export default defineConfig({');
      expect(config).toContain("project: 'my-classifier',");
      expect(config).toContain(
        options.template === 'imagefolder'
          ? "data: { source: 'imagefolder', path: './data' }"
          : `data: { source: '${options.template}' }`,
      );
      expect(config.includes("gcp({ registry: 'bucket' })")).toBe(options.gcp);
      expect(config.includes(`store: { remote: '${defaultBucket('my-classifier')}' }`)).toBe(options.gcp);

      const pkg = JSON.parse(text('package.json')) as {
        name: string;
        dependencies: Record<string, string>;
        scripts: Record<string, string>;
      };
      expect(pkg.name).toBe('my-classifier');
      // Every package the config imports is a dependency, at the version released with this core.
      for (const [, name] of config.matchAll(/from '([^']+)'/g)) {
        expect(pkg.dependencies[name as string], name).toBe(
          MLOPS_PACKAGE_VERSIONS[name as keyof typeof MLOPS_PACKAGE_VERSIONS],
        );
      }
      const dataset = options.template === 'imagefolder' ? undefined : DATASET_PACKAGES[options.template];
      const extra = Object.keys(pkg.dependencies).filter((d) => !d.startsWith('@mlops/'));
      expect(extra).toEqual(dataset ? [dataset.name] : []);
      if (dataset) expect(pkg.dependencies[dataset.name]).toBe(dataset.version);
      // Scripts name real mlops commands only.
      for (const script of Object.values(pkg.scripts))
        expect(script).toMatch(
          /^(tsc --noEmit|mlops (run|serve|data (add data|push|pull --checkout)|deploy --target cloud-run))$/,
        );

      const readme = text('README.md');
      expect(readme).toMatch(/^# my-classifier\n/);
      expect(readme).toContain('npx mlops run');
      expect(readme.includes('npx mlops data add data')).toBe(options.template === 'imagefolder');
      expect(readme.includes('## Google Cloud')).toBe(options.gcp);
    },
  );

  it('pins the @mlops packages to the workspace versions, datasets to what plugin-tfjs declares, tools to the repository’s', async () => {
    for (const [name, version] of Object.entries(MLOPS_PACKAGE_VERSIONS)) {
      const manifest = await readJson(`packages/${name.slice('@mlops/'.length)}/package.json`);
      expect(manifest.name).toBe(name);
      expect(version, name).toBe(manifest.version);
    }
    const tfjs = await readJson('packages/plugin-tfjs/package.json');
    for (const dataset of Object.values(DATASET_PACKAGES)) {
      const declared = tfjs.peerDependencies?.[dataset.name] ?? tfjs.dependencies?.[dataset.name];
      expect(declared, `@mlops/plugin-tfjs declares ${dataset.name}`).toBeDefined();
      // An exact version, or a range whose floor is the version the scaffold pins.
      expect((declared as string).replace(/^[\^~>=]+/, '')).toBe(dataset.version);
    }
    const root = await readJson('package.json');
    for (const [tool, range] of Object.entries(TOOL_VERSIONS))
      expect(range, tool).toBe(root.devDependencies?.[tool]);
    expect(NODE_ENGINES).toBe((await readJson('packages/core/package.json')).engines?.node);
  });

  it('keeps the images of a bucket project out of git, but not their folders, README or manifest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-init-git-'));
    temps.push(dir);
    const files = renderProject({ name: 'shoes', template: 'imagefolder', ci: 'none', gcp: true });
    await writeProject(join(dir, 'p'), files);
    const project = join(dir, 'p');
    execFileSync('git', ['init', '-q'], { cwd: project });
    const ignored = (path: string) => {
      try {
        execFileSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: project });
        return true;
      } catch {
        return false;
      }
    };
    expect(ignored('data/train/cat/1.jpg')).toBe(true);
    expect(ignored('data/test/dog/deep/2.png')).toBe(true);
    expect(ignored('data/README.md')).toBe(false);
    expect(ignored('data.mlops-data.json')).toBe(false);
    expect(ignored('mlops.config.ts')).toBe(false);
    expect(ignored('node_modules/x/index.js')).toBe(true);
    // The store ignores itself (core writes .mlops/.gitignore): the project's file need not list it.
    expect(STORE_GITIGNORE).toMatch(/^\*$/m);
    // Without a bucket the images are committed.
    const local = renderProject({ name: 'shoes', template: 'imagefolder', ci: 'none', gcp: false });
    expect(local.find((f) => f.path === '.gitignore')?.content).not.toContain('/data');
  });

  it('refuses options it cannot render, naming the fix', () => {
    const base: ScaffoldOptions = { name: 'ok', template: 'imagefolder', ci: 'github', gcp: false };
    const cases: [Partial<ScaffoldOptions>, RegExp][] = [
      [{ name: 'My App' }, /not a valid npm package name/],
      [{ name: '' }, /empty/],
      [{ template: 'cifar' as ScaffoldOptions['template'] }, /unknown template "cifar"/],
      [{ ci: 'gitlab' as ScaffoldOptions['ci'] }, /unknown CI "gitlab"/],
      [{ gcp: true, bucket: 's3://x' }, /not a gs:\/\/ bucket URL/],
    ];
    for (const [change, message] of cases) {
      let caught: unknown;
      try {
        renderProject({ ...base, ...change });
      } catch (error) {
        caught = error;
      }
      expect(isMlopsError(caught, 'MLOPS_ERR_USAGE'), JSON.stringify(change)).toBe(true);
      expect((caught as Error).message).toMatch(message);
      expect((caught as { hint?: string }).hint).toMatch(/^Pass --/);
    }
    expect(
      renderProject({ ...base, gcp: true, bucket: 'gs://acme-ml/shoes' }).find(
        (f) => f.path === 'mlops.config.ts',
      )?.content,
    ).toContain("store: { remote: 'gs://acme-ml/shoes' }");
  });

  it('makes project names and buckets from folder names', () => {
    expect(projectNameFrom('My Classifier!')).toBe('my-classifier');
    expect(projectNameFrom('.hidden_thing')).toBe('hidden_thing');
    expect(projectNameFrom('***')).toBe('');
    expect(defaultBucket('shoes.v2')).toBe('gs://shoes-v2-mlops/mlops');
  });
});
