/**
 * A real pipeline run logged to W&B, then served from W&B: Fashion-MNIST (a few images per
 * class) → small_cnn trained for one epoch with @mlops/plugin-tfjs → evaluate → export →
 * registered as a W&B model artifact. Then a person moves `production` in the W&B UI, and
 * `mlops serve` on another machine (an empty store) resolves `fashion@production` from W&B and
 * answers a prediction. Along the way the API key must appear nowhere: not in logs, errors, run
 * records or spool files.
 */
import { join } from 'node:path';
import { Pipeline, resolveUserConfig } from '@mlops/core';
import { tfjs } from '@mlops/plugin-tfjs';
import { server } from '@mlops/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wandb } from '../src/index.js';
import type { FakeWandbServer } from './fake-wandb-server.js';
import { capturingLogger, FAST_RETRY, PNG_1X1, readTree, startFake, TEST_KEY, tempDir } from './helpers.js';

let fake: FakeWandbServer;
const logs: string[] = [];
const roots: string[] = [];
beforeAll(async () => {
  fake = await startFake();
  process.env.WANDB_API_KEY = TEST_KEY;
  process.env.NETRC = '/nonexistent/netrc';
  delete process.env.WANDB_MODE;
});
afterAll(async () => {
  await fake.close();
});

async function pipeline(
  root: string,
  extra: Parameters<typeof resolveUserConfig>[0] = {},
): Promise<Pipeline> {
  roots.push(root);
  const { config } = await resolveUserConfig(
    {
      project: 'fashion',
      data: { source: 'fashion-mnist', limitPerClass: 3 },
      model: { architecture: 'small_cnn', inputSize: 28, inputChannels: 1 },
      train: { epochs: 1, batchSize: 8, seed: 1, augment: { hflip: 0 } },
      evaluate: { split: 'test', topK: 3 },
      export: { formats: ['tfjs'] },
      registry: { aliases: ['best'] },
      serve: { port: 0, host: '127.0.0.1' },
      ...extra,
      plugins: [
        tfjs({ backend: 'wasm' }),
        wandb({ entity: 'team', registry: true, baseUrl: fake.url, retry: FAST_RETRY, tags: ['test'] }),
        server(),
      ],
    },
    { file: join(root, 'mlops.config.ts') },
  );
  return Pipeline.create({ config, logger: capturingLogger(logs) });
}

describe('a pipeline run on W&B, served from W&B', () => {
  let runId = '';

  it('logs the run (config, per-epoch metrics, summary, tables) and registers the model', async () => {
    const result = await (await pipeline(await tempDir())).run();
    runId = result.run.id;
    expect(fake.violations).toEqual([]);
    const run = fake.run('team', 'fashion', runId);
    expect(run?.exitcode).toBe(0);
    expect(run?.tags).toEqual(['test']);
    expect(run?.config.train).toMatchObject({ value: { epochs: 1 } });
    const rows = fake.historyRows('team', 'fashion', runId);
    expect(rows.map((r) => r._step)).toEqual([1]);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['train/loss', 'perf/images_per_second']));
    expect(run?.summary).toMatchObject({ 'test/top1': expect.any(Number) });
    expect(run?.summary?.confusion_matrix).toMatchObject({ _type: 'table-file' });
    expect(run?.summary?.roc).toMatchObject({ _type: 'table-file', nrows: expect.any(Number) });

    const [artifact] = fake.versions('team', 'fashion', 'fashion');
    expect(artifact).toMatchObject({ type: 'model', runName: runId });
    expect([...(artifact?.files.keys() ?? [])].sort(), 'artifact files').toEqual(
      expect.arrayContaining([
        'tfjs/model/model.json',
        'tfjs/model/weights.bin',
        'reference-stats/reference-stats.json',
      ]),
    );

    expect(JSON.parse(artifact!.metadata!).mlops.lineage).toMatchObject({
      runId,
      dataVersion: expect.any(String),
    });
    expect(fake.aliases.get('team/fashion/fashion')?.get('best')).toBe(artifact!.id);
  });

  it('serves fashion@production from W&B after the alias is moved there', async () => {
    fake.setAlias('team', 'fashion', 'fashion', 'production', 0); // as a person does in the W&B UI
    const serving = await pipeline(await tempDir()); // another machine: nothing in its store
    const controller = new AbortController();
    const running = serving.run({ stages: ['serve'], signal: controller.signal });
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) {
      await new Promise((r) => setTimeout(r, 50));
      url = logs.map((line) => /at (http:\/\/127\S+)/.exec(line)?.[1]).find(Boolean);
    }
    expect(url).toBeDefined();
    const response = await fetch(`${url}/v1/models/fashion/predict?alias=production`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: PNG_1X1,
    });
    const body = (await response.json()) as { version: number; predictions: unknown[] };
    expect(response.status).toBe(200);
    expect(body.version).toBe(1);
    expect(body.predictions).toHaveLength(1);
    expect(fake.requests.some((r) => r.path.startsWith('/artifactsV2/'))).toBe(true);
    controller.abort();
    await running;
    expect(fake.violations).toEqual([]);
  });

  it('never writes the API key into logs, run records or the store', async () => {
    expect(logs.join('\n')).not.toContain(TEST_KEY);
    const basic = Buffer.from(`api:${TEST_KEY}`).toString('base64');
    for (const root of roots) {
      for (const [path, text] of await readTree(root, ['datasets'])) {
        expect(text.includes(TEST_KEY) || text.includes(basic), path).toBe(false);
      }
    }
  });
});
