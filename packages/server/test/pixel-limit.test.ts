import type { ImageInput } from '@mlops/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, encodeGrayPng, readImageDimensions, type ServerOptions } from '../src/index.js';
import { FakeRegistry, FakeRuntime, fakeDecode, imageUpload } from './helpers.js';

/** A PNG signature and IHDR declaring `width`×`height` (no pixel data: a bomb never gets that far). */
function pngHeader(width: number, height: number): Buffer {
  const out = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(out, 0);
  out.writeUInt32BE(13, 8);
  out.write('IHDR', 12, 'latin1');
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out[24] = 8;
  return out;
}

/** SOI, an APP0 (JFIF) segment, a DQT-like segment, then a SOF (0xc0 baseline / 0xc2 progressive). */
function jpegHeader(width: number, height: number, sof = 0xc0): Buffer {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const dqt = [0xff, 0xdb, 0x00, 0x04, 0x00, 0x01];
  const sofSegment = [0xff, sof, 0x00, 0x11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3];
  return Buffer.from([0xff, 0xd8, ...app0, ...dqt, ...sofSegment, ...new Array(9).fill(0)]);
}

function webpVp8x(width: number, height: number): Buffer {
  const out = Buffer.alloc(30);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(22, 4);
  out.write('WEBPVP8X', 8, 'latin1');
  out.writeUInt32LE(10, 16);
  out.writeUIntLE(width - 1, 24, 3);
  out.writeUIntLE(height - 1, 27, 3);
  return out;
}

function webpVp8l(width: number, height: number): Buffer {
  const out = Buffer.alloc(30);
  out.write('RIFF', 0, 'latin1');
  out.write('WEBPVP8L', 8, 'latin1');
  out[20] = 0x2f;
  out.writeUInt32LE(((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14), 21);
  return out;
}

function webpVp8(width: number, height: number): Buffer {
  const out = Buffer.alloc(30);
  out.write('RIFF', 0, 'latin1');
  out.write('WEBPVP8 ', 8, 'latin1');
  out.set([0x9d, 0x01, 0x2a], 23);
  out.writeUInt16LE(width, 26);
  out.writeUInt16LE(height, 28);
  return out;
}

describe('readImageDimensions', () => {
  it('reads PNG, JPEG (baseline and progressive), WebP (VP8X, VP8L, VP8) and SVG headers', () => {
    expect(readImageDimensions(encodeGrayPng(new Uint8Array(30 * 20), 30, 20), 'image/png')).toEqual({
      width: 30,
      height: 20,
    });
    expect(readImageDimensions(jpegHeader(640, 480), 'image/jpeg')).toEqual({ width: 640, height: 480 });
    expect(readImageDimensions(jpegHeader(65535, 300, 0xc2), 'image/jpeg')).toEqual({
      width: 65535,
      height: 300,
    });
    expect(readImageDimensions(webpVp8x(16000, 9000), 'image/webp')).toEqual({ width: 16000, height: 9000 });
    expect(readImageDimensions(webpVp8l(1024, 768), 'image/webp')).toEqual({ width: 1024, height: 768 });
    expect(readImageDimensions(webpVp8(320, 240), 'image/webp')).toEqual({ width: 320, height: 240 });
    const svg = Buffer.from(
      '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100000px" height="5e4"></svg>',
    );
    expect(readImageDimensions(svg, 'image/svg+xml')).toEqual({ width: 100000, height: 50000 });
    const viewBox = Buffer.from('<svg viewBox="0 0 300 150"><rect/></svg>');
    expect(readImageDimensions(viewBox, 'image/svg+xml')).toEqual({ width: 300, height: 150 });
  });

  it('answers undefined for short, foreign or unknown headers', () => {
    expect(readImageDimensions(Buffer.from('BADPNG'), 'image/png')).toBeUndefined();
    expect(readImageDimensions(Buffer.from([0xff, 0xd8, 0x00, 0x00]), 'image/jpeg')).toBeUndefined();
    expect(readImageDimensions(Buffer.from('<svg width="100%">'), 'image/svg+xml')).toBeUndefined();
    expect(readImageDimensions(pngHeader(10, 10), 'image/gif')).toBeUndefined();
  });
});

describe('pixel limit (decompression bombs)', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function setup(options: Partial<ServerOptions> = {}) {
    const registry = new FakeRegistry();
    await registry.register({ model: 'm', artifacts: {}, aliases: ['production'] });
    const decoded: number[] = [];
    const decode = async (bytes: Uint8Array): Promise<ImageInput> => {
      decoded.push(bytes.length);
      return fakeDecode(bytes);
    };
    const app = createServer({ registry, runtime: new FakeRuntime(), model: 'm', decode, ...options });
    apps.push(app);
    return { app, decoded };
  }

  it.each([
    ['image/png', pngHeader(50_000, 50_000)],
    ['image/jpeg', jpegHeader(65_000, 65_000)],
    ['image/webp', webpVp8x(16_000, 16_000)],
    ['image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="90000" height="90000"/>')],
  ])('refuses a %s declaring too many pixels before decoding it (legacy route)', async (type, bytes) => {
    const { app, decoded } = await setup();
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload(type, bytes) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'MLOPS_SRV_ERR_TOO_MANY_PIXELS', 'status-code': 400 });
    expect(res.json().message).toMatch(/at most 40000000 pixels/);
    expect(decoded).toEqual([]);
  });

  it('refuses a bomb sent to /v1 as a raw body or base64, and honours maxPixels', async () => {
    const { app, decoded } = await setup({ maxPixels: 10_000 });
    const raw = await app.inject({
      method: 'POST',
      url: '/v1/models/m/predict',
      headers: { 'content-type': 'image/png' },
      payload: pngHeader(101, 100),
    });
    expect(raw.statusCode).toBe(400);
    expect(raw.json().code).toBe('MLOPS_SRV_ERR_TOO_MANY_PIXELS');
    const json = await app.inject({
      method: 'POST',
      url: '/v1/models/m/predict',
      payload: { images: [pngHeader(100, 100).toString('base64'), pngHeader(1000, 1000).toString('base64')] },
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().code).toBe('MLOPS_SRV_ERR_TOO_MANY_PIXELS');
    // The first image (exactly at the limit) was decoded, the second never was.
    expect(decoded).toHaveLength(1);
  });

  it('checks the decoded size too, for headers it cannot read', async () => {
    // fakeDecode answers 2×2 = 4 pixels for any bytes; "PNGDATA" has no PNG header.
    const { app, decoded } = await setup({ maxPixels: 3 });
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload('image/png') });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MLOPS_SRV_ERR_TOO_MANY_PIXELS');
    expect(decoded).toHaveLength(1);
  });

  it('accepts images within the limit', async () => {
    const { app } = await setup({ maxPixels: 28 * 28 });
    const png = encodeGrayPng(new Uint8Array(28 * 28), 28, 28);
    const res = await app.inject({ method: 'POST', url: '/api/predict/', ...imageUpload('image/png', png) });
    expect(res.statusCode).toBe(200);
  });
});
