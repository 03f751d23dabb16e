import { decodeImageBytes } from '@mlops/plugin-tfjs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, encodeGrayPng, samplePng } from '../src/index.js';
import { FakeRegistry, FakeRuntime, imageUpload } from './helpers.js';

// The sharp/PNG decoder of @mlops/plugin-tfjs behind the server's checks, with real bytes (imported
// from its sources, like the benches, so this test needs no build of that package).
let app: FastifyInstance;
beforeAll(async () => {
  const registry = new FakeRegistry();
  await registry.register({ model: 'm', artifacts: {}, aliases: ['production'] });
  app = createServer({
    registry,
    runtime: new FakeRuntime(),
    model: 'm',
    decode: (bytes) => decodeImageBytes(bytes),
  });
});
afterAll(() => app.close());

const predict = (type: string, bytes: Uint8Array) =>
  app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload(type, bytes) });

it('decodes a real PNG', async () => {
  const res = await predict('image/png', samplePng());
  expect(res.statusCode).toBe(200);
});

it('answers 400 MLOPS_SRV_ERR_BAD_IMAGE for truncated or corrupt images', async () => {
  const png = samplePng();
  for (const [type, bytes] of [
    ['image/png', png.subarray(0, png.length - 30)],
    ['image/png', Buffer.concat([png.subarray(0, 41), Buffer.alloc(40, 7), png.subarray(81)])],
    ['image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 1, 2, 3])],
    ['image/webp', Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 garbage', 'latin1')],
  ] as const) {
    const res = await predict(type, bytes);
    expect(res.statusCode, `${type} ${bytes.length}`).toBe(400);
    expect(res.json().code).toBe('MLOPS_SRV_ERR_BAD_IMAGE');
    expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
  }
});

it('refuses a real PNG bomb (an 8000×8000 black image in ~64 KB) before decoding', async () => {
  // Rows of zeros compress about 1000:1; only the header is read.
  const bomb = encodeGrayPng(new Uint8Array(8000 * 8000), 8000, 8000);
  expect(bomb.length).toBeLessThan(200_000);
  const res = await predict('image/png', bomb);
  expect(res.statusCode).toBe(400);
  expect(res.json().code).toBe('MLOPS_SRV_ERR_TOO_MANY_PIXELS');
});

it('answers every malformed request with a JSON 4xx and no stack trace (fuzz, fixed seed)', async () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const png = samplePng();
  const prefixes = [
    png.subarray(0, 8),
    png.subarray(0, 33),
    Buffer.from([0xff, 0xd8, 0xff]),
    Buffer.from('RIFF\0\0\0\0WEBPVP8 '),
    Buffer.from('<svg '),
    Buffer.alloc(0),
  ];
  const types = [
    'image/png',
    'image/jpeg',
    'image/webp',
    'image/svg+xml',
    'application/octet-stream',
    'text/plain',
    'image/gif',
    '',
  ];
  const urls = [
    '/api/predict/',
    '/api/predict/preproduction/',
    '/api/predict/dummy/',
    '/v1/models/m/predict',
    '/v1/models/m/predict?topk=3',
    '/v1/models/nope/predict',
  ];
  for (let i = 0; i < 150; i++) {
    const body = Buffer.concat([pick(prefixes), bytes(Math.floor(random() * 200))]);
    const type = pick(types);
    const url = pick(urls);
    const shape = Math.floor(random() * 4);
    const request =
      shape === 0
        ? imageUpload(type || 'application/octet-stream', body)
        : shape === 1
          ? { payload: body, headers: { 'content-type': type || 'image/png' } }
          : shape === 2
            ? { payload: { images: [body.toString('base64'), '%%%'] }, headers: {} }
            : {
                payload: body.subarray(0, 40),
                headers: { 'content-type': 'multipart/form-data; boundary=x' },
              };
    const res = await app.inject({ method: 'POST', url, ...request });
    const context = `${url} ${type} shape ${shape}: ${res.statusCode} ${res.body.slice(0, 200)}`;
    expect(res.statusCode === 200 || (res.statusCode >= 400 && res.statusCode < 500), context).toBe(true);
    if (res.statusCode !== 200) {
      expect(res.json(), context).toMatchObject({ code: expect.stringMatching(/^MLOPS_SRV_ERR_/) });
      expect(res.body, context).not.toMatch(/\bat .+:\d+:\d+/);
    }
  }
});
