import type {
  BudgetedFormat,
  BudgetViolation,
  ExportBudgetConfig,
  ExportBudgetOutcome,
  ExportMeasurement,
} from '@mlops/core';

/** One exported format and what was measured on it. */
export interface MeasuredFormat {
  /** The format (registry role), e.g. `onnx-int8`. */
  format: string;
  /** Its measurements. */
  measured: ExportMeasurement;
}

/** `412,345 bytes`. */
export function formatBytes(bytes: number): string {
  return `${Math.round(bytes).toLocaleString('en-US')} bytes`;
}

/** `1.23 ms`. */
export function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

/** `91.75%`. */
export function formatTop1(top1: number): string {
  return `${(top1 * 100).toFixed(2)}%`;
}

function percentOf(by: number, allowed: number): string {
  return allowed > 0 ? ` (${((by / allowed) * 100).toFixed(1)}%)` : '';
}

function where(measured: ExportMeasurement): string {
  const device = measured.latencyDevice ?? 'host';
  return device === 'host' ? 'on this machine' : `estimated for ${device}`;
}

/** The limits of `budget` that `format` breaks, each with the numbers; empty when it fits. */
export function budgetViolations(format: MeasuredFormat, budget: ExportBudgetConfig): BudgetViolation[] {
  const { measured } = format;
  const violations: BudgetViolation[] = [];
  if (budget.maxBytes !== undefined && measured.bytes > budget.maxBytes) {
    const by = measured.bytes - budget.maxBytes;
    violations.push({
      limit: 'maxBytes',
      allowed: budget.maxBytes,
      measured: measured.bytes,
      by,
      text: `maxBytes: ${formatBytes(measured.bytes)} > ${formatBytes(budget.maxBytes)} by ${formatBytes(by)}${percentOf(by, budget.maxBytes)}`,
    });
  }
  if (budget.maxLatencyMs !== undefined) {
    const latency = measured.latencyP50Ms;
    if (latency === undefined) {
      violations.push({
        limit: 'maxLatencyMs',
        allowed: budget.maxLatencyMs,
        text: `maxLatencyMs: latency not measured (${unmeasuredReason(measured, 'latency')})`,
      });
    } else if (latency > budget.maxLatencyMs) {
      const by = latency - budget.maxLatencyMs;
      violations.push({
        limit: 'maxLatencyMs',
        allowed: budget.maxLatencyMs,
        measured: latency,
        by,
        text: `maxLatencyMs: p50 ${formatMs(latency)} ${where(measured)} > ${formatMs(budget.maxLatencyMs)} by ${formatMs(by)}${percentOf(by, budget.maxLatencyMs)}`,
      });
    }
  }
  if (budget.minTop1 !== undefined) {
    const top1 = measured.top1;
    if (top1 === undefined) {
      violations.push({
        limit: 'minTop1',
        allowed: budget.minTop1,
        text: `minTop1: top-1 not measured (${unmeasuredReason(measured, 'top1')})`,
      });
    } else if (top1 < budget.minTop1) {
      const by = budget.minTop1 - top1;
      violations.push({
        limit: 'minTop1',
        allowed: budget.minTop1,
        measured: top1,
        by,
        text: `minTop1: top-1 ${formatTop1(top1)} on ${measured.top1Split ?? 'the evaluation split'} < ${formatTop1(budget.minTop1)} by ${(by * 100).toFixed(2)} points`,
      });
    }
  }
  return violations;
}

function unmeasuredReason(measured: ExportMeasurement, what: 'latency' | 'top1'): string {
  return (
    measured.unmeasured
      ?.find((reason) => reason.startsWith(`${what}:`))
      ?.slice(what.length + 1)
      .trim() ?? 'no measurement'
  );
}

/** One line of a format's numbers: `onnx-int8: 104,321 bytes, p50 0.41 ms on this machine, top-1 85.00% on test`. */
export function describeMeasurement(format: MeasuredFormat): string {
  const { measured } = format;
  const parts = [formatBytes(measured.bytes)];
  if (measured.latencyP50Ms !== undefined)
    parts.push(`p50 ${formatMs(measured.latencyP50Ms)} ${where(measured)}`);
  if (measured.top1 !== undefined)
    parts.push(`top-1 ${formatTop1(measured.top1)} on ${measured.top1Split ?? 'the evaluation split'}`);
  return `${format.format}: ${parts.join(', ')}`;
}

/** The budget's limits in words: `maxBytes 300,000 bytes, maxLatencyMs 5.00 ms (raspberry-pi-4)`. */
export function describeLimits(budget: ExportBudgetConfig): string {
  const parts: string[] = [];
  if (budget.maxBytes !== undefined) parts.push(`maxBytes ${formatBytes(budget.maxBytes)}`);
  if (budget.maxLatencyMs !== undefined)
    parts.push(`maxLatencyMs ${formatMs(budget.maxLatencyMs)}${budget.device ? ` (${budget.device})` : ''}`);
  if (budget.minTop1 !== undefined) parts.push(`minTop1 ${formatTop1(budget.minTop1)}`);
  return parts.join(', ');
}

/**
 * Checks every format against the budget and picks the one to serve: the smallest admitted format
 * (ties: the faster, then the earlier in export order). Pure: the measurements in, the decision and
 * its explanation out.
 */
export function decideBudget(
  formats: readonly MeasuredFormat[],
  budget: ExportBudgetConfig,
): ExportBudgetOutcome {
  const judged: BudgetedFormat[] = formats.map((format) => {
    const violations = budgetViolations(format, budget);
    return {
      format: format.format,
      measured: format.measured,
      violations,
      admitted: violations.length === 0,
    };
  });
  const limits = {
    ...(budget.maxBytes !== undefined ? { maxBytes: budget.maxBytes } : {}),
    ...(budget.maxLatencyMs !== undefined ? { maxLatencyMs: budget.maxLatencyMs } : {}),
    ...(budget.minTop1 !== undefined ? { minTop1: budget.minTop1 } : {}),
    ...(budget.device !== undefined ? { device: budget.device } : {}),
  };
  const admitted = judged
    .map((format, order) => ({ format, order }))
    .filter(({ format }) => format.admitted)
    .sort(
      (a, b) =>
        a.format.measured.bytes - b.format.measured.bytes ||
        (a.format.measured.latencyP50Ms ?? Number.POSITIVE_INFINITY) -
          (b.format.measured.latencyP50Ms ?? Number.POSITIVE_INFINITY) ||
        a.order - b.order,
    )
    .map(({ format }) => format);
  const chosen = admitted[0];
  const refused = judged.filter((format) => !format.admitted);
  if (!chosen) {
    return {
      limits,
      formats: judged,
      explanation: `${refusalText(judged, budget)} ${whatToChange(judged, budget)}`,
    };
  }
  const others = admitted.slice(1).map((format) => format.format);
  return {
    limits,
    formats: judged,
    chosen: chosen.format,
    explanation: [
      `${chosen.format} is served: the smallest format inside export.budget (${describeLimits(budget)}); ${describeMeasurement(chosen)}.`,
      others.length > 0 ? `Also registered: ${others.join(', ')}.` : '',
      refused.length > 0 ? `Not registered: ${refused.map(verdictText).join('; ')}.` : '',
    ]
      .filter((part) => part !== '')
      .join(' '),
  };
}

function verdictText(format: BudgetedFormat): string {
  return `${format.format} (${format.violations.map((v) => v.text).join('; ')})`;
}

/** Why nothing fits, with each format's numbers: the message of a refused export. */
export function refusalText(formats: readonly BudgetedFormat[], budget: ExportBudgetConfig): string {
  if (formats.length === 0)
    return `no format was exported to check against export.budget (${describeLimits(budget)}).`;
  return `no exported format fits export.budget (${describeLimits(budget)}): ${formats.map(verdictText).join('; ')}.`;
}

/**
 * What to change when nothing fits: the limits the closest format (the smallest total relative
 * excess) would need, and the model-side levers.
 */
export function whatToChange(formats: readonly BudgetedFormat[], budget: ExportBudgetConfig): string {
  const excess = (format: BudgetedFormat) =>
    format.violations.reduce(
      (sum, v) => sum + (v.by === undefined ? Number.POSITIVE_INFINITY : v.by / Math.max(v.allowed, 1e-9)),
      0,
    );
  const closest = [...formats].sort((a, b) => excess(a) - excess(b))[0];
  if (!closest) return 'No format was exported: check export.formats.';
  const changes = closest.violations.map((v) => {
    if (v.measured === undefined)
      return `remove export.budget.${v.limit} (it cannot be measured for ${closest.format})`;
    if (v.limit === 'maxBytes') return `raise export.budget.maxBytes to ${Math.ceil(v.measured)}`;
    if (v.limit === 'maxLatencyMs')
      return `raise export.budget.maxLatencyMs to ${(Math.ceil(v.measured * 100) / 100).toFixed(2)}`;
    return `lower export.budget.minTop1 to ${(Math.floor(v.measured * 10_000) / 10_000).toFixed(4)}`;
  });
  const levers: string[] = [];
  const broken = new Set(formats.flatMap((format) => format.violations.map((v) => v.limit)));
  if (
    (broken.has('maxBytes') || broken.has('maxLatencyMs')) &&
    !formats.some((f) => f.format === 'onnx-int8')
  )
    levers.push("export.quantize: 'int8' (about 4× smaller)");
  if (broken.has('maxBytes') || broken.has('maxLatencyMs'))
    levers.push('a smaller model (model.widthMultiplier, a smaller architecture or model.inputSize)');
  if (broken.has('minTop1'))
    levers.push('more training (train.epochs) or a pretrained start (model.pretrained)');
  if (budget.device && broken.has('maxLatencyMs'))
    levers.push(`a faster device than ${budget.device} (the estimate scales with export.budget.device)`);
  return `Closest: ${closest.format}; to register it, ${changes.join(' and ')}${levers.length > 0 ? `. Or try ${levers.join('; ')}` : ''}.`;
}
