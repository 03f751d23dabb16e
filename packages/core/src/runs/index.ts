// `compareRuns` is also the name of the `mlops runs compare` API function (api/runs.ts), which
// takes run ids; this one compares two loaded records.
export {
  type CompareRunsOptions,
  compareRuns as compareRunRecords,
  type MetricDifference,
  type PropertyDifference,
  type RunComparison,
  type ValueDifference,
} from './compare-runs.js';
export * from './flatten-json.js';
export * from './git-info.js';
export * from './package-versions.js';
export * from './run-id.js';
export * from './run-liveness.js';
export * from './run-record.js';
export * from './run-store.js';
