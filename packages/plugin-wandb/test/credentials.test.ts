import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMlopsError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { parseNetrc, resolveApiKey } from '../src/auth/credentials.js';
import { Redactor } from '../src/auth/redactor.js';
import { resolveSettings } from '../src/settings.js';
import { tempDir } from './helpers.js';

const config = { project: 'fashion', root: '/work/p', store: { path: '.mlops' } };

describe('API key', () => {
  it('comes from WANDB_API_KEY first, then the netrc entry of the API host', async () => {
    const dir = await tempDir();
    const netrc = join(dir, 'netrc');
    await writeFile(
      netrc,
      '# wandb login\nmachine api.wandb.ai\n  login user\n  password from-netrc\nmachine 127.0.0.1:8080 login user password local-key\n',
    );
    expect(
      await resolveApiKey({
        env: { WANDB_API_KEY: 'from-env' },
        baseUrl: 'https://api.wandb.ai',
        netrcPath: netrc,
      }),
    ).toEqual({
      key: 'from-env',
      source: 'WANDB_API_KEY',
    });
    expect(await resolveApiKey({ env: {}, baseUrl: 'https://api.wandb.ai', netrcPath: netrc })).toEqual({
      key: 'from-netrc',
      source: 'netrc',
    });
    expect((await resolveApiKey({ env: {}, baseUrl: 'http://127.0.0.1:8080', netrcPath: netrc }))?.key).toBe(
      'local-key',
    );
    expect(
      await resolveApiKey({ env: {}, baseUrl: 'https://other.example', netrcPath: netrc }),
    ).toBeUndefined();
    expect(
      await resolveApiKey({ env: {}, baseUrl: 'https://api.wandb.ai', netrcPath: join(dir, 'missing') }),
    ).toBeUndefined();
  });

  it('parses one-line and multi-line netrc entries', () => {
    const entries = parseNetrc('machine a login u password p\ndefault login d password q');
    expect(entries.get('a')).toEqual({ login: 'u', password: 'p' });
    expect(entries.get('default')).toEqual({ login: 'd', password: 'q' });
  });

  it('is redacted from text, also as the Basic credential', () => {
    const redactor = new Redactor('s3cret');
    const basic = Buffer.from('api:s3cret').toString('base64');
    expect(redactor.redact(`key s3cret and Basic ${basic}`)).toBe('key [redacted] and Basic [redacted]');
    expect(new Redactor(undefined).redact('s3cret')).toBe('s3cret');
  });
});

describe('settings', () => {
  it('takes defaults from the environment and the mlops config', () => {
    const settings = resolveSettings({ entity: 'team' }, config, {
      WANDB_TAGS: 'a, b',
      WANDB_RUN_GROUP: 'g',
    });
    expect(settings).toMatchObject({
      entity: 'team',
      project: 'fashion',
      mode: 'online',
      baseUrl: 'https://api.wandb.ai',
      tags: ['a', 'b'],
      group: 'g',
      stateDir: '/work/p/.mlops/wandb',
    });
  });

  it('lets WANDB_MODE override the configured mode, so CI can go offline', () => {
    expect(resolveSettings({ entity: 'e', mode: 'online' }, config, { WANDB_MODE: 'offline' }).mode).toBe(
      'offline',
    );
    expect(resolveSettings({ entity: 'e' }, config, { WANDB_MODE: 'dryrun' }).mode).toBe('offline');
    expect(resolveSettings({}, config, { WANDB_MODE: 'disabled' }).mode).toBe('disabled');
    expect(() => resolveSettings({ entity: 'e' }, config, { WANDB_MODE: 'sometimes' })).toThrow(
      /WANDB_MODE=sometimes/,
    );
  });

  it('asks for an entity, naming where to put it', () => {
    try {
      resolveSettings({}, config, {});
      expect.unreachable();
    } catch (error) {
      expect(isMlopsError(error, 'MLOPS_ERR_CONFIG_INVALID')).toBe(true);
      expect((error as { hint: string }).hint).toContain('WANDB_ENTITY');
    }
  });
});
