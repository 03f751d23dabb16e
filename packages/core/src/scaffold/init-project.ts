/** `mlops init` without the command line. */
import type { ScaffoldOptions } from './options.js';
import { renderProject } from './render.js';
import { type WriteProjectOptions, type WriteProjectResult, writeProject } from './write-project.js';

/** Renders the project for `options` ({@link renderProject}) and writes it to `dir` ({@link writeProject}). */
export async function initProject(
  dir: string,
  options: ScaffoldOptions,
  writeOptions: WriteProjectOptions = {},
): Promise<WriteProjectResult> {
  return writeProject(dir, renderProject(options), writeOptions);
}
