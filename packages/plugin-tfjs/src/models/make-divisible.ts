/**
 * Rounds `value` to a multiple of `divisor`, exactly like timm's `make_divisible`: round to the
 * nearest multiple, never below `minValue`, and bump up one step if rounding lost more than
 * `1 - roundLimit` of the value. Matching timm bit-for-bit keeps our channel counts (and thus
 * parameter counts and weight shapes) identical to the reference models.
 */
export function makeDivisible(value: number, divisor = 8, minValue?: number, roundLimit = 0.9): number {
  const floorMin = minValue ?? divisor;
  let rounded = Math.max(floorMin, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (rounded < roundLimit * value) rounded += divisor;
  return rounded;
}

/**
 * Scales a channel count by a width multiplier, like timm's `round_channels`: a multiplier of
 * exactly 1 leaves channel counts that are already multiples of 8 unchanged.
 */
export function roundChannels(channels: number, multiplier = 1): number {
  return makeDivisible(channels * multiplier);
}
