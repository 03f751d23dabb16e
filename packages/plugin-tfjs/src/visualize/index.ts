/** Pictures for trackers, drawn without dependencies: sample grids, confusion heatmaps, ROC plots. */
export { renderConfusionHeatmap } from './confusion-heatmap.js';
export { type Rgba, RgbaCanvas, WHITE } from './rgba-canvas.js';
export { type LabeledRocCurve, type RocPlot, renderRocPlot } from './roc-plot.js';
export {
  renderSampleGrid,
  type SampleGrid,
  type SampleGridOptions,
  type SampleImages,
} from './sample-grid.js';
