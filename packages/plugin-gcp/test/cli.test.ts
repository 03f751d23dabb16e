import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataAdd, LocalArtifactStore, main } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsModelRegistry } from '../src/registry/gcs-model-registry.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';
import { emulatorClient, tempDir } from './helpers.js';

let emulator: GcsEmulator;
beforeAll(async () => {
  emulator = await startGcsEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

const pluginSource = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('the mlops CLI with the plugin in mlops.config.ts', () => {
  it("nests `data push` under core's `data` group and prints the transfer", async () => {
    const { dir, cleanup } = await tempDir();
    await mkdir(join(dir, 'data/train/cat'), { recursive: true });
    await writeFile(join(dir, 'data/train/cat/1.png'), 'cli cat');
    const added = await dataAdd(join(dir, 'data'), { store: new LocalArtifactStore(join(dir, '.mlops')) });
    const config = join(dir, 'mlops.config.ts');
    await writeFile(
      config,
      `import { gcp } from ${JSON.stringify(pluginSource)};
export default {
  project: 'cli-test',
  store: { path: '.mlops', remote: 'gs://cli-bucket/p' },
  plugins: [gcp({ apiEndpoint: ${JSON.stringify(emulator.url)} })],
};
`,
    );
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    const code = await main(['--config', config, '--json', 'data', 'push', added.manifestPath], io);
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject([
      { version: added.version, transferred: 2, remote: 'gs://cli-bucket/p' },
    ]);
    // Plugin commands with options go through commander as typed: --dry-run, --job-id, ...
    out.length = 0;
    const argv = ['--config', config, '--json', 'vertex', 'train', '--dry-run', '--image', 'img:1'];
    expect(
      await main(
        [
          ...argv,
          '--project',
          'acme',
          '--accelerator',
          'NVIDIA_L4',
          '--accelerator-count',
          '2',
          '--job-id',
          'j1',
        ],
        io,
      ),
    ).toBe(0);
    const printed = JSON.parse(out.join('\n'));
    expect(printed.jobId).toBe('j1');
    expect(printed.request.body.jobSpec.workerPoolSpecs[0].machineSpec).toEqual({
      machineType: 'n1-standard-8',
      acceleratorType: 'NVIDIA_L4',
      acceleratorCount: 2,
    });
    // The same job through core's --remote: the local command's stages reach the remote `mlops run`.
    out.length = 0;
    expect(
      await main(
        [
          '--config',
          config,
          '--json',
          'train',
          '--remote',
          'vertex',
          '--dry-run',
          '--remote-option',
          'image=img:1',
          '--remote-option',
          'project=acme',
          '--remote-option',
          'job-id=j2',
        ],
        io,
      ),
    ).toBe(0);
    const remote = JSON.parse(out.join('\n'));
    expect(remote.jobId).toBe('j2');
    expect(remote.request.body.jobSpec.workerPoolSpecs[0].containerSpec.args.slice(-2)).toEqual([
      'run',
      'train',
    ]);
    // An unknown target names the ones that exist; an unknown option names the accepted ones.
    err.length = 0;
    expect(await main(['--config', config, 'train', '--remote', 'sagemaker', '--dry-run'], io)).not.toBe(0);
    expect(err.join('\n')).toMatch(
      /no plugin provides the remote target "sagemaker"[\s\S]*vertex \(Vertex AI custom job\)/,
    );
    err.length = 0;
    expect(
      await main(
        ['--config', config, 'train', '--remote', 'vertex', '--dry-run', '--remote-option', 'gpu=1'],
        io,
      ),
    ).not.toBe(0);
    expect(err.join('\n')).toMatch(/unknown --remote-option "gpu"[\s\S]*machine-type/);
    // Built-in data commands still work without loading plugins.
    expect(await main(['--config', config, 'data', 'status', join(dir, 'data')], io)).toBe(0);
    await cleanup();
  });

  it('`mlops registry promote` moves the alias in the bucket registry the deployed server reads', async () => {
    const { dir, cleanup } = await tempDir();
    const config = join(dir, 'mlops.config.ts');
    await writeFile(
      config,
      `import { gcp } from ${JSON.stringify(pluginSource)};
export default {
  project: 'cli-test',
  store: { path: '.mlops', remote: 'gs://cli-bucket/reg' },
  registry: { gate: { metric: 'top1', mode: 'max' } },
  plugins: [gcp({ apiEndpoint: ${JSON.stringify(emulator.url)}, registry: 'bucket' })],
};
`,
    );
    const bucket = new GcsModelRegistry({
      url: 'gs://cli-bucket/reg',
      storage: emulatorClient(emulator.url),
    });
    const artifact = { hash: 'c'.repeat(64), kind: 'file' as const, size: 1 };
    await bucket.register({ model: 'shoes', artifacts: { tfjs: artifact }, metrics: { top1: 0.9 } });
    await bucket.register({ model: 'shoes', artifacts: { tfjs: artifact }, metrics: { top1: 0.8 } });
    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => err.push(t) };
    expect(await main(['--config', config, 'registry', 'promote', 'shoes', '1', 'production'], io)).toBe(0);
    expect((await bucket.resolve('shoes', { alias: 'production' })).version).toBe(1);
    // The config's gate applies to the bucket registry too.
    expect(await main(['--config', config, 'registry', 'promote', 'shoes', '2', 'production'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/top1/);
    expect((await bucket.resolve('shoes', { alias: 'production' })).version).toBe(1);
    await cleanup();
  });
});
