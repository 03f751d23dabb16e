import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli/cli-harness.js';

const testPlugin = fileURLToPath(new URL('../pipeline/test-plugin.ts', import.meta.url));

async function projectWith(sweep: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-sweep-cli-'));
  const file = join(dir, 'mlops.config.ts');
  await writeFile(
    file,
    `import { countingEnginePlugin } from ${JSON.stringify(testPlugin)};
export default {
  project: 'demo',
  data: { source: 'generated' },
  train: { epochs: 1 },
  plugins: [countingEnginePlugin({ build: 0, train: 0, evaluate: 0, export: 0 })],
  ${sweep}
};
`,
  );
  return file;
}

describe('mlops sweep (CLI)', () => {
  it('runs the sweep, prints the trials, the best one and the report; --json gives the record', async () => {
    const config = await projectWith(
      "sweep: { method: 'grid', metric: { name: 'test/top1' }, parameters: { 'train.lr': { values: [0.1, 0.01] } } },",
    );
    const result = await cli(['--config', config, 'sweep']);
    expect(result.err).not.toMatch(/^mlops:/m);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^sweep demo-[0-9a-f]{8} finished: 2 trials \(2 run now\)/);
    expect(result.out).toMatch(/trial\s+status\s+train\.lr\s+test\/top1\s+run/);
    expect(result.out).toMatch(/best: trial 0, test\/top1 0\.91, run \S+: --set train\.lr=0\.1/);
    expect(result.out).toMatch(/report: .*sweeps\/demo-[0-9a-f]{8}\/report\.html/);
    const again = await cli(['--config', config, '--json', 'sweep']);
    expect(again.code).toBe(0);
    const record = JSON.parse(again.out);
    expect(record.trials).toHaveLength(2);
    expect(record.status).toBe('finished');
  });

  it('usage errors exit 2; a config without a sweep exits 1 with a hint', async () => {
    expect((await cli(['sweep', '--max-trials', '0'])).code).toBe(2);
    const none = await cli(['--config', await projectWith(''), 'sweep']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no `sweep` section/);
    expect(none.err).toMatch(/^hint: add sweep: \{ method: 'tpe'/m);
  });
});
