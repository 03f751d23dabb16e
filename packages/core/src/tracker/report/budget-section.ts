import type { BudgetedFormat, ExportBudgetOutcome } from '../../pipeline/export-budget.js';
import { escapeHtml } from './html-escape.js';
import type { RunRecordView } from './run-record.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function cell(value: number | undefined, text: (v: number) => string): string {
  return value === undefined || !Number.isFinite(value) ? '-' : escapeHtml(text(value));
}

function row(format: BudgetedFormat, chosen: string | undefined): string {
  const m = isRecord(format.measured) ? format.measured : { bytes: Number.NaN };
  const device = m.latencyDevice && m.latencyDevice !== 'host' ? ` (${m.latencyDevice}, estimate)` : '';
  const verdict = format.admitted
    ? format.format === chosen
      ? '<span class="badge ok">served</span>'
      : '<span class="badge ok">inside</span>'
    : `<span class="badge bad">left out</span> ${escapeHtml((Array.isArray(format.violations) ? format.violations : []).map((v) => v.text).join('; '))}`;
  return `<tr><td><code>${escapeHtml(String(format.format))}</code></td><td>${cell(m.bytes, (v) => v.toLocaleString('en-US'))}</td><td>${cell(m.latencyP50Ms, (v) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`)}${escapeHtml(m.latencyP50Ms === undefined ? '' : device)}</td><td>${cell(m.top1, (v) => `${(v * 100).toFixed(2)}%`)}${m.top1Split ? ` ${escapeHtml(`(${m.top1Split})`)}` : ''}</td><td>${verdict}</td></tr>`;
}

/**
 * The export budget's decision (`export.budget`): each format's size, p50 latency and top-1, its
 * verdict, and the explanation. Empty when the run had no budget (or its export failed: then the
 * error section gives the numbers).
 */
export function budgetSection(record: RunRecordView): string {
  const output = record.stageOutputs.export;
  const budget =
    isRecord(output) && isRecord(output.budget)
      ? (output.budget as unknown as ExportBudgetOutcome)
      : undefined;
  if (!budget || !Array.isArray(budget.formats)) return '';
  const rows = budget.formats
    .filter(isRecord)
    .map((format) => row(format as unknown as BudgetedFormat, budget.chosen));
  return `<section id="budget"><h2>Export budget</h2><p>${escapeHtml(String(budget.explanation ?? ''))}</p><table class="stages"><thead><tr><th>Format</th><th>Bytes</th><th>Latency p50</th><th>Top-1</th><th>Verdict</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}
