/** Renders a new project: one function behind both `mlops init` and `npm create mlops`. */
import { resolveScaffoldOptions, type ScaffoldOptions } from './options.js';
import { renderConfigFile, SKELETON_CLASSES, SKELETON_SPLITS } from './templates/config-file.js';
import { renderGithubWorkflows } from './templates/github-workflows.js';
import {
  renderGitignore,
  renderNpmrc,
  renderTsconfig,
  scaffoldPackageJson,
} from './templates/project-files.js';
import { renderDataReadme, renderReadme } from './templates/readme-files.js';

/** One file of a rendered project. */
export interface ScaffoldFile {
  /** Path relative to the project folder, `/`-separated. */
  path: string;
  /** Its content. */
  content: string;
}

/**
 * Every file of a new project for `options` (checked first, see {@link resolveScaffoldOptions}),
 * sorted by path. Pure: nothing is written.
 */
export function renderProject(options: ScaffoldOptions): ScaffoldFile[] {
  const resolved = resolveScaffoldOptions(options);
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(scaffoldPackageJson(resolved), null, 2)}\n`,
    'mlops.config.ts': renderConfigFile(resolved),
    'tsconfig.json': renderTsconfig(),
    '.gitignore': renderGitignore(resolved),
    '.npmrc': renderNpmrc(),
    'README.md': renderReadme(resolved),
    ...renderGithubWorkflows(resolved),
  };
  if (resolved.template === 'imagefolder') {
    files['data/README.md'] = renderDataReadme();
    // Empty class folders for the user to fill; git keeps a folder only with a file in it.
    for (const split of SKELETON_SPLITS) {
      for (const label of SKELETON_CLASSES) files[`data/${split}/${label}/.gitkeep`] = '';
    }
  }
  return Object.entries(files)
    .map(([path, content]) => ({ path, content }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
