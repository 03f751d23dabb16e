/**
 * The scaffold end to end, as a user goes: `npm create mlops` → (install: the workspace packages,
 * linked) → images into the skeleton's class folders → `mlops data add data` → `mlops run` →
 * `mlops serve` answers a prediction over the old system's HTTP contract. The run is the
 * template's own config run with the command of the generated pull-request workflow (one epoch,
 * a throw-away store).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIO, type Logger, loadConfig, main, Pipeline } from '@mlops/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMlops } from '../src/index.js';
import { classImage, linkDependencies, missingBuilds, writeImages } from './workspace-project.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

function captureIO(): CliIO & { text: () => string; errors: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (line) => void out.push(line),
    err: (line) => void err.push(line),
    text: () => out.join('\n'),
    errors: () => err.join('\n'),
  };
}

describe('npm create mlops → mlops run → mlops serve', () => {
  it('trains the new project on a tiny dataset and serves a prediction', async () => {
    const root = await mkdtemp(join(tmpdir(), 'create-mlops-e2e-'));
    temps.push(root);
    const project = join(root, 'pets');
    const created = captureIO();
    expect(await createMlops([project, '--yes'], created), created.errors()).toBe(0);
    expect(created.text()).toContain('npx mlops data add data');
    const linked = await linkDependencies(project);
    expect(missingBuilds(linked), 'run `npm run build` first').toEqual([]);

    // The skeleton's class folders, filled: 12 train, 4 validation, 4 test images per class.
    const classes = ['cat', 'dog'];
    expect(await writeImages(join(project, 'data'), classes, { train: 12, validation: 4, test: 4 })).toBe(40);
    const config = join(project, 'mlops.config.ts');
    const cli = async (args: string[]) => {
      const io = captureIO();
      const code = await main(['--config', config, ...args], io);
      expect(code, `mlops ${args.join(' ')}\n${io.errors()}`).toBe(0);
      return io.text();
    };

    // The README's data step, and the check the pull-request workflow runs.
    expect(await cli(['data', 'add', join(project, 'data')])).toMatch(/^data version \w+ \(40 files\)/);
    const manifest = JSON.parse(await readFile(join(project, 'data.mlops-data.json'), 'utf8'));
    expect(manifest.classes).toEqual(classes);
    expect(await cli(['data', 'status', join(project, 'data')])).toBe('up to date');

    // The pull-request workflow's quick run, as written in test.yml ($RUNNER_TEMP as GitHub sets it).
    const workflow = parse(await readFile(join(project, '.github', 'workflows', 'test.yml'), 'utf8')) as {
      jobs: { test: { steps: { name?: string; run?: string }[] } };
    };
    const quickRun =
      workflow.jobs.test.steps.find((s) => s.name === 'Train one epoch on a sample')?.run ?? '';
    expect(quickRun).toMatch(/^npx mlops run /);
    // The workflow's data check compares `mlops data status data` with what it printed above.
    const dataCheck = workflow.jobs.test.steps.find(
      (s) => s.name === 'The images match data.mlops-data.json',
    );
    expect(dataCheck?.run).toContain('status=$(npx mlops data status data)');
    expect(dataCheck?.run).toContain('"$status" != "up to date"');
    const runnerTemp = join(root, 'runner-temp');
    const args = quickRun
      .replace(/^npx mlops /, '')
      .replaceAll('"$RUNNER_TEMP', runnerTemp)
      .replaceAll('"', '')
      .split(/\s+/);
    const ran = JSON.parse(await cli(['--json', ...args])) as {
      run: { project: string; status: string; stages: Record<string, { status: string }> };
      outputs: { export?: { registered?: { model: string; version: number; aliases: string[] } } };
    };
    expect(ran.run.status).toBe('succeeded');
    expect(ran.run.project).toBe('pets');
    expect(Object.keys(ran.run.stages)).toEqual(['data', 'model', 'train', 'evaluate', 'export']);
    expect(ran.outputs.export?.registered).toMatchObject({ model: 'pets', version: 1 });
    expect(ran.outputs.export?.registered?.aliases).toEqual(
      expect.arrayContaining(['latest', 'preproduction']),
    );

    // `mlops serve` is the serve stage of the same config (port 0: any free port).
    const lines: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (m) => void lines.push(m),
      warn: (m) => void lines.push(m),
      error: (m) => void lines.push(m),
      child: () => logger,
    };
    const store = args[args.indexOf('--set') + 1] as string;
    expect(store).toBe(`store.path=${join(runnerTemp, 'mlops-store')}`);
    const { config: resolved } = await loadConfig({ cwd: project, overrides: [store, 'serve.port=0'] });
    const pipeline = await Pipeline.create({ config: resolved, logger });
    const controller = new AbortController();
    const serving = pipeline.run({ stages: ['serve'], signal: controller.signal });
    try {
      let url: string | undefined;
      for (let i = 0; i < 600 && !url; i++) {
        await new Promise((r) => setTimeout(r, 50));
        url = lines.map((line) => /serving \S+ at (http:\/\/\S+)/.exec(line)?.[1]).find(Boolean);
      }
      expect(url, lines.join('\n')).toBeDefined();
      const form = new FormData();
      form.append('image_file', new Blob([classImage(0, 1)], { type: 'image/png' }), 'cat.png');
      const response = await fetch(`${url}/api/predict/preproduction/`, { method: 'POST', body: form });
      const body = (await response.json()) as { probabilities: Record<string, number> };
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(Object.keys(body.probabilities).sort()).toEqual(classes);
      const total = Object.values(body.probabilities).reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(100, 1);
    } finally {
      controller.abort();
      await serving;
    }
  }, 120_000);
});
