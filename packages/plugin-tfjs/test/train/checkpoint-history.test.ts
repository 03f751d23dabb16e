/**
 * `checkpointHistory` keeps the best N epoch checkpoints by the eval metric, as timm's
 * `CheckpointSaver` (`checkpoint_hist`), not the last N.
 */
import { describe, expect, it } from 'vitest';
import { bestEpochCheckpoints } from '../../src/train/trainer.js';

/** Replays epochs with the given metric values through the rule; returns the kept epochs. */
function replay(values: number[], limit: number, mode: 'max' | 'min'): { kept: number[]; saved: number[] } {
  let kept: number[] = [];
  const saved: number[] = [];
  values.forEach((_, i) => {
    const epoch = i + 1;
    const step = bestEpochCheckpoints(kept, epoch, (e) => values[e - 1], limit, mode);
    if (step.save) saved.push(epoch);
    for (const e of step.pruned) expect(kept.includes(e) || e === epoch).toBe(true);
    kept = step.keep;
  });
  return { kept, saved };
}

describe('bestEpochCheckpoints', () => {
  it('keeps the best N by a maximized metric, in epoch order', () => {
    const { kept, saved } = replay([0.5, 0.9, 0.6, 0.8, 0.55, 0.95], 3, 'max');
    expect(kept).toEqual([2, 4, 6]);
    // Epoch 5 (0.55) is worse than the worst kept then (epoch 3, 0.6): not even saved.
    expect(saved).toEqual([1, 2, 3, 4, 6]);
  });

  it('keeps the lowest values of a minimized metric', () => {
    expect(replay([3, 1, 2, 5, 0.5], 2, 'min').kept).toEqual([2, 5]);
  });

  it('keeps the earlier epoch on ties and does not save a tie with the worst', () => {
    const { kept, saved } = replay([0.5, 0.5, 0.5], 2, 'max');
    expect(kept).toEqual([1, 2]);
    expect(saved).toEqual([1, 2]);
  });

  it('keeps nothing with a limit of 0 and never keeps a non-finite metric over a finite one', () => {
    expect(bestEpochCheckpoints([1, 2], 3, () => 1, 0, 'max')).toEqual({
      save: false,
      keep: [],
      pruned: [1, 2],
    });
    expect(replay([0.5, Number.NaN, 0.6], 2, 'max').kept).toEqual([1, 3]);
  });
});
