import { type PixelPreprocessing, pixelPreprocessing, type ResizeRecipe } from '@mlops/core';

/**
 * The input resize recipes on 8-bit HWC pixels — `cover` (central square, antialiased bilinear)
 * and timm's eval transform (shorter side, PIL's filter, centre crop) — are core's one
 * implementation (`PixelPreprocessing` in `@mlops/core`), which the web page runs in the browser
 * too; this package exports them under its own names.
 */

/** Crops the central square and resamples it to `size`×`size` (see `PixelPreprocessing.resizeCover`). */
export const resizeCover: PixelPreprocessing['resizeCover'] = pixelPreprocessing.resizeCover;

/** timm's eval transform: resize the shorter side, centre crop (see `PixelPreprocessing.resizeShorterCenterCrop`). */
export const resizeShorterCenterCrop: PixelPreprocessing['resizeShorterCenterCrop'] =
  pixelPreprocessing.resizeShorterCenterCrop;

/** Resizes to the `size`×`size` input by a recipe, `cover` by default (see `PixelPreprocessing.resizeToInput`). */
export const resizeToInput: PixelPreprocessing['resizeToInput'] = pixelPreprocessing.resizeToInput;

/** A short stable name of a recipe, for cache keys. */
export function resizeRecipeKey(recipe: ResizeRecipe): string {
  return recipe.mode === 'cover' ? 'cover' : `timm-${recipe.interpolation}-${recipe.cropPct}`;
}
