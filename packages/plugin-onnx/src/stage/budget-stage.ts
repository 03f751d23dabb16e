import {
  type ExportBudgetConfig,
  type ExportBudgetOutcome,
  type ExportOutput,
  registerExportedModel,
  runExporters,
  type StageContext,
} from '@mlops/core';
import { selectBackend } from '@mlops/plugin-tfjs';
import { onnxErrors } from '../errors.js';
import type { SessionThreads } from '../runtime/session.js';
import { decideBudget, describeMeasurement, refusalText, whatToChange } from './budget.js';
import { type LatencyScale, measureExports } from './budget-measure.js';

/** Options of the budgeted export stage. */
export interface BudgetStageOptions {
  /** onnxruntime threads (the serving threads), for latency and accuracy. */
  threads: SessionThreads;
  /** Evaluation images scored per format; 0 = the whole split. */
  accuracyImages: number;
}

/**
 * The export stage under `export.budget`: runs every exporter, measures each format (size, p50
 * latency at batch 1, top-1 on the evaluation split), registers only the formats inside the budget
 * with the smallest one as the version's served format, and records the verdicts in the stage
 * output (run record), the registry version and the tracker (report). When nothing fits it fails
 * with `MLOPS_ONNX_ERR_BUDGET_UNMET`, every number and what to change, after recording the same in
 * the tracker.
 */
export async function exportWithinBudget(
  ctx: StageContext<'export'>,
  budget: ExportBudgetConfig,
  options: BudgetStageOptions,
): Promise<ExportOutput> {
  // The tfjs format is timed on the backend the engine uses.
  await selectBackend(ctx.config.train.backend, (message) => ctx.logger.debug(message));
  const exports = await runExporters(ctx);
  const { formats, scale } = await measureExports(ctx, exports, { budget, ...options });
  const outcome = decideBudget(formats, budget);
  recordBudget(ctx, outcome, scale);
  if (!outcome.chosen) {
    throw onnxErrors.create('MLOPS_ONNX_ERR_BUDGET_UNMET', refusalText(outcome.formats, budget), {
      hint: whatToChange(outcome.formats, budget),
    });
  }
  const admitted = exports.flatMap((exported) => {
    const verdict = outcome.formats.find((f) => f.format === exported.format);
    return verdict?.admitted ? [{ ...exported, measured: verdict.measured }] : [];
  });
  const registered = await registerExportedModel(ctx, admitted, { budget: outcome });
  return { exports: admitted, ...(registered ? { registered } : {}), budget: outcome };
}

/** Logs the verdicts and sends them to the trackers: a summary per format and the whole table. */
function recordBudget(ctx: StageContext<'export'>, outcome: ExportBudgetOutcome, scale: LatencyScale): void {
  if (scale.profile) {
    ctx.logger.info(
      `export budget: latency estimated for ${scale.device} (${scale.profile.derivation}): reference op mix ${scale.deviceReferenceMs?.toFixed(2)} ms there vs ${scale.hostReferenceMs?.toFixed(2)} ms here, factor ${scale.factor.toFixed(2)}`,
    );
  }
  for (const format of outcome.formats) {
    const line = describeMeasurement(format);
    if (format.admitted) ctx.logger.info(`export budget: ${line}: inside`);
    else
      ctx.logger.warn(
        `export budget: ${line}: left out (${format.violations.map((v) => v.text).join('; ')})`,
      );
  }
  if (outcome.chosen) ctx.logger.info(`export budget: ${outcome.explanation}`);
  const summary: Record<string, string | number> = {
    'export/budget/served': outcome.chosen ?? 'none (nothing fits)',
  };
  for (const { format, measured, admitted, violations } of outcome.formats) {
    summary[`export/budget/${format}/bytes`] = measured.bytes;
    if (measured.latencyP50Ms !== undefined)
      summary[`export/budget/${format}/latency_p50_ms`] = Number(measured.latencyP50Ms.toPrecision(4));
    if (measured.top1 !== undefined) summary[`export/budget/${format}/top1`] = measured.top1;
    summary[`export/budget/${format}/verdict`] = admitted
      ? 'inside'
      : `left out: ${violations.map((v) => v.text).join('; ')}`;
  }
  if (scale.profile) summary['export/budget/device_factor'] = Number(scale.factor.toPrecision(4));
  ctx.tracker.logSummary(summary);
  ctx.tracker.logTable?.('export_budget', {
    ...outcome,
    ...(scale.profile
      ? {
          device: {
            ...scale.profile,
            hostReferenceMs: scale.hostReferenceMs ?? null,
            deviceReferenceMs: scale.deviceReferenceMs ?? null,
            factor: scale.factor,
          },
        }
      : {}),
  } as never);
}
