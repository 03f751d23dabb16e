import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configKeyPaths, schemaKeysAt } from '../../src/config/schema-keys.js';
import { isMlopsError, type MlopsError } from '../../src/errors.js';

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-config-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<MlopsError> {
  try {
    await promise;
  } catch (error) {
    if (isMlopsError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('loadConfig', () => {
  it('loads mlops.config.ts without a build step and fills defaults', async () => {
    const cwd = await project({
      'mlops.config.ts': `
        const epochs: number = 3;
        export default { project: 'demo', train: { epochs } };
      `,
    });
    const { config, warnings } = await loadConfig({ cwd });
    expect(warnings).toEqual([]);
    expect(config.project).toBe('demo');
    expect(config.train.epochs).toBe(3);
    expect(config.train.batchSize).toBe(128);
    expect(config.registry.model).toBe('demo');
    expect(config.root).toBe(cwd);
  });

  it('applies YAML presets with nested extends, then the file, then --set', async () => {
    const cwd = await project({
      'configs/base.yaml': 'train:\n  epochs: 7\n  batchSize: 64\nmodel:\n  inputSize: 32\n',
      'configs/fast.yaml': 'extends: ./base.yaml\ntrain:\n  epochs: 2\n',
      'mlops.config.ts': `export default { project: 'p', extends: ['./configs/fast.yaml'], model: { dropout: 0.1 } };`,
    });
    const { config } = await loadConfig({ cwd, overrides: ['train.lr=0.002', 'train.betas=[0.8, 0.99]'] });
    expect(config.train.epochs).toBe(2);
    expect(config.train.batchSize).toBe(64);
    expect(config.model.inputSize).toBe(32);
    expect(config.model.dropout).toBe(0.1);
    expect(config.train.lr).toBe(0.002);
    expect(config.train.betas).toEqual([0.8, 0.99]);
    expect(config.sources.map((s) => s.split('/').pop())).toEqual([
      'base.yaml',
      'fast.yaml',
      'mlops.config.ts',
      '--set',
    ]);
  });

  it('maps a timm-style YAML (the old system’s training config)', async () => {
    const cwd = await project({
      'timm.yaml': [
        'model: mobilenetv4_conv_small',
        'opt: adamw',
        'opt_betas: [0.6, 0.995]',
        'weight_decay: 0.06',
        'lr_base: 0.01',
        'lr_base_size: 4096',
        'sched: cosine',
        'warmup_epochs: 5',
        'epochs: 2400',
        'batch_size: 128',
        'smoothing: 0.1',
        'drop: 0.25',
        'model_ema: true',
        'model_ema_decay: 0.99995',
        'scale: [0.08, 1.0]',
        'hflip: 0.5',
        'color_jitter: 0.4',
        'grayscale_prob: 0.1',
        'gaussian_blur_prob: 0.05',
        'reprob: 0.25',
        'aa: rand-m8-inc1-mstd1.0',
        'seed: 42',
        'eval_metric: top1',
        'checkpoint_hist: 10',
        'amp: true',
      ].join('\n'),
      'mlops.config.ts': `export default { project: 'p', extends: './timm.yaml' };`,
    });
    const { config, warnings } = await loadConfig({ cwd });
    expect(config.model.architecture).toBe('mobilenetv4_conv_small');
    expect(config.model.dropout).toBe(0.25);
    expect(config.train).toMatchObject({
      optimizer: 'adamw',
      betas: [0.6, 0.995],
      weightDecay: 0.06,
      lrBase: 0.01,
      lrBaseSize: 4096,
      scheduler: 'cosine',
      warmupEpochs: 5,
      epochs: 2400,
      batchSize: 128,
      labelSmoothing: 0.1,
      ema: { enabled: true, decay: 0.99995 },
      seed: 42,
      evalMetric: 'top1',
      checkpointHistory: 10,
    });
    expect(config.train.augment).toMatchObject({
      scale: [0.08, 1],
      hflip: 0.5,
      colorJitter: 0.4,
      grayscale: 0.1,
      gaussianBlur: 0.05,
      randomErasing: 0.25,
      randAugment: 'rand-m8-inc1-mstd1.0',
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.path).toBe('amp');
    expect(warnings[0]?.file).toMatch(/timm\.yaml$/);
  });

  it('stops on unknown keys, naming the file and the closest known key', async () => {
    const cwd = await project({
      'configs/base.yaml': 'data:\n  limitperclass: 5\n',
      'mlops.config.yaml':
        'extends: ./configs/base.yaml\nproject: p\ntrain:\n  epoch: 3\nepoch: 4\nfrobnicate: 1\n',
    });
    const error = await failure(loadConfig({ cwd }));
    expect(error.code).toBe('MLOPS_ERR_CONFIG_INVALID');
    expect(error.message).toContain('4 problems');
    expect(error.message).toContain(
      `${join(cwd, 'mlops.config.yaml')}: train.epoch: unknown key (did you mean "train.epochs"?)`,
    );
    expect(error.message).toContain(
      `${join(cwd, 'configs', 'base.yaml')}: data.limitperclass: unknown key (did you mean "data.limitPerClass"?)`,
    );
    // A top-level key is checked against the sections and the timm keys (`epochs` is one).
    expect(error.message).toContain(': epoch: unknown key (did you mean "epochs"?)');
    expect(error.message).toMatch(/: frobnicate: unknown key \(top-level keys:/);
    expect(error.hint).toContain('--lenient');
    const fromSet = await failure(
      loadConfig({
        cwd: await project({ 'mlops.config.ts': 'export default {}' }),
        overrides: ['train.bachSize=8'],
      }),
    );
    expect(fromSet.message).toContain('--set: train.bachSize: unknown key (did you mean "train.batchSize"?)');
  });

  it('ignores unknown keys with a warning under --lenient or strict: false', async () => {
    const files = { 'mlops.config.yaml': 'project: p\ntrain:\n  epochs: 2\n  epoks: 3\nfoo: 1\n' };
    const cwd = await project(files);
    const lenient = await loadConfig({ cwd, lenient: true });
    expect(lenient.config.train.epochs).toBe(2);
    expect(lenient.warnings).toEqual([
      expect.objectContaining({ path: 'foo', file: join(cwd, 'mlops.config.yaml') }),
      expect.objectContaining({
        path: 'train.epoks',
        file: join(cwd, 'mlops.config.yaml'),
        message: 'unknown key (did you mean "train.epochs"?); ignored',
      }),
    ]);
    const strictFalse = await project({
      'mlops.config.yaml': `strict: false\n${files['mlops.config.yaml']}`,
    });
    expect((await loadConfig({ cwd: strictFalse })).warnings.map((w) => w.path)).toEqual([
      'foo',
      'train.epoks',
    ]);
    const fromSet = await loadConfig({ cwd, overrides: ['strict=false'] });
    expect(fromSet.warnings).toHaveLength(2);
    const badStrict = await project({ 'mlops.config.yaml': 'strict: maybe\n' });
    expect((await failure(loadConfig({ cwd: badStrict }))).message).toContain(
      'strict: expected true or false',
    );
  });

  it('accepts every key the schema knows, including the fine-tuning and preprocessing ones', async () => {
    const cwd = await project({
      'mlops.config.yaml': [
        'project: p',
        'data: { cropPct: 0.875, interpolation: bicubic }',
        'model: { pretrained: false, resetHead: true, dropPath: 0.1 }',
        'train: { freeze: backbone, unfreezeAfterEpochs: 1, layerDecay: 0.8, epochs: 0 }',
        'serve: { dummy: imagenet@production, promoteToken: t, batching: false }',
      ].join('\n'),
    });
    const { config, warnings } = await loadConfig({ cwd });
    expect(warnings).toEqual([]);
    expect(config.train).toMatchObject({ freeze: 'backbone', unfreezeAfterEpochs: 1, layerDecay: 0.8 });
    // Whatever key the schema gains is known at once: the check reads the schema.
    for (const path of configKeyPaths()) {
      expect(schemaKeysAt(path.split('.').slice(0, -1))).toContain(path.split('.').at(-1));
    }
  });

  it('says which values an enum-like key allows', async () => {
    const cwd = await project({ 'mlops.config.ts': `export default { project: 'p' };` });
    const channels = await failure(loadConfig({ cwd, overrides: ['model.inputChannels=2'] }));
    expect(channels.message).toContain('--set: model.inputChannels: expected 1 or 3 (got 2)');
    const corrupt = await failure(loadConfig({ cwd, overrides: ['data.onCorrupt=skipp'] }));
    expect(corrupt.message).toContain(
      'data.onCorrupt: expected "skip" or "error" (got "skipp"; did you mean "skip"?)',
    );
    const quantize = await failure(loadConfig({ cwd, overrides: ['export.quantize=int4'] }));
    expect(quantize.message).toContain(
      'export.quantize: expected "int8" or false (got "int4"; did you mean "int8"?)',
    );
    const freeze = await failure(loadConfig({ cwd, overrides: ['train.freeze=head'] }));
    expect(freeze.message).toContain('train.freeze: expected "backbone" or an array (got "head")');
  });

  it('reports every invalid value with its file, key path and expectation', async () => {
    const cwd = await project({
      'configs/bad.yaml': 'train:\n  batchSize: -4\n',
      'mlops.config.ts': `export default { project: 'p', extends: './configs/bad.yaml', train: { epochs: 'ten' }, model: { inputChannels: 2 } };`,
    });
    const error = await failure(loadConfig({ cwd }));
    expect(error.code).toBe('MLOPS_ERR_CONFIG_INVALID');
    expect(error.message).toContain('3 problems');
    expect(error.message).toMatch(/bad\.yaml: train\.batchSize: .*>0/);
    expect(error.message).toMatch(/mlops\.config\.ts: train\.epochs: .*number/);
    expect(error.message).toMatch(/mlops\.config\.ts: model\.inputChannels/);
  });

  it('reports --set values as coming from --set', async () => {
    const cwd = await project({ 'mlops.config.ts': `export default { project: 'p' };` });
    const error = await failure(loadConfig({ cwd, overrides: ['train.optimizer=lamb'] }));
    expect(error.message).toMatch(/--set: train\.optimizer/);
  });

  it('gives clear errors for a missing file, bad YAML, a bad --set and a config that throws', async () => {
    const empty = await project({});
    expect((await failure(loadConfig({ cwd: empty }))).code).toBe('MLOPS_ERR_CONFIG_NOT_FOUND');
    expect((await failure(loadConfig({ cwd: empty, configFile: 'nope.ts' }))).message).toContain('nope.ts');
    const yaml = await project({ 'mlops.config.yaml': 'train:\n  epochs: [1,\n' });
    expect((await failure(loadConfig({ cwd: yaml }))).message).toMatch(
      /mlops\.config\.yaml:\d+: invalid YAML/,
    );
    const ok = await project({ 'mlops.config.ts': 'export default {}' });
    expect((await failure(loadConfig({ cwd: ok, overrides: ['nonsense'] }))).code).toBe('MLOPS_ERR_USAGE');
    const throws = await project({ 'mlops.config.ts': `throw new Error('boom'); export default {};` });
    const loadError = await failure(loadConfig({ cwd: throws }));
    expect(loadError.code).toBe('MLOPS_ERR_CONFIG_LOAD');
    expect(loadError.message).toContain('boom');
    const missingPreset = await project({ 'mlops.config.ts': `export default { extends: './none.yaml' };` });
    expect((await failure(loadConfig({ cwd: missingPreset }))).message).toContain('none.yaml');
  });

  it('detects extends cycles', async () => {
    const cwd = await project({
      'a.yaml': 'extends: ./b.yaml\n',
      'b.yaml': 'extends: ./a.yaml\n',
      'mlops.config.yaml': 'extends: ./a.yaml\n',
    });
    expect((await failure(loadConfig({ cwd }))).message).toContain('cycle');
  });

  it('rejects plugins that are not plugin objects', async () => {
    const cwd = await project({ 'mlops.config.ts': `export default { plugins: [() => ({})] };` });
    expect((await failure(loadConfig({ cwd }))).message).toContain('forget to call the plugin factory');
  });

  it('loads plugins named by package in YAML, with options, from presets too', async () => {
    const cwd = await project({
      'node_modules/demo-plugin/package.json': JSON.stringify({
        name: 'demo-plugin',
        type: 'module',
        main: 'index.js',
      }),
      'node_modules/demo-plugin/index.js':
        'export default (options) => ({ name: "demo-plugin", version: String(options.level ?? 0), apply() {} });',
      'configs/base.yaml': 'plugins: [demo-plugin]\n',
      'mlops.config.yaml': 'extends: ./configs/base.yaml\n',
      'with-options.yaml': 'plugins:\n  - [demo-plugin, { level: 3 }]\n',
      'missing.yaml': 'plugins: [not-installed-plugin]\n',
    });
    const fromPreset = await loadConfig({ cwd });
    expect(fromPreset.config.plugins.map((p) => [p.name, p.version])).toEqual([['demo-plugin', '0']]);
    const withOptions = await loadConfig({ cwd, configFile: 'with-options.yaml' });
    expect(withOptions.config.plugins[0]?.version).toBe('3');
    const error = await failure(loadConfig({ cwd, configFile: 'missing.yaml' }));
    expect(error.message).toContain('cannot load plugin package "not-installed-plugin"');
    expect(error.hint).toContain('npm install not-installed-plugin');
  });

  it('merges the plugins of presets and the config file by package name', async () => {
    const pkg = (name: string) => ({
      [`node_modules/${name}/package.json`]: JSON.stringify({ name, type: 'module', main: 'index.js' }),
      [`node_modules/${name}/index.js`]: `export default () => ({ name: "${name}", version: "preset", apply() {} });`,
    });
    const cwd = await project({
      ...pkg('plugin-a'),
      ...pkg('plugin-b'),
      ...pkg('plugin-c'),
      'configs/base.yaml': 'plugins: [plugin-a, plugin-b]\n',
      'configs/more.yaml': 'extends: ./base.yaml\nplugins: [plugin-c]\n',
      'mlops.config.ts': `export default { extends: './configs/more.yaml', plugins: [{ name: 'plugin-a', version: 'file', apply() {} }] };`,
      'typo.ts': `export default { extends: './configs/typo.yaml', plugins: [{ name: 'plugin-a', apply() {} }] };`,
      'configs/typo.yaml': 'plugins: [plugin-a, "@mlops/plugin-onxx"]\n',
    });
    const { config } = await loadConfig({ cwd });
    // Nothing a preset names is dropped; the config file's own plugin-a replaces the preset's.
    expect(config.plugins.map((p) => [p.name, p.version])).toEqual([
      ['plugin-a', 'file'],
      ['plugin-b', 'preset'],
      ['plugin-c', 'preset'],
    ]);
    // A misspelled package in a preset fails even when the config file has plugins of its own.
    const typo = await failure(loadConfig({ cwd, configFile: 'typo.ts' }));
    expect(typo.code).toBe('MLOPS_ERR_CONFIG_LOAD');
    expect(typo.message).toContain(
      `${join(cwd, 'configs', 'typo.yaml')}: plugins.1: cannot load plugin package "@mlops/plugin-onxx"`,
    );
  });
});
