/**
 * `mlops wandb sync` through the real CLI: the plugin named by path in a YAML config (as a
 * package name would be), its command wired into commander by core, JSON output and exit codes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalArtifactStore, main } from '@mlops/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WandbClient } from '../src/http/wandb-client.js';
import { WandbModelRegistry } from '../src/registry/wandb-model-registry.js';
import { RunSpool } from '../src/spool/run-spool.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { FAST_RETRY, startFake, TEST_KEY, tempDir } from './helpers.js';

const pluginEntry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

let fake: FakeWandbServer;
beforeEach(async () => {
  fake = await startFake();
  process.env.WANDB_API_KEY = TEST_KEY;
  delete process.env.WANDB_MODE;
});
afterEach(async () => {
  await fake.close();
});

async function project(): Promise<string> {
  const root = await tempDir();
  process.env.NETRC = join(root, 'none');
  const config = join(root, 'mlops.config.yaml');
  await writeFile(
    config,
    `project: fashion\nplugins:\n  - ["${pluginEntry}", { entity: team, mode: offline, baseUrl: "${fake.url}" }]\n`,
  );
  const spool = new RunSpool(join(root, '.mlops', 'wandb', 'spool'), 'cli-run');
  await spool.create();
  await spool.writeRun({
    format: 'mlops-wandb-run/1',
    entity: 'team',
    project: 'fashion',
    runId: 'cli-run',
    tags: [],
    config: { lr: { value: 0.1, desc: null } },
    resumed: false,
    startedAt: new Date(0).toISOString(),
  });
  await spool.appendHistory(['{"loss":1,"_step":1}', '{"loss":0.5,"_step":2}']);
  await spool.writeExit({ exitcode: 0, status: 'succeeded', finishedAt: new Date(0).toISOString() });
  return config;
}

function io(): { out: string[]; err: string[]; io: { out(t: string): void; err(t: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t) } };
}

describe('mlops wandb sync (CLI)', () => {
  it('uploads the spool and prints what it sent as JSON', async () => {
    const config = await project();
    const cli = io();
    expect(await main(['--config', config, '--json', 'wandb', 'sync'], cli.io)).toBe(0);
    const printed = JSON.parse(cli.out.join('\n')) as { runs: { runId: string; historyLines: number }[] };
    expect(printed.runs).toEqual([
      expect.objectContaining({ runId: 'cli-run', historyLines: 2, completed: true }),
    ]);
    expect(fake.historyRows('team', 'fashion', 'cli-run')).toHaveLength(2);
    expect(fake.violations).toEqual([]);
  });

  it('exits 1 with a message for an unknown run, and for a bad key without showing it', async () => {
    const config = await project();
    const unknown = io();
    expect(await main(['--config', config, 'wandb', 'sync', 'nope'], unknown.io)).toBe(1);
    // (The hint line is checked in sync.test.ts: here the plugin, loaded by path through jiti, has
    // its own copy of @mlops/core, so the CLI's `instanceof MlopsError` does not see its errors.)
    expect(unknown.err.join('\n')).toMatch(/no spooled W&B run "nope"/);

    process.env.WANDB_API_KEY = 'not-the-key';
    const denied = io();
    expect(await main(['--config', config, 'wandb', 'sync'], denied.io)).toBe(1);
    expect(denied.err.join('\n')).toMatch(/W&B rejected the API key \(HTTP 401\)/);
    expect(denied.err.join('\n')).not.toContain('not-the-key');
  });
});

describe('mlops registry (CLI) with wandb({ registry: true })', () => {
  it('lists and promotes on W&B, the registry `mlops serve` reads, not the local one', async () => {
    const root = await tempDir();
    process.env.NETRC = join(root, 'none');
    const config = join(root, 'mlops.config.yaml');
    await writeFile(
      config,
      `project: fashion\nplugins:\n  - ["${pluginEntry}", { entity: team, registry: true, baseUrl: "${fake.url}" }]\n`,
    );
    // A version logged from another machine, with `best` only.
    const other = await tempDir();
    const store = new LocalArtifactStore(join(other, '.mlops'));
    await mkdir(join(other, 'model'));
    await writeFile(join(other, 'model', 'model.json'), '{"format":"layers-model"}');
    await new WandbModelRegistry({
      client: new WandbClient({ baseUrl: fake.url, apiKey: TEST_KEY, retry: FAST_RETRY }),
      entity: 'team',
      project: 'fashion',
      store,
      stateDir: join(other, '.mlops', 'wandb'),
    }).register({
      model: 'fashion',
      artifacts: { tfjs: await store.putDir(join(other, 'model')) },
      metrics: { top1: 0.9 },
      aliases: ['best'],
    });

    const promoted = io();
    expect(
      await main(['--config', config, 'registry', 'promote', 'fashion', 'v1', 'production'], promoted.io),
    ).toBe(0);
    const [version] = fake.versions('team', 'fashion', 'fashion');
    expect(fake.aliases.get('team/fashion/fashion')?.get('production')).toBe(version?.id);
    const listed = io();
    expect(await main(['--config', config, '--json', 'registry', 'list'], listed.io)).toBe(0);
    expect(JSON.parse(listed.out.join('\n'))).toEqual([
      expect.objectContaining({
        name: 'fashion',
        versions: 1,
        aliases: { best: 1, latest: 1, production: 1 },
      }),
    ]);
    expect(fake.violations).toEqual([]);
  });
});
