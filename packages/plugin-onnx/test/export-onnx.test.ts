import { isMlopsError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { decodeMetadata } from '../src/metadata.js';
import { readMetadata } from '../src/onnx/serialize.js';
import { exportedFixture } from './helpers/exported.js';

describe('exportOnnx', () => {
  it('fails the export when parity fails, with the numbers in the message', async () => {
    // A negative tolerance cannot be met: the failure path, deterministically.
    const error = await exportedFixture({ parityTolerance: -1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMlopsError(error, 'MLOPS_ONNX_ERR_PARITY')).toBe(true);
    expect((error as Error).message).toMatch(
      /parity check failed on 300 validation images: max \|Δp\| .* top-1 agreement 100\.00%/,
    );
  });

  it('leaves out an int8 model that drops more than maxAccuracyDrop, saying why', async () => {
    const { results } = await exportedFixture({ maxAccuracyDrop: -100 });
    expect(results.map((r) => r.format)).toEqual(['onnx']);
    expect(String(results[0]?.details.int8Rejected)).toMatch(/int8 model left out: top-1 on test drops/);
    const meta = decodeMetadata(readMetadata(results[0]?.bytes as Uint8Array), 'fp32');
    expect(meta).toMatchObject({
      precision: 'fp32',
      modelName: 'fashion-mnist',
      modelVersion: 3,
      runId: 'run-test',
      inputShape: [28, 28, 1],
    });
  });
});
