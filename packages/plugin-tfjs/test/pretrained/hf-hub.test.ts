import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlopsError } from '@mlops/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkpointConfigDefaults } from '../../src/pretrained/checkpoint-defaults.js';
import { type HubSettings, hubFile, hubSettingsFromEnv, parseHubSpec } from '../../src/pretrained/hf-hub.js';
import { type FakeHub, startFakeHub } from './fake-hub.js';
import { TIMM_FIXTURES } from './timm-fixtures.js';

const REPO = 'timm/mobilenetv4_conv_small_035.test';
const weights = new Uint8Array(
  readFileSync(join(TIMM_FIXTURES, 'mobilenetv4_conv_small_035', 'model.safetensors')),
);
const config = new Uint8Array(readFileSync(join(TIMM_FIXTURES, 'mobilenetv4_conv_small_035', 'config.json')));

let hub: FakeHub | undefined;
let cacheDir: string;

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'mlops-hf-cache-'));
  // @huggingface/hub announces each download on console.debug.
  vi.spyOn(console, 'debug').mockImplementation(() => {});
});
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  vi.restoreAllMocks();
  await rm(cacheDir, { recursive: true, force: true });
});

function settings(overrides: Partial<HubSettings> = {}): HubSettings {
  return { endpoint: hub?.url ?? 'http://127.0.0.1:9', offline: false, cacheDir, ...overrides };
}

describe('hubSettingsFromEnv', () => {
  it('follows huggingface_hub: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE > HF_HOME/hub', () => {
    expect(
      hubSettingsFromEnv({
        HF_ENDPOINT: 'http://mirror.local/',
        HF_TOKEN: 't',
        HF_HUB_OFFLINE: '1',
        HF_HOME: '/h',
      }),
    ).toEqual({ endpoint: 'http://mirror.local', token: 't', offline: true, cacheDir: '/h/hub' });
    expect(hubSettingsFromEnv({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }).cacheDir).toBe('/c');
    expect(hubSettingsFromEnv({}).endpoint).toBe('https://huggingface.co');
  });
});

describe('parseHubSpec', () => {
  it('reads timm’s hf-hub: spelling with an optional revision', () => {
    expect(parseHubSpec('hf-hub:timm/a.b_c')).toEqual({ repo: 'timm/a.b_c', revision: 'main' });
    expect(parseHubSpec('hf-hub:timm/a@v2')).toEqual({ repo: 'timm/a', revision: 'v2' });
    expect(parseHubSpec('./model.safetensors')).toBeUndefined();
    expect(() => parseHubSpec('hf-hub:nope')).toThrow(/hf-hub:<org>\/<name>/);
  });
});

describe('hubFile against a stand-in Hub', () => {
  it('downloads into the shared cache layout once and reuses the blob on the next call', async () => {
    hub = await startFakeHub({ [REPO]: { 'model.safetensors': weights, 'config.json': config } });
    const ref = { repo: REPO, revision: 'main' };
    const first = await hubFile(ref, 'model.safetensors', settings());
    expect(first).toContain(join(cacheDir, 'models--timm--mobilenetv4_conv_small_035.test', 'snapshots'));
    expect(Buffer.compare(await readFile(first), weights)).toBe(0);
    const seen = hub.requests.length;
    const second = await hubFile(ref, 'model.safetensors', settings());
    expect(second).toBe(first);
    expect(hub.downloads('model.safetensors')).toBe(1);
    expect(hub.requests.length).toBe(seen);
    // refs/main written, as Python's cache does, so offline runs find the snapshot
    const ref_ = await readFile(
      join(cacheDir, 'models--timm--mobilenetv4_conv_small_035.test', 'refs', 'main'),
      'utf8',
    );
    expect(first).toContain(ref_);
  });

  it('works offline from the cache (HF_HUB_OFFLINE) without a request', async () => {
    hub = await startFakeHub({ [REPO]: { 'config.json': config } });
    const ref = { repo: REPO, revision: 'main' };
    const online = await hubFile(ref, 'config.json', settings());
    const seen = hub.requests.length;
    expect(await hubFile(ref, 'config.json', settings({ offline: true }))).toBe(online);
    expect(hub.requests.length).toBe(seen);
  });

  it('offline with an empty cache: one coded error naming the cache folder and how to place files', async () => {
    const error = await hubFile(
      { repo: REPO, revision: 'main' },
      'model.safetensors',
      settings({ offline: true }),
    ).catch((e: unknown) => e);
    expect(isMlopsError(error, 'MLOPS_ERR_CHECKPOINT_UNAVAILABLE')).toBe(true);
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain('HF_HUB_OFFLINE');
    expect(hint).toContain(join(cacheDir, 'models--timm--mobilenetv4_conv_small_035.test', 'snapshots'));
    expect(hint).toContain(join('refs', 'main'));
  });

  it('with no network: the cached copy when there is one, else the same clear error', async () => {
    hub = await startFakeHub({ [REPO]: { 'config.json': config } });
    const ref = { repo: REPO, revision: 'main' };
    const cached = await hubFile(ref, 'config.json', settings());
    const { url } = hub;
    await hub.close();
    hub = undefined;
    expect(await hubFile(ref, 'config.json', settings({ endpoint: url }))).toBe(cached);
    const error = await hubFile(ref, 'model.safetensors', settings({ endpoint: url })).catch(
      (e: unknown) => e,
    );
    expect(isMlopsError(error, 'MLOPS_ERR_CHECKPOINT_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('unreachable');
  });

  it('sends HF_TOKEN and reports a refused token as an auth error', async () => {
    hub = await startFakeHub({ [REPO]: { 'config.json': config } }, { token: 'hf_secret' });
    const ref = { repo: REPO, revision: 'main' };
    await hubFile(ref, 'config.json', settings({ token: 'hf_secret' }));
    expect(hub.requests.every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    const error = await hubFile(ref, 'model.safetensors', settings({ token: 'hf_wrong' })).catch(
      (e: unknown) => e,
    );
    expect(isMlopsError(error, 'MLOPS_ERR_REMOTE_AUTH')).toBe(true);
    expect((error as { hint: string }).hint).toContain('HF_TOKEN');
  });

  it('a repo or file the Hub does not have is unavailable, not a crash', async () => {
    hub = await startFakeHub({ [REPO]: { 'config.json': config } });
    const error = await hubFile({ repo: 'timm/nope', revision: 'main' }, 'config.json', settings()).catch(
      (e: unknown) => e,
    );
    expect(isMlopsError(error, 'MLOPS_ERR_CHECKPOINT_UNAVAILABLE')).toBe(true);
  });
});

describe('pretrained: true', () => {
  it('resolves to timm’s default Hub repo of the architecture, through HF_ENDPOINT into the cache', async () => {
    const config050 = new Uint8Array(
      readFileSync(join(TIMM_FIXTURES, 'mobilenetv4_conv_small_050', 'config.json')),
    );
    hub = await startFakeHub({
      'timm/mobilenetv4_conv_small_050.e3000_r224_in1k': { 'config.json': config050 },
    });
    const defaults = await checkpointConfigDefaults(
      { model: { architecture: 'mobilenetv4_conv_small_050', pretrained: true } },
      { root: cacheDir, isSet: (path) => path === 'model.architecture' },
      { hub: settings() },
    );
    expect(defaults?.source).toBe('checkpoint hf-hub:timm/mobilenetv4_conv_small_050.e3000_r224_in1k');
    expect(defaults?.values).toMatchObject({
      model: { architecture: 'mobilenetv4_conv_small_050', inputSize: 64, inputChannels: 3 },
      data: { interpolation: 'bicubic', cropPct: 0.875, normalize: { mean: [0.5, 0.5, 0.5] } },
    });
    expect(hub.requests.some((r) => r.path.endsWith('/resolve/main/config.json'))).toBe(true);
  });
});

describe('a config naming an unreachable checkpoint', () => {
  it('still loads (commands that only read the config work offline): defaults left out, with a warning', async () => {
    const log: string[] = [];
    const defaults = await checkpointConfigDefaults(
      { model: { initialCheckpoint: `hf-hub:${REPO}` } },
      { root: cacheDir, isSet: () => false },
      { hub: settings({ offline: true }), log: (m) => log.push(m) },
    );
    expect(defaults).toBeUndefined();
    expect(log.join('\n')).toMatch(/warning: .*HF_HUB_OFFLINE/);
  });
});
