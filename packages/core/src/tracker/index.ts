export { CompositeTracker } from './composite-tracker.js';
export type { HistogramSummary } from './histogram-bins.js';
export { DEFAULT_HISTOGRAM_BINS, summarizeHistogram } from './histogram-bins.js';
export type { LocalTrackerOptions } from './local-tracker.js';
export { LocalTracker } from './local-tracker.js';
export * from './report/index.js';
export type { HistogramLine, MediaIndexEntry } from './run-files.js';
export { RUN_FILES, safeFileName } from './run-files.js';
