import type { ExportedModel, Exporter, StageContext } from '@mlops/core';
import { ModelRegistry, preprocessingOf } from '@mlops/core';
import { loadModel, selectBackend } from '@mlops/plugin-tfjs';
import { type ExportedOnnx, exportOnnx } from './export-onnx.js';
import { type OnnxExporterOptions, resolveExporterOptions } from './exporter-options.js';
import { firstPresentSplit, loadNormalizedSample, syntheticSample } from './samples.js';

/** File names of the artifacts in the store (the registry roles are the formats). */
const FILE_NAMES: Record<ExportedOnnx['format'], string> = {
  onnx: 'model.onnx',
  'onnx-int8': 'model.int8.onnx',
};

/** Registry version the export will be registered as: one past the newest (1 for a new model). */
async function nextRegistryVersion(ctx: StageContext<'export'>): Promise<number> {
  const registry = ctx.container.resolve(ModelRegistry);
  const summary = (await registry.listModels()).find((m) => m.name === ctx.config.registry.model);
  return (summary?.latest ?? 0) + 1;
}

/**
 * The `onnx` exporter: converts the trained tfjs model to ONNX (no Python), checks parity with
 * tfjs on validation images, and with `export.quantize: 'int8'` adds a static-QDQ int8 model
 * calibrated on training images. Writes the roles `onnx` and `onnx-int8`; the measurements go into
 * each export's details (run record, registry metadata) and the tracker's metrics (report).
 */
export class OnnxExporter implements Exporter {
  /** Matched against `export.formats`. */
  readonly format = 'onnx';
  private readonly options: ReturnType<typeof resolveExporterOptions>;

  constructor(options: OnnxExporterOptions = {}) {
    this.options = resolveExporterOptions(options);
  }

  async export(ctx: StageContext<'export'>): Promise<ExportedModel[]> {
    const { config } = ctx;
    const { options } = this;
    const data = ctx.input('data');
    const quantize = (options.quantize ?? config.export.quantize) === 'int8';
    await selectBackend(config.train.backend, (message) => ctx.logger.debug(message));
    const model = await loadModel(await ctx.store.localPath(ctx.input('train').model));
    try {
      const { validation, train } = config.data.splits;
      const paritySplit = firstPresentSplit(data, [validation, config.evaluate.split, train]);
      // A checkpoint registered without data (mlops registry import) is checked on noise images.
      const parity = paritySplit
        ? await loadNormalizedSample(ctx, data, paritySplit, options.parityImages)
        : syntheticSample(config, Math.min(options.parityImages || 64, 64));
      const heldOutSplit = firstPresentSplit(data, [config.evaluate.split, validation]) ?? validation;
      if (quantize && !firstPresentSplit(data, [train])) {
        ctx.logger.warn(
          'int8 quantization needs training images to calibrate on; this export has none, so only fp32 ONNX is written',
        );
      }
      const canQuantize = quantize && firstPresentSplit(data, [train]) !== undefined;
      const results = await exportOnnx({
        model,
        metadata: {
          labels: data.classes,
          preprocessing: { ...preprocessingOf(config), layout: 'NHWC' },
          modelName: config.registry.model,
          modelVersion: await nextRegistryVersion(ctx),
          runId: ctx.run.id,
          architecture: ctx.input('model').architecture,
        },
        parity,
        ...(canQuantize
          ? {
              calibration: await loadNormalizedSample(ctx, data, train, options.calibrationImages),
              heldOut: await loadNormalizedSample(ctx, data, heldOutSplit, options.accuracyImages),
            }
          : {}),
        options,
        quantize: canQuantize,
        warn: (message) => ctx.logger.warn(message),
      });
      const exported: ExportedModel[] = [];
      for (const result of results) {
        const artifact = await ctx.store.putBytes(result.bytes, {
          name: FILE_NAMES[result.format],
          mediaType: 'application/onnx',
        });
        await ctx.artifact({ ref: artifact, stage: 'export', meta: { format: result.format } });
        exported.push({
          format: result.format,
          artifact,
          details: { file: FILE_NAMES[result.format], ...result.details },
        });
      }
      this.report(ctx, results);
      return exported;
    } finally {
      model.dispose();
    }
  }

  /** Logs the measurements and sends them to the trackers (metrics.jsonl and the report). */
  private report(ctx: StageContext<'export'>, results: ExportedOnnx[]): void {
    const fp32 = results.find((r) => r.format === 'onnx')?.details ?? {};
    const int8 = results.find((r) => r.format === 'onnx-int8')?.details;
    const metrics: Record<string, number> = {
      'export/onnx_parity_max_abs_diff': Number(fp32.parityMaxAbsDiff),
      'export/onnx_parity_top1_agreement': Number(fp32.parityTop1Agreement),
      'export/onnx_bytes': Number(fp32.bytes),
    };
    ctx.logger.info(
      `onnx: ${fp32.bytes} bytes, parity on ${fp32.parityImages} ${fp32.paritySplit} images: max |Δp| ${Number(fp32.parityMaxAbsDiff).toExponential(2)}, top-1 agreement ${(Number(fp32.parityTop1Agreement) * 100).toFixed(2)}%`,
    );
    if (int8) {
      Object.assign(metrics, {
        'export/onnx_int8_bytes': Number(int8.bytes),
        'export/onnx_int8_size_ratio': Number(int8.sizeRatio),
        'export/onnx_fp32_top1': Number(int8.fp32Top1),
        'export/onnx_int8_top1': Number(int8.int8Top1),
        'export/onnx_int8_top1_drop_points': Number(int8.top1DropPoints),
      });
      ctx.logger.info(
        `onnx-int8: ${int8.bytes} bytes (${(Number(int8.sizeRatio) * 100).toFixed(1)}% of fp32), ${int8.accuracySplit} top-1 ${(Number(int8.fp32Top1) * 100).toFixed(2)}% → ${(Number(int8.int8Top1) * 100).toFixed(2)}% (${Number(int8.top1DropPoints).toFixed(2)} points)`,
      );
    }
    ctx.tracker.logMetrics(metrics, ctx.input('train').epochs);
  }
}
