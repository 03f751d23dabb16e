import type { ExportMeasurement } from '../pipeline/export-budget.js';
import type { ModelVersion } from '../services/model-registry.js';
import { table } from './format.js';

/** A recorded verdict of `export.budget`, as far as the listing reads it. */
interface RecordedVerdict {
  format: string;
  admitted: boolean;
  violations: { text: string }[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** What the version's metadata says was measured on `format` (the budget's measurements). */
function measurementOf(version: ModelVersion, format: string): Partial<ExportMeasurement> {
  const exports = Array.isArray(version.metadata.exports) ? version.metadata.exports : [];
  const entry = exports.find((e) => isRecord(e) && e.format === format);
  return isRecord(entry) && isRecord(entry.measured) ? (entry.measured as Partial<ExportMeasurement>) : {};
}

function latencyText(m: Partial<ExportMeasurement>): string {
  const p50 = num(m.latencyP50Ms);
  if (p50 === undefined) return '-';
  const device = typeof m.latencyDevice === 'string' ? m.latencyDevice : 'host';
  return `${p50 < 10 ? p50.toFixed(2) : p50.toFixed(1)} ms (${device}${m.latencyEstimated ? ', estimate' : ''})`;
}

function top1Text(m: Partial<ExportMeasurement>): string {
  const top1 = num(m.top1);
  if (top1 === undefined) return '-';
  const images = num(m.top1Images);
  return `${(top1 * 100).toFixed(2)}% (${m.top1Split ?? 'evaluation'}${images === undefined ? '' : `, ${images} images`})`;
}

/**
 * A version's artifacts for `mlops registry show`: each exported format with its stored size and,
 * when `export.budget` measured it, its p50 latency and top-1; the served format; and the formats
 * the budget left out, with the limit each broke.
 */
export function formatVersionArtifacts(version: ModelVersion): string {
  const exports = Array.isArray(version.metadata.exports) ? version.metadata.exports : [];
  const exported = exports.flatMap((e) => (isRecord(e) && typeof e.format === 'string' ? [e.format] : []));
  const formats = exported.length > 0 ? exported : Object.keys(version.artifacts);
  if (formats.length === 0) return '';
  const served =
    typeof version.metadata.servedFormat === 'string' ? version.metadata.servedFormat : undefined;
  const rows = formats.map((format) => {
    const m = measurementOf(version, format);
    const bytes = num(m.bytes) ?? version.artifacts[format]?.size;
    return [
      `  ${format}`,
      bytes === undefined ? '-' : bytes.toLocaleString('en-US'),
      latencyText(m),
      top1Text(m),
      format === served ? 'served' : '',
    ];
  });
  const budget = isRecord(version.metadata.budget) ? version.metadata.budget : undefined;
  const verdicts = Array.isArray(budget?.formats) ? (budget.formats as unknown[]).filter(isRecord) : [];
  const leftOut = (verdicts as unknown as RecordedVerdict[])
    .filter((v) => v.admitted === false)
    .map(
      (v) =>
        `  left out by export.budget: ${v.format}: ${(Array.isArray(v.violations) ? v.violations : []).map((x) => x.text).join('; ')}`,
    );
  return [
    `v${version.version} artifacts:`,
    table(['  format', 'bytes', 'latency p50', 'top1', ''], rows),
    ...leftOut,
  ].join('\n');
}
