import { describe, expect, it } from 'vitest';
import { budgetSection } from '../../src/tracker/report/budget-section.js';
import type { RunRecordView } from '../../src/tracker/report/run-record.js';

const view = (exportOutput: unknown) =>
  ({ stageOutputs: { export: exportOutput } }) as unknown as RunRecordView;

describe('the report’s export budget section', () => {
  it('tabulates each format’s numbers and verdict, escaped, with the explanation', () => {
    const html = budgetSection(
      view({
        exports: [],
        budget: {
          limits: { maxBytes: 300_000 },
          chosen: 'onnx-int8',
          explanation: 'onnx-int8 is served <smallest>',
          formats: [
            {
              format: 'onnx',
              admitted: false,
              measured: {
                bytes: 412_345,
                latencyP50Ms: 0.8,
                latencyDevice: 'host',
                top1: 0.9,
                top1Split: 'test',
              },
              violations: [
                { limit: 'maxBytes', allowed: 300_000, text: 'maxBytes: 412,345 bytes > 300,000 bytes' },
              ],
            },
            {
              format: 'onnx-int8',
              admitted: true,
              measured: { bytes: 104_321, latencyP50Ms: 12.34, latencyDevice: 'raspberry-pi-4', top1: 0.885 },
              violations: [],
            },
          ],
        },
      }),
    );
    expect(html).toContain('<h2>Export budget</h2><p>onnx-int8 is served &lt;smallest&gt;</p>');
    expect(html).toContain(
      '<tr><td><code>onnx</code></td><td>412,345</td><td>0.80 ms</td><td>90.00% (test)</td><td><span class="badge bad">left out</span> maxBytes: 412,345 bytes &gt; 300,000 bytes</td></tr>',
    );
    expect(html).toContain(
      '<td>12.3 ms (raspberry-pi-4, estimate)</td><td>88.50%</td><td><span class="badge ok">served</span></td>',
    );
  });

  it('is empty without a budget', () => {
    expect(budgetSection(view({ exports: [] }))).toBe('');
    expect(budgetSection(view(undefined))).toBe('');
  });
});
