import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { writeRunReport } from '../../src/tracker/report/render-run-report.js';
import { createSampleRun } from './fixtures/sample-run.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshot is kept for people to look at (override with MLOPS_REPORT_SCREENSHOT). */
const SCREENSHOT =
  process.env.MLOPS_REPORT_SCREENSHOT ?? join(tmpdir(), 'mlops-report-screenshot', 'report.png');

describe.skipIf(!existsSync(CHROMIUM))('report.html in headless Chromium', () => {
  it('renders to a screenshot offline', { timeout: 20_000 }, async () => {
    const dir = await createSampleRun();
    const report = await writeRunReport(dir);
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await promisify(execFile)(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox', // tests may run as root, where Chromium refuses its sandbox
        '--disable-gpu',
        '--hide-scrollbars',
        '--no-first-run',
        `--user-data-dir=${join(dir, '.chromium')}`,
        '--window-size=1280,3400',
        `--screenshot=${SCREENSHOT}`,
        `file://${report}`,
      ],
      { timeout: 15_000 },
    );
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280); // IHDR width
  });
});
