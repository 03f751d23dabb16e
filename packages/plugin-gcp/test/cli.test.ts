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
          '--machine-type',
          'g2-standard-24',
          '--accelerator',
          'NVIDIA_L4',
          '--accelerator-count',
          '2',
          '--env',
          'A=1',
          '--env',
          'B=2,C=3',
          '--secret',
          'WANDB_API_KEY=wandb-key',
          '--timeout',
          '2h',
          '--job-id',
          'j1',
        ],
        io,
      ),
    ).toBe(0);
    const printed = JSON.parse(out.join('\n'));
    expect(printed.jobId).toBe('j1');
    const pool = printed.request.body.jobSpec.workerPoolSpecs[0];
    expect(pool.machineSpec).toEqual({
      machineType: 'g2-standard-24',
      acceleratorType: 'NVIDIA_L4',
      acceleratorCount: 2,
    });
    expect(pool.containerSpec.env).toEqual(
      expect.arrayContaining([
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
        { name: 'C', value: '3' },
        { name: 'MLOPS_GCP_SECRETS', value: 'WANDB_API_KEY=projects/acme/secrets/wandb-key/versions/latest' },
      ]),
    );
    expect(printed.request.body.jobSpec.scheduling).toEqual({ timeout: '7200s' });
    // An L4 on an n1 machine is refused before anything is sent, with what to use instead.
    err.length = 0;
    expect(await main([...argv, '--project', 'acme', '--accelerator', 'NVIDIA_L4'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/an L4 needs a g2 machine[\s\S]*hint: Pass --machine-type g2-standard-4/);
    // deploy's flags, as typed: repeated and comma-separated lists, --no-allow-unauthenticated.
    out.length = 0;
    expect(
      await main(
        [
          '--config',
          config,
          '--json',
          'deploy',
          '--target',
          'cloud-run',
          '--dry-run',
          '--image',
          'img:1',
          '--project',
          'acme',
          '--env',
          'X=1',
          '--env',
          'Y=2',
          '--secret',
          'WANDB_API_KEY=wandb-key:3',
          '--no-allow-unauthenticated',
          '--traffic',
          'latest=100',
          '--alerts',
          '42',
          '43',
        ],
        io,
      ),
    ).toBe(0);
    const deploy = JSON.parse(out.join('\n'));
    expect(deploy.request.body.template.containers[0].env.map((e: { name: string }) => e.name)).toEqual([
      'NODE_ENV',
      'MLOPS_GCP_STORE',
      'MLOPS_GCP_REGISTRY',
      'X',
      'Y',
      'WANDB_API_KEY',
    ]);
    expect(deploy.iam.body.policy).toEqual({ bindings: [] }); // allUsers taken out of the current policy
    expect(
      deploy.alerts.map((a: { body: { notificationChannels: string[] } }) => a.body.notificationChannels[0]),
    ).toEqual([
      'projects/acme/notificationChannels/42',
      'projects/acme/notificationChannels/42',
      'projects/acme/notificationChannels/42',
      'projects/acme/notificationChannels/42',
    ]);
    expect(deploy.alerts[0].body.notificationChannels).toEqual([
      'projects/acme/notificationChannels/42',
      'projects/acme/notificationChannels/43',
    ]);
    // The same job through core's --remote: the local command's stages reach the remote `mlops run`.
    out.length = 0;
    expect(
      await main(
        [
          '--config',
          config,
          '--json',
          '--set',
          'train.epochs=3',
          '--set',
          'train.backend=cpu',
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
          '--remote-option',
          'env=A=1,B=2',
          '--remote-option',
          'timeout=90m',
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
    // The command line's --set reaches the job, so its config is the one submitted (job.json).
    expect(remote.request.body.jobSpec.workerPoolSpecs[0].containerSpec.args).toEqual(
      expect.arrayContaining(['--set', 'train.epochs=3']),
    );
    // As written on the command line (core's RemoteRunRequest.set), not recovered from the config.
    const args: string[] = remote.request.body.jobSpec.workerPoolSpecs[0].containerSpec.args;
    const sets = args.filter((_, i) => args[i - 1] === '--set' && !args[i]?.startsWith('store.remote='));
    expect(sets).toEqual(['train.epochs=3', 'train.backend=cpu']);
    expect(remote.request.body.jobSpec.workerPoolSpecs[0].containerSpec.env).toEqual(
      expect.arrayContaining([
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ]),
    );
    expect(remote.request.body.jobSpec.scheduling).toEqual({ timeout: '5400s' });
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
