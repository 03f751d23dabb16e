import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalModelRegistry } from '../../src/registry/local-model-registry.js';
import { RunStore } from '../../src/runs/run-store.js';
import { cli } from './cli-harness.js';

describe('mlops CLI', () => {
  it('prints help for every command and exits 0', async () => {
    for (const args of [
      ['--help'],
      ['run', '--help'],
      ['runs', 'list', '--help'],
      ['registry', 'promote', '--help'],
      ['data', 'add', '--help'],
    ]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.out + result.err).toContain('Usage: mlops');
    }
  });

  it('exits 2 on usage errors with a one-line cause', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    const stage = await cli(['run', 'deploy']);
    expect(stage.code).toBe(2);
    expect(stage.err).toContain('unknown stage "deploy"');
    const version = await cli(['registry', 'promote', 'm', 'latest', 'production']);
    expect(version.code).toBe(2);
  });

  it('exits 1 with the cause and a hint when the work fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-cli-'));
    const result = await cli(['--store', join(dir, '.mlops'), 'registry', 'show', 'nope']);
    expect(result.code).toBe(1);
    expect(result.err.split('\n')[0]).toMatch(/^mlops: model "nope" not found/);
    expect(result.err).toContain('hint:');
    const config = await cli(['run', '--config', join(dir, 'missing.ts')]);
    expect(config.code).toBe(1);
    expect(config.err).toContain('config file not found');
  });

  it('lists, shows and promotes registry versions, as text and --json, with the gate from the config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-cli-'));
    await writeFile(
      join(dir, 'mlops.config.yaml'),
      'project: demo\nregistry:\n  gate:\n    metric: top1\n    mode: max\n',
    );
    const registry = new LocalModelRegistry(join(dir, '.mlops'));
    const artifacts = { tfjs: { hash: 'a'.repeat(64), kind: 'dir' as const, size: 1 } };
    await registry.register({ model: 'demo', artifacts, metrics: { top1: 0.9 } });
    await registry.register({ model: 'demo', artifacts, metrics: { top1: 0.8 } });

    const config = ['--config', join(dir, 'mlops.config.yaml')];
    expect((await cli([...config, 'registry', 'promote', 'demo', 'v1', 'production'])).code).toBe(0);
    const refused = await cli([...config, 'registry', 'promote', 'demo', '2', 'production']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/top1/);
    const forced = await cli([
      ...config,
      'registry',
      'promote',
      'demo',
      '2',
      'production',
      '--force',
      '--reason',
      'rollback test',
    ]);
    expect(forced.code).toBe(0);
    expect(forced.out).toBe('demo@production: v1 → v2');

    const list = await cli([...config, '--json', 'registry', 'list']);
    expect(JSON.parse(list.out)).toEqual([
      expect.objectContaining({ name: 'demo', versions: 2, aliases: { production: 2 } }),
    ]);
    const show = await cli([...config, 'registry', 'show', 'demo']);
    expect(show.out).toContain('production: 1 → 2 (forced)');
  });

  it('compares two runs as a table, and as JSON only with --json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-cli-'));
    const runs = new RunStore(join(dir, '.mlops'));
    const a = await runs.create({ project: 'p', config: { train: { lr: 0.003, epochs: 3 } } });
    const b = await runs.create({ project: 'p', config: { train: { lr: 0.001, epochs: 3 } } });
    await runs.update(a.id, (r) => {
      r.metrics = { 'test/top1': 0.9, 'test/loss': 0.3 };
    });
    await runs.update(b.id, (r) => {
      r.metrics = { 'test/top1': 0.92, 'test/loss': 0.3 };
    });
    const store = ['--store', join(dir, '.mlops')];
    const text = await cli([...store, 'runs', 'compare', a.id, b.id]);
    expect(text.code).toBe(0);
    expect(text.out).not.toContain('{');
    expect(text.out).toContain(`a: ${a.id}\nb: ${b.id}`);
    expect(text.out).toMatch(/^metric +a +b +b - a$/m);
    expect(text.out).toMatch(/^test\/loss +0\.3000 +0\.3000 +0\.0000$/m);
    expect(text.out).toMatch(/^test\/top1 +0\.9000 +0\.9200 +\+0\.0200$/m);
    expect(text.out).toMatch(/^train\.lr +0\.003 +0\.001$/m);
    expect(text.out).not.toContain('train.epochs');
    const json = await cli([...store, '--json', 'runs', 'compare', a.id, b.id]);
    expect(JSON.parse(json.out)).toMatchObject({
      a: a.id,
      b: b.id,
      config: [{ key: 'train.lr', a: 0.003, b: 0.001 }],
    });
  });

  it('names the split evaluation used in the summary, and --lenient lets unknown keys pass', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-cli-split-'));
    const src = join(import.meta.dirname, '..', '..', 'src');
    const testPlugin = join(import.meta.dirname, '..', 'pipeline', 'test-plugin.ts');
    for (const split of ['train', 'validation']) {
      for (const label of ['cat', 'dog']) {
        await mkdir(join(dir, 'images', split, label), { recursive: true });
        await writeFile(join(dir, 'images', split, label, '1.png'), `${split}-${label}`);
      }
    }
    await writeFile(
      join(dir, 'mlops.config.ts'),
      [
        `import { Engine } from ${JSON.stringify(join(src, 'services', 'engine.ts'))};`,
        `import { countingEnginePlugin } from ${JSON.stringify(testPlugin)};`,
        'const fallback = { name: "fallback", dependsOn: ["test-engine"], apply(api) {',
        '  const engine = api.container.resolve(Engine);',
        '  api.provide(Engine, { ...engine, evaluate: async (ctx) => ({ ...(await engine.evaluate(ctx)), split: "validation" }) });',
        '} };',
        'export default { project: "demo", data: { source: "imagefolder", path: "images" }, train: { epochs: 1, epoks: 2 },',
        '  plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 }), fallback] };',
      ].join('\n'),
    );
    const config = ['--config', join(dir, 'mlops.config.ts')];
    const strict = await cli([...config, 'run']);
    expect(strict.code).toBe(1);
    expect(strict.err).toContain('mlops.config.ts: train.epoks: unknown key (did you mean "train.epochs"?)');
    const lenient = await cli([...config, '--lenient', 'run']);
    expect(lenient.code, lenient.err).toBe(0);
    expect(lenient.out).toMatch(/^validation: top1 0\.9100 /m);
    expect(lenient.out).not.toMatch(/^test:/m);
    expect(lenient.out).toContain(
      'note: evaluate: the data has no "test" split: evaluated on the validation split (metrics validation/*)',
    );
  });

  it('runs into the store named by --store, for run and its stage shortcuts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-cli-store-'));
    const testPlugin = join(import.meta.dirname, '..', 'pipeline', 'test-plugin.ts');
    for (const split of ['train', 'validation']) {
      for (const label of ['cat', 'dog']) {
        await mkdir(join(dir, 'images', split, label), { recursive: true });
        await writeFile(join(dir, 'images', split, label, '1.png'), `${split}-${label}`);
      }
    }
    await writeFile(
      join(dir, 'mlops.config.ts'),
      [
        `import { countingEnginePlugin } from ${JSON.stringify(testPlugin)};`,
        'export default { project: "demo", data: { source: "imagefolder", path: "images" }, train: { epochs: 1 },',
        '  plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 })] };',
      ].join('\n'),
    );
    const store = join(dir, 'elsewhere');
    const result = await cli(['--config', join(dir, 'mlops.config.ts'), '--store', store, 'train']);
    expect(result.code, result.err).toBe(0);
    const listed = await cli(['--store', store, '--json', 'runs', 'list']);
    expect(JSON.parse(listed.out)).toHaveLength(1);
    const defaultStore = await cli(['--store', join(dir, '.mlops'), '--json', 'runs', 'list']);
    expect(JSON.parse(defaultStore.out)).toEqual([]);
  });

  it('reports runs as JSON for scripting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-cli-'));
    const result = await cli(['--store', join(dir, '.mlops'), '--json', 'runs', 'list']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual([]);
    const missing = await cli(['--store', join(dir, '.mlops'), 'runs', 'show', 'latest']);
    expect(missing.code).toBe(1);
  });

  it('adds a data version, shows what changed, and checks it out again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-cli-data-'));
    for (const split of ['train', 'validation']) {
      for (const label of ['cat', 'dog']) {
        await mkdir(join(dir, 'pets', split, label), { recursive: true });
        await writeFile(join(dir, 'pets', split, label, '1.png'), `${split}-${label}`);
      }
    }
    const store = ['--store', join(dir, '.mlops')];
    const added = await cli([...store, '--json', 'data', 'add', join(dir, 'pets')]);
    expect(added.code).toBe(0);
    const summary = JSON.parse(added.out) as { version: string; files: number; manifestPath: string };
    expect(summary.files).toBe(4);
    expect(summary.manifestPath).toBe(join(dir, 'pets.mlops-data.json'));
    expect((await cli([...store, 'data', 'status', join(dir, 'pets')])).out).toBe('up to date');

    await writeFile(join(dir, 'pets', 'train', 'dog', '2.png'), 'new');
    expect((await cli([...store, 'data', 'status', join(dir, 'pets')])).out).toBe(
      'added     train/dog/2.png',
    );

    await rm(join(dir, 'pets'), { recursive: true });
    const restored = await cli([...store, 'data', 'checkout', summary.manifestPath]);
    expect(restored.code).toBe(0);
    expect(await readFile(join(dir, 'pets', 'train', 'cat', '1.png'), 'utf8')).toBe('train-cat');
  });
});
