import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRunReport, writeRunReport } from '../../src/tracker/report/render-run-report.js';
import { createSampleRun, SAMPLE_MATRIX } from './fixtures/sample-run.js';

/** The markup of the element with `id` (up to its closing `</figure>`). */
function figure(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  expect(start, `figure #${id}`).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</figure>', start));
}

/** The chart figure of a metric group. */
function metricChart(html: string, group: string): string {
  const start = html.indexOf(`data-metric="${group}"`);
  expect(start, `chart of ${group}`).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</figure>', start));
}

describe('renderRunReport', () => {
  it('lists every skipped file, the ignored count, and why each stage ran', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-report-data-'));
    const skipped = Array.from({ length: 30 }, (_, i) => ({
      path: `/data/train/cat/${i}.png`,
      reason: 'truncated',
    }));
    await writeFile(
      join(dir, 'run.json'),
      JSON.stringify({
        id: '20261126-031500-ab12',
        status: 'succeeded',
        stages: {
          data: { status: 'ran', output: { splits: { train: 70, validation: 10 }, skipped, ignored: 3 } },
          train: {
            status: 'ran',
            reason: ['data version 1a2b3c4d5e6f → 9f8e7d6c5b4a'],
            notes: ['train.batchSize 128 is larger than the training set (70 images): clamped to 70'],
          },
        },
      }),
    );
    const html = await renderRunReport(dir);
    expect(html).toContain('Skipped: 30 unreadable images');
    for (const file of skipped) expect(html).toContain(`<code>${file.path}</code>`);
    expect(html).toContain('Ignored 3 files in class folders that are not images.');
    expect(html).toContain('ran because: data version 1a2b3c4d5e6f → 9f8e7d6c5b4a');
    expect(html).toContain('clamped to 70');
  });

  it('renders header, stages, curves, confusion matrix, ROC, histograms, images and config', async () => {
    const dir = await createSampleRun();
    const html = await renderRunReport(dir);

    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('20261126-031500-ab12');
    expect(html).toContain('<code title="4e1243bd22c66e76c2ba9eddc1f91394e57f9f83">4e1243bd22</code>');
    expect(html).toContain('dirty');
    expect(html).toContain('4m 05s');
    expect(html).toContain('@mlops/plugin-tfjs');
    expect(html).toMatch(/<th scope="row">data<\/th><td><span class="badge info">cached<\/span>/);
    expect(html).toMatch(/<th scope="row">export<\/th><td><span class="badge bad">failed<\/span>/);
    expect(html).toContain('onnx op Foo unsupported');

    const loss = metricChart(html, 'loss');
    expect(loss).toContain('<svg');
    expect(loss).toContain('>train</text>');
    expect(loss).toContain('>val</text>');
    expect(loss).toMatch(/<path d="M[\d.]+ [\d.]+L/);
    expect(metricChart(html, 'top1')).toContain('Accuracy (top-1)');
    expect(metricChart(html, 'lr')).toContain('Learning rate');
    expect(metricChart(html, 'perf/images_per_second')).toContain('<svg');

    expect(html).toContain('Logged summary');
    expect(html).toContain('0.9156');
    expect(html).toContain('Resolved config');
    expect(html).toContain('<span class="k">&quot;batchSize&quot;</span>: <span class="n">64</span>');
    expect(html).toContain('id="histograms"');
    expect(html).toContain('grad/conv1');
    expect(html).toMatch(
      /<img src="data:image\/png;base64,iVBORw0KGgo[^"]+" alt="samples\/train · step 8 · first batch"/,
    );
  });

  it('draws the confusion matrix with each count in its cell', async () => {
    const html = await renderRunReport(await createSampleRun());
    const matrix = figure(html, 'confusion-matrix');
    for (const row of SAMPLE_MATRIX) for (const count of row) expect(matrix).toContain(`>${count}</text>`);
    expect(matrix).toContain('<title>true cat, predicted dog: 2 (3.8% of cat)</title>');
    expect(matrix).toContain('<title>true dog, predicted dog: 45 (93.8% of dog)</title>');
    expect(matrix).toContain('>true class</text>');
    expect(matrix).toContain('>predicted class</text>');
  });

  it('draws one ROC curve per class with its AUC in the legend', async () => {
    const html = await renderRunReport(await createSampleRun());
    const roc = figure(html, 'roc');
    expect(roc).toContain('>cat (AUC 0.973)</text>');
    expect(roc).toContain('>dog (AUC 0.951)</text>');
    expect(roc).toContain('macro AUC 0.972');
    expect(roc.match(/<path d="M/g)).toHaveLength(3);
  });

  it('escapes labels from the data', async () => {
    const html = await renderRunReport(await createSampleRun());
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('loads nothing from the network', async () => {
    const html = await renderRunReport(await createSampleRun());
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toContain('@import');
    expect(html).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`);
    // The only URLs are SVG namespace declarations, which load nothing.
    const urls = html.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('renders an empty or broken run directory without failing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'mlops-empty-run-'));
    expect(await renderRunReport(empty, { run: { id: 'r-1', project: 'p' }, status: 'failed' })).toContain(
      '<h1>r-1</h1><span class="badge bad">failed</span>',
    );

    const broken = await mkdtemp(join(tmpdir(), 'mlops-broken-run-'));
    await writeFile(
      join(broken, 'run.json'),
      JSON.stringify({
        id: 7,
        stages: { train: 'x', evaluate: { output: { confusionMatrix: 'no' } } },
        packages: ['a@1'],
      }),
    );
    await writeFile(
      join(broken, 'metrics.jsonl'),
      '{"step":1,"train/loss":1.5}\n{"step":2,"train/loss":null}\n{"step":3,"train/lo',
    );
    await writeFile(join(broken, 'summary.json'), '{not json');
    const html = await renderRunReport(broken);
    expect(html).toContain('data-metric="loss"');
    expect(html).toContain('a <b>1</b>');
    expect(html).not.toContain('id="confusion-matrix"');
  });

  it('shows a pruned run as stopped by the sweep, with the reason, not as an error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-pruned-run-'));
    const reason =
      "pruned by sweep s1 at epoch 2 (val/top1 0.4 below rung 0's cutoff 0.5: the best 1 of 3 go on)";
    await writeFile(
      join(dir, 'run.json'),
      JSON.stringify({
        id: 'r-pruned',
        status: 'pruned',
        stages: { train: { status: 'failed', error: 'training interrupted after epoch 2' } },
        error: { code: 'MLOPS_ERR_RUN_PRUNED', message: reason, stage: 'train' },
      }),
    );
    const html = await renderRunReport(dir);
    expect(html).toContain('<h1>r-pruned</h1><span class="badge pruned">pruned</span>');
    expect(html).toMatch(/\.badge\.pruned \{[^}]*color: var\(--pruned\)/);
    expect(html).toContain('<h2>Stopped by the sweep</h2>');
    expect(html).toContain(`in stage <strong>train</strong>: ${reason.replace(/'/g, '&#39;')}`);
    expect(html).not.toContain('<section class="error"');
    expect(html).not.toContain('<h2>Error</h2>');
    // The stage it stopped in says pruned, and what it threw is a note, not an error.
    expect(html).toMatch(/<th scope="row">train<\/th><td><span class="badge pruned">pruned<\/span>/);
    expect(html).toContain('<span class="note">training interrupted after epoch 2</span>');
    expect(html).not.toContain('<span class="bad-text">');
  });

  it('shows an interrupted run as resumable, with the command that resumes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-interrupted-run-'));
    await writeFile(
      join(dir, 'run.json'),
      JSON.stringify({
        id: 'r-stopped',
        status: 'interrupted',
        stages: { data: { status: 'ran' }, train: { status: 'failed', error: 'interrupted by SIGINT' } },
        error: { code: 'MLOPS_ERR_RUN_INTERRUPTED', message: 'interrupted by SIGINT', stage: 'train' },
      }),
    );
    const html = await renderRunReport(dir);
    expect(html).toContain('<span class="badge warn">interrupted</span>');
    expect(html).toContain('<h2>Interrupted</h2>');
    expect(html).toContain('<code>mlops run --resume r-stopped</code>');
    expect(html).not.toContain('<h2>Error</h2>');
    expect(html).toMatch(/<th scope="row">train<\/th><td><span class="badge warn">interrupted<\/span>/);
  });

  it("still shows a failed run's error as one, with its stage badge failed", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-failed-run-'));
    await writeFile(
      join(dir, 'run.json'),
      JSON.stringify({
        id: 'r-failed',
        status: 'failed',
        stages: { train: { status: 'failed', error: 'diverged' } },
        error: { message: 'diverged', stage: 'train', hint: 'lower train.lr' },
      }),
    );
    const html = await renderRunReport(dir);
    expect(html).toContain('<section class="error" id="error"><h2>Error</h2>');
    expect(html).toContain('<p class="hint">lower train.lr</p>');
    expect(html).toMatch(/<th scope="row">train<\/th><td><span class="badge bad">failed<\/span>/);
    expect(html).toContain('<span class="bad-text">diverged</span>');
  });

  it('takes the confusion matrix and ROC from logged tables when run.json has none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlops-tables-run-'));
    const { LocalTracker } = await import('../../src/tracker/local-tracker.js');
    const tracker = new LocalTracker({ writeReport: false });
    await tracker.start({ id: 'r', project: 'p', config: {}, dir });
    tracker.logTable('confusion_matrix', {
      classes: ['a', 'b'],
      matrix: [
        [7, 1],
        [2, 9],
      ],
    });
    tracker.logTable('roc', [{ label: 'a', fpr: [0, 0, 1], tpr: [0, 1, 1] }]);
    await tracker.finish('succeeded');
    const html = await renderRunReport(dir);
    expect(figure(html, 'confusion-matrix')).toContain('>9</text>');
    expect(figure(html, 'roc')).toContain('>a (AUC 1.000)</text>');
  });
});

describe('writeRunReport', () => {
  it('writes report.html atomically, leaving no temporary file', async () => {
    const dir = await createSampleRun();
    const path = await writeRunReport(dir);
    expect(path).toBe(join(dir, 'report.html'));
    expect(await readFile(path, 'utf8')).toContain('</html>');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
