import { formatDuration, formatMetric, formatTimestamp } from './format.js';
import { escapeHtml } from './html-escape.js';
import { highlightJson } from './json-highlight.js';
import type { RunRecordView } from './run-record.js';

/**
 * HTML of the report's text sections: header, error, stages, summary, config. Every value from
 * the run goes through {@link escapeHtml}.
 */

/** CSS class of a run or stage status badge. */
export function statusClass(status: string | undefined): string {
  switch (status) {
    case 'succeeded':
    case 'ran':
      return 'ok';
    case 'failed':
      return 'bad';
    case 'interrupted':
      return 'warn';
    // Stopped on purpose by a sweep's early stopping: neither a failure nor a full run.
    case 'pruned':
      return 'pruned';
    case 'running':
    case 'cached':
    case 'provided':
      return 'info';
    default:
      return 'muted';
  }
}

/** A status badge. */
export function badge(status: string | undefined): string {
  return `<span class="badge ${statusClass(status)}">${escapeHtml(status ?? 'unknown')}</span>`;
}

/** The header: run identity, status, timing, versions, backend, packages. */
export function headerSection(record: RunRecordView): string {
  const title = record.name ?? record.id ?? 'Run';
  const identity = [
    record.project ? `project <strong>${escapeHtml(record.project)}</strong>` : '',
    record.id ? `run <code>${escapeHtml(record.id)}</code>` : '',
    ...record.tags.map((tag) => `<span class="tag">${escapeHtml(tag)}</span>`),
  ].filter(Boolean);
  const git = record.git;
  const code = git?.sha
    ? `<code title="${escapeHtml(git.sha)}">${escapeHtml(git.sha.slice(0, 10))}</code>${git.dirty ? ' <span class="badge warn">dirty</span>' : git.dirty === false ? ' <span class="badge muted">clean</span>' : ''}`
    : undefined;
  const facts: [string, string | undefined][] = [
    ['Started', record.startedAt === undefined ? undefined : escapeHtml(formatTimestamp(record.startedAt))],
    ['Ended', record.endedAt === undefined ? undefined : escapeHtml(formatTimestamp(record.endedAt))],
    ['Duration', record.durationMs === undefined ? undefined : escapeHtml(formatDuration(record.durationMs))],
    ['Data version', record.dataVersion ? shortHash(record.dataVersion) : undefined],
    ['Code', code],
    ['Backend', record.backend ? `<code>${escapeHtml(record.backend)}</code>` : undefined],
  ];
  const packages = record.packages
    .map(
      ([name, version]) =>
        `<span class="chip">${escapeHtml(name)}${version ? ` <b>${escapeHtml(version)}</b>` : ''}</span>`,
    )
    .join(' ');
  return `<header class="run-header">
<div class="title-row"><h1>${escapeHtml(title)}</h1>${badge(record.status)}</div>
${identity.length > 0 ? `<p class="identity">${identity.join(' · ')}</p>` : ''}
<dl class="facts">${facts.map(([name, value]) => `<div><dt>${name}</dt><dd>${value ?? '<span class="none">–</span>'}</dd></div>`).join('')}</dl>
${packages ? `<p class="packages"><span class="label">Packages</span> ${packages}</p>` : ''}
</header>`;
}

/**
 * Why the run ended early, when it did. A failed run shows its error; a pruned run was stopped on
 * purpose by its sweep (the sweep's reason, and that it is final); an interrupted run can go on
 * (how to resume it). Only a failure is styled as an error.
 */
export function errorSection(record: RunRecordView): string {
  const error = record.error;
  if (!error) return '';
  const where = error.stage ? `in stage <strong>${escapeHtml(error.stage)}</strong>: ` : '';
  if (record.status === 'pruned') {
    return `<section class="ended pruned" id="error"><h2>Stopped by the sweep</h2>
<p>${where}${escapeHtml(error.message)}</p>
<p class="hint">Early stopping ended this trial; its results up to there are kept. A pruned run is final: <code>mlops run --resume</code> passes over it.</p></section>`;
  }
  if (record.status === 'interrupted') {
    const resume = `mlops run --resume${record.id ? ` ${record.id}` : ''}`;
    return `<section class="ended interrupted" id="error"><h2>Interrupted</h2>
<p>${where}${escapeHtml(error.message)}</p>
<p class="hint">The run stopped before it finished; it goes on where it stopped (finished stages and epochs are kept) with <code>${escapeHtml(resume)}</code></p></section>`;
  }
  return `<section class="error" id="error"><h2>Error</h2>
<p>${where}${error.code ? `<code>${escapeHtml(error.code)}</code> ` : ''}${escapeHtml(error.message)}</p>
${error.hint ? `<p class="hint">${escapeHtml(error.hint)}</p>` : ''}</section>`;
}

/** The stage table: status and timing of each stage. */
export function stagesSection(record: RunRecordView): string {
  if (record.stages.length === 0) return '';
  // The stage a pruned or interrupted run stopped in is journalled `failed` (it threw to stop);
  // it shows the run's status instead, and what it threw as a plain note.
  const stoppedIn =
    record.status === 'pruned' || record.status === 'interrupted' ? record.error?.stage : undefined;
  const rows = record.stages.map((stage) => {
    const stopped = stage.name === stoppedIn && stage.status === 'failed';
    const error = stage.error
      ? `<span class="${stopped ? 'note' : 'bad-text'}">${escapeHtml(stage.error)}</span>`
      : '';
    return (
      `<tr><th scope="row">${escapeHtml(stage.name)}</th><td>${badge(stopped ? record.status : stage.status)}</td>` +
      `<td class="num">${stage.durationMs === undefined ? '–' : escapeHtml(formatDuration(stage.durationMs))}</td>` +
      `<td>${stage.cacheKey ? shortHash(stage.cacheKey) : '–'}</td>` +
      `<td>${error}${stageNotes(stage)}</td></tr>`
    );
  });
  return `<section id="stages"><h2>Stages</h2>
<table class="stages"><thead><tr><th>Stage</th><th>Status</th><th class="num">Time</th><th>Cache key</th><th></th></tr></thead>
<tbody>${rows.join('')}</tbody></table></section>`;
}

/** Why a stage ran and what it adjusted, as short lines under its row's last cell. */
function stageNotes(stage: RunRecordView['stages'][number]): string {
  const lines = [
    ...(stage.reason.length > 0 ? [`ran because: ${stage.reason.join('; ')}`] : []),
    ...stage.notes,
  ];
  return lines.map((line) => `<div class="note">${escapeHtml(line)}</div>`).join('');
}

/**
 * The data stage's account of the files: images per split, every unreadable image skipped (with
 * the reason), and how many files were ignored as not images.
 */
export function dataSection(record: RunRecordView): string {
  const data = record.stageOutputs.data;
  if (data === null || typeof data !== 'object') return '';
  const output = data as { splits?: unknown; skipped?: unknown; ignored?: unknown };
  const splits =
    output.splits !== null && typeof output.splits === 'object'
      ? Object.entries(output.splits as Record<string, unknown>).filter(([, n]) => typeof n === 'number')
      : [];
  const skipped = Array.isArray(output.skipped)
    ? output.skipped.filter(
        (s): s is { path: string; reason?: unknown } =>
          s !== null && typeof s === 'object' && typeof (s as { path?: unknown }).path === 'string',
      )
    : [];
  const ignored = typeof output.ignored === 'number' ? output.ignored : 0;
  if (splits.length === 0 && skipped.length === 0 && ignored === 0) return '';
  const counts = splits
    .map(([split, n]) => `${escapeHtml(split)} <b>${escapeHtml(String(n))}</b>`)
    .join(' · ');
  const skippedHtml =
    skipped.length === 0
      ? ''
      : `<h3>Skipped: ${skipped.length} unreadable image${skipped.length === 1 ? '' : 's'}</h3><table class="skipped"><thead><tr><th>File</th><th>Reason</th></tr></thead><tbody>${skipped
          .map(
            (s) =>
              `<tr><td><code>${escapeHtml(s.path)}</code></td><td>${escapeHtml(typeof s.reason === 'string' ? s.reason : '')}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const ignoredHtml =
    ignored > 0
      ? `<p>Ignored ${ignored} file${ignored === 1 ? '' : 's'} in class folders that are not images.</p>`
      : '';
  return `<section id="data"><h2>Data</h2>${counts ? `<p>Images: ${counts}</p>` : ''}${skippedHtml}${ignoredHtml}</section>`;
}

/** A grid of named values (summary metrics, evaluation metrics). */
export function metricsGrid(title: string, values: Record<string, unknown>): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return '';
  const cells = entries.map(
    ([key, value]) =>
      `<div class="metric"><div class="metric-name">${escapeHtml(key)}</div><div class="metric-value">${escapeHtml(displayValue(value))}</div></div>`,
  );
  return `<h3>${escapeHtml(title)}</h3><div class="metrics">${cells.join('')}</div>`;
}

/** A collapsible block of pretty, colored JSON. */
export function jsonDetails(title: string, value: unknown, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${escapeHtml(title)}</summary><pre class="json">${highlightJson(value)}</pre></details>`;
}

/** The first 12 digits of a hash, after its algorithm prefix if any (`sha256:9f86d081884c`). */
function shortHash(hash: string): string {
  const digits = hash.indexOf(':') + 1;
  const short = hash.length > digits + 12 ? hash.slice(0, digits + 12) : hash;
  return `<code title="${escapeHtml(hash)}">${escapeHtml(short)}</code>`;
}

function displayValue(value: unknown): string {
  if (typeof value === 'number') return formatMetric(value);
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
