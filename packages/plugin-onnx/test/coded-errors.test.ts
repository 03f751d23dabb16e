import { type ArtifactStore, isMlopsError, type ModelVersion } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { OnnxRuntime } from '../src/runtime/onnx-runtime.js';

describe('plugin-onnx codes its own failures', () => {
  it('serving a version without an ONNX artifact is MLOPS_ONNX_ERR_NO_ARTIFACT with what to export', async () => {
    // The artifact is looked up before the store is read.
    const runtime = new OnnxRuntime({ store: {} as ArtifactStore });
    const version: ModelVersion = {
      model: 'fashion-mnist',
      version: 3,
      artifacts: {},
      metrics: {},
      lineage: {},
      metadata: {},
      createdAt: '2026-11-26T06:00:00Z',
      aliases: [],
    };
    expect(runtime.supports(version)).toBe(false);
    const error = await runtime.load(version).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMlopsError(error, 'MLOPS_ONNX_ERR_NO_ARTIFACT')).toBe(true);
    expect((error as { hint?: string }).hint).toMatch(/export\.formats/);
  });
});
