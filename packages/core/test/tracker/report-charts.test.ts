import { describe, expect, it } from 'vitest';
import { downsample } from '../../src/tracker/report/downsample.js';
import { escapeHtml } from '../../src/tracker/report/html-escape.js';
import { classifyMetricKey, groupMetricCharts } from '../../src/tracker/report/metric-series.js';
import { renderConfusionMatrix } from '../../src/tracker/report/svg-heatmap.js';
import { renderHistogramChart } from '../../src/tracker/report/svg-histogram.js';
import { renderLineChart } from '../../src/tracker/report/svg-line-chart.js';
import { renderRocChart, trapezoidAuc } from '../../src/tracker/report/svg-roc.js';
import { formatTick, niceAxis } from '../../src/tracker/report/svg-scale.js';

describe('niceAxis and formatTick', () => {
  it('picks round ticks covering the data', () => {
    expect(niceAxis(0.173, 0.921).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceAxis(1, 8, { integer: true, maxTicks: 8 }).ticks).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(niceAxis(1, 3, { integer: true }).step).toBe(1);
    expect(niceAxis(5, 5).ticks.length).toBeGreaterThan(1);
  });

  it('labels ticks with matching decimals, or exponents for tiny values', () => {
    const axis = niceAxis(0.173, 0.921);
    expect(axis.ticks.map((t) => formatTick(t, axis))).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    const lr = niceAxis(0, 0.002);
    expect(lr.ticks.map((t) => formatTick(t, lr))).toContain('1e-3');
  });
});

describe('metric grouping', () => {
  it('groups split series by suffix and keeps other keys apart', () => {
    expect(classifyMetricKey('val/loss')).toEqual({ group: 'loss', label: 'val' });
    expect(classifyMetricKey('val_accuracy')).toEqual({ group: 'top1', label: 'val' });
    expect(classifyMetricKey('train/acc')).toEqual({ group: 'top1', label: 'train' });
    expect(classifyMetricKey('learning_rate')).toEqual({ group: 'lr', label: 'learning_rate' });
    expect(classifyMetricKey('perf/epoch_seconds')).toEqual({
      group: 'perf/epoch_seconds',
      label: 'perf/epoch_seconds',
    });
  });

  it('orders loss, accuracy, lr first, train before val, last value per step wins', () => {
    const charts = groupMetricCharts([
      { step: 1, values: { 'val/loss': 2, 'train/loss': 3, zeta: 1, lr: 0.1, 'train/top1': 0.5 } },
      { step: 1, values: { 'val/loss': 1.5 } },
      { step: 2, values: { 'val/loss': 1, 'train/loss': 2, alpha: 3, epoch: 2 } },
    ]);
    expect(charts.map((c) => c.group)).toEqual(['loss', 'top1', 'lr', 'alpha', 'zeta']);
    expect(charts[0]!.series.map((s) => s.label)).toEqual(['train', 'val']);
    expect(charts[0]!.series[1]!.points).toEqual([
      [1, 1.5],
      [2, 1],
    ]);
  });
});

describe('SVG charts', () => {
  it('line chart: axes, legend, and a gap where a value is missing', () => {
    const svg = renderLineChart({
      title: 'Loss',
      xLabel: 'step',
      series: [
        {
          label: 'train',
          points: [
            [1, 3],
            [2, Number.NaN],
            [3, 1],
            [4, 0.5],
          ],
        },
        {
          label: 'val',
          points: [
            [1, 2],
            [4, 1],
          ],
        },
      ],
    });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('>train</text>');
    expect(svg).toContain('>step</text>');
    const trainPath = /<path d="([^"]+)"[^>]*stroke="#0072B2"/.exec(svg)![1]!;
    expect(trainPath.match(/M/g)).toHaveLength(2);
    expect(renderLineChart({ title: 'Empty', series: [] })).toContain('>no data</text>');
  });

  it('confusion matrix: counts where they fit, tooltips everywhere', () => {
    const size = 30;
    const matrix = Array.from({ length: size }, (_, r) =>
      Array.from({ length: size }, (_, c) => (r === c ? 90 : 1)),
    );
    const svg = renderConfusionMatrix({ matrix, labels: [] });
    expect(svg).not.toContain('>90</text>'); // 16 px cells: too small for text
    expect(svg).toContain('<title>true 29, predicted 29: 90 (75.6% of 29)</title>');
  });

  it('ROC: AUC from the points when missing, long labels cut but never the AUC', () => {
    expect(trapezoidAuc({ fpr: [0, 0, 1], tpr: [0, 1, 1] })).toBe(1);
    expect(trapezoidAuc({ fpr: [1, 0], tpr: [1, 0] })).toBe(0.5);
    const svg = renderRocChart({
      curves: [{ label: 'a'.repeat(60), auc: Number.NaN, fpr: [0, 1], tpr: [0, 1] }],
    });
    expect(svg).toContain('… (AUC 0.500)</text>');
    expect(svg).toContain(`<title>${'a'.repeat(60)} (AUC 0.500)</title>`);
  });

  it('histogram: one bar per bin', () => {
    const svg = renderHistogramChart({ title: 'step 1', bins: [1, 4, 2], min: -1, max: 1 });
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg).toContain('>-1</text>');
  });
});

describe('helpers', () => {
  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('downsamples keeping both ends', () => {
    const points = Array.from({ length: 1000 }, (_, i) => [i, i] as const);
    const kept = downsample(points, 10);
    expect(kept).toHaveLength(10);
    expect(kept[0]).toEqual([0, 0]);
    expect(kept[9]).toEqual([999, 999]);
  });
});
