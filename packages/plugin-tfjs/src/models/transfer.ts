import type { LayersModel } from '@tensorflow/tfjs-layers';

/** Outcome of `transferWeights`, by target layer name (only layers that own weights are listed). */
export interface TransferReport {
  /** Layers whose weights were copied from the same-named source layer. */
  copied: string[];
  /**
   * Layers present in the source whose weight shapes (or layer type) differ — typically the
   * classifier after the class count changed. They keep their fresh initialisation.
   */
  reinitialized: string[];
  /** Layers with no same-named layer in the source; they keep their fresh initialisation. */
  skipped: string[];
}

type Layer = LayersModel['layers'][number];

/** Options of {@link transferWeights}. */
export interface TransferOptions {
  /** Layers to leave at their fresh initialisation even when the source has them (a classifier for other classes). */
  exclude?: readonly string[];
}

function sameShapes(target: Layer, source: Layer): boolean {
  if (target.getClassName() !== source.getClassName()) return false;
  const t = target.weights;
  const s = source.weights;
  return (
    t.length === s.length &&
    t.every((w, i) => {
      const other = s[i]!;
      return (
        w.dtype === other.dtype &&
        w.shape.length === other.shape.length &&
        w.shape.every((d, j) => d === other.shape[j])
      );
    })
  );
}

/**
 * Copies weights from `source` into `target` layer by layer, matched by layer name, wherever the
 * layer type and every weight shape agree (BatchNorm moving statistics included). Everything else
 * keeps its fresh initialisation and is reported — this is how fine-tuning adds classes: build
 * the new model with the new class count, transfer, and only the head starts from scratch.
 */
export function transferWeights(
  target: LayersModel,
  source: LayersModel,
  options: TransferOptions = {},
): TransferReport {
  const sourceByName = new Map(source.layers.map((layer) => [layer.name, layer]));
  const exclude = new Set(options.exclude ?? []);
  const report: TransferReport = { copied: [], reinitialized: [], skipped: [] };
  for (const layer of target.layers) {
    if (layer.weights.length === 0) continue;
    const from = sourceByName.get(layer.name);
    if (exclude.has(layer.name)) {
      report.reinitialized.push(layer.name);
    } else if (!from) {
      report.skipped.push(layer.name);
    } else if (!sameShapes(layer, from)) {
      report.reinitialized.push(layer.name);
    } else {
      // getWeights() returns the source variables' current values; setWeights assigns copies
      // into the target's own variables, so later training of either model is independent.
      layer.setWeights(from.getWeights());
      report.copied.push(layer.name);
    }
  }
  return report;
}
