import type { InjectionToken } from 'tsyringe';
import type { StageContext } from '../pipeline/stage-context.js';
import type { ExportedModel } from '../pipeline/stage-outputs.js';

/**
 * Writes the trained model in one format (`tfjs`, `onnx`, ...). Several exporters may be
 * registered; the export stage runs those named in `export.formats`.
 */
export interface Exporter {
  /** Format name matched against `export.formats`. */
  readonly format: string;
  /** Exports `ctx.input('train')`; may return several results (e.g. fp32 and int8). */
  export(ctx: StageContext<'export'>): Promise<ExportedModel[]>;
}

/** DI token under which every exporter is registered (resolve all with `resolveAll`). */
export const Exporter: InjectionToken<Exporter> = Symbol.for('mlops.Exporter');
