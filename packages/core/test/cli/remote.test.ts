import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliIO, main } from '../../src/cli/main.js';

/**
 * A config whose plugin provides a `fake` remote target that answers with the request it got.
 * The token is `Symbol.for('mlops.RemoteRunner')`, so the file needs no import of core.
 */
const CONFIG = `export default {
  project: 'remote-demo',
  train: { epochs: 5 },
  plugins: [
    {
      name: 'fake-remote',
      apply(api) {
        api.provide(Symbol.for('mlops.RemoteRunner'), {
          target: 'fake',
          description: 'answers with the request',
          async submit(request, pluginApi) {
            return { request, epochs: pluginApi.config.train.epochs };
          },
        });
      },
    },
  ],
};
`;

describe('--remote', () => {
  it("hands the runner the command line's --set overrides as given, with the stages and options", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-remote-'));
    const config = join(dir, 'mlops.config.mjs');
    await writeFile(config, CONFIG);
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { out: (text) => void out.push(text), err: (text) => void err.push(text) };
    const code = await main(
      [
        '--config',
        config,
        '--json',
        '--set',
        'train.epochs=3',
        '--set',
        'train.backend=cpu',
        // The same value as the file's: still passed on, as the user wrote it.
        '--set',
        'project=remote-demo',
        'train',
        '--remote',
        'fake',
        '--dry-run',
        '--remote-option',
        'zone=a',
      ],
      io,
    );
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual({
      request: {
        stages: ['train'],
        dryRun: true,
        options: { zone: 'a' },
        force: false,
        set: ['train.epochs=3', 'train.backend=cpu', 'project=remote-demo'],
      },
      // The runner's config is the resolved one, overrides applied.
      epochs: 3,
    });
  });
});
