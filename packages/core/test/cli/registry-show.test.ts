import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliIO, main } from '../../src/cli/main.js';
import { LocalModelRegistry } from '../../src/registry/local-model-registry.js';

async function cli(args: string[]) {
  const stdout: string[] = [];
  const io: CliIO = { out: (text) => void stdout.push(text), err: () => undefined };
  const code = await main(args, io);
  return { code, out: stdout.join('\n') };
}

const ref = (c: string, size: number) => ({ hash: c.repeat(64), kind: 'file' as const, size });

describe('mlops registry show', () => {
  it("lists each artifact's measured size, latency and accuracy, the served format and what the budget left out", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-registry-show-'));
    const registry = new LocalModelRegistry(join(dir, '.mlops'));
    // A version from before budgets: sizes only.
    await registry.register({ model: 'edge', artifacts: { tfjs: { ...ref('a', 420_000), kind: 'dir' } } });
    await registry.register({
      model: 'edge',
      artifacts: { onnx: ref('b', 412_345), 'onnx-int8': ref('c', 104_321) },
      metrics: { top1: 0.9 },
      metadata: {
        exports: [
          {
            format: 'onnx',
            details: {},
            measured: {
              bytes: 412_345,
              latencyP50Ms: 0.8123,
              latencyDevice: 'host',
              latencyEstimated: false,
              top1: 0.9,
              top1Split: 'test',
              top1Images: 200,
            },
          },
          {
            format: 'onnx-int8',
            details: {},
            measured: {
              bytes: 104_321,
              latencyP50Ms: 12.345,
              latencyDevice: 'raspberry-pi-4',
              latencyEstimated: true,
              top1: 0.885,
              top1Split: 'test',
              top1Images: 200,
            },
          },
        ],
        servedFormat: 'onnx-int8',
        budget: {
          limits: { maxBytes: 415_000 },
          chosen: 'onnx-int8',
          explanation: '',
          formats: [
            {
              format: 'tfjs',
              admitted: false,
              measured: { bytes: 420_000 },
              violations: [
                { limit: 'maxBytes', text: 'maxBytes: 420,000 bytes > 415,000 bytes by 5,000 bytes (1.2%)' },
              ],
            },
            { format: 'onnx', admitted: true, measured: { bytes: 412_345 }, violations: [] },
            { format: 'onnx-int8', admitted: true, measured: { bytes: 104_321 }, violations: [] },
          ],
        },
      },
    });
    const shown = await cli(['--store', join(dir, '.mlops'), 'registry', 'show', 'edge']);
    expect(shown.code).toBe(0);
    const lines = shown.out.split('\n');
    expect(lines).toContain('v1 artifacts:');
    expect(shown.out).toMatch(/^ {2}tfjs +420,000 +- +-$/m);
    expect(lines).toContain('v2 artifacts:');
    expect(shown.out).toMatch(/^ {2}onnx +412,345 +0\.81 ms \(host\) +90\.00% \(test, 200 images\)$/m);
    expect(shown.out).toMatch(
      /^ {2}onnx-int8 +104,321 +12\.3 ms \(raspberry-pi-4, estimate\) +88\.50% \(test, 200 images\) +served$/m,
    );
    expect(shown.out).toContain(
      '  left out by export.budget: tfjs: maxBytes: 420,000 bytes > 415,000 bytes by 5,000 bytes (1.2%)',
    );
    // JSON keeps the whole record for scripts.
    const json = await cli(['--store', join(dir, '.mlops'), '--json', 'registry', 'show', 'edge']);
    const parsed = JSON.parse(json.out) as { versions: { metadata: { servedFormat?: string } }[] };
    expect(parsed.versions.map((v) => v.metadata.servedFormat)).toContain('onnx-int8');
  });
});
