/**
 * An actionlint-style check of GitHub Actions workflow files, for the workflows `mlops init`
 * writes: the structure GitHub requires (jobs with `runs-on` and steps, a step is `uses` or
 * `run`), pinned actions, known keys, expressions that reference only contexts and functions
 * GitHub provides, no expressions spliced into shell scripts, and `id-token: write` where an
 * action needs it. Returns problems as text, so a test shows all of them at once.
 */
import { parse } from 'yaml';

/** Contexts a workflow's expressions may read (those available in job and step fields). */
export const KNOWN_CONTEXTS = [
  'github',
  'secrets',
  'env',
  'matrix',
  'steps',
  'needs',
  'inputs',
  'vars',
] as const;

/** Functions of GitHub's expression language. */
const KNOWN_FUNCTIONS = new Set([
  'contains',
  'startsWith',
  'endsWith',
  'format',
  'join',
  'toJSON',
  'fromJSON',
  'hashFiles',
  'success',
  'always',
  'cancelled',
  'failure',
]);

const WORKFLOW_KEYS = new Set([
  'name',
  'run-name',
  'on',
  'permissions',
  'env',
  'defaults',
  'concurrency',
  'jobs',
]);
const JOB_KEYS = new Set([
  'name',
  'needs',
  'permissions',
  'runs-on',
  'environment',
  'concurrency',
  'outputs',
  'env',
  'defaults',
  'if',
  'steps',
  'timeout-minutes',
  'strategy',
  'continue-on-error',
  'container',
  'services',
]);
const STEP_KEYS = new Set([
  'id',
  'if',
  'name',
  'uses',
  'run',
  'working-directory',
  'shell',
  'with',
  'env',
  'continue-on-error',
  'timeout-minutes',
]);
const EVENTS = new Set(['push', 'pull_request', 'workflow_dispatch', 'schedule', 'release', 'workflow_run']);
/** `owner/repo[/path]@ref`, the ref a version tag (`v4`, `v4.1.2`) or a full commit SHA. */
const PINNED_USES = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/;
/** Actions that need an OIDC token (`permissions: id-token: write`). */
const NEEDS_ID_TOKEN = ['google-github-actions/auth'];

/** A parsed workflow: what the tests read beyond the problems. */
export interface LintedWorkflow {
  /** The parsed document. */
  doc: Record<string, unknown>;
  /** Event names under `on`. */
  triggers: string[];
  /** Every `secrets.<name>` read. */
  secrets: Set<string>;
  /** Every `vars.<name>` read. */
  vars: Set<string>;
  /** Everything wrong, one line each. */
  problems: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `${{ … }}` expressions in a string. */
function expressionsIn(text: string): string[] {
  return [...text.matchAll(/\$\{\{(.*?)\}\}/gs)].map((m) => (m[1] as string).trim());
}

/**
 * The problems of one expression: unknown contexts or functions, unbalanced quotes. Also collects
 * the `secrets.X` and `vars.X` it reads.
 */
function lintExpression(expression: string, where: string, found: LintedWorkflow): string[] {
  const problems: string[] = [];
  if ((expression.match(/'/g) ?? []).length % 2 !== 0)
    problems.push(`${where}: unbalanced quotes in "${expression}"`);
  // String literals cannot name contexts: blank them out ('' escapes a quote inside one).
  const code = expression.replace(/'(?:[^']|'')*'/g, "''");
  for (const match of code.matchAll(/(?<![.\w-])([A-Za-z_][\w-]*)(\s*\()?((?:\.[\w-]+|\[[^\]]*\])*)/g)) {
    const [, name, call, path] = match as unknown as [string, string, string | undefined, string];
    if (['true', 'false', 'null'].includes(name) || /^\d/.test(name)) continue;
    if (call) {
      if (!KNOWN_FUNCTIONS.has(name))
        problems.push(`${where}: unknown function ${name}() in "${expression}"`);
      continue;
    }
    if (!(KNOWN_CONTEXTS as readonly string[]).includes(name)) {
      problems.push(`${where}: unknown context "${name}" in "${expression}"`);
      continue;
    }
    const key = /^\.([\w-]+)/.exec(path)?.[1];
    if (name === 'secrets' && key) found.secrets.add(key);
    if (name === 'vars' && key) found.vars.add(key);
    if ((name === 'secrets' || name === 'vars') && !key) problems.push(`${where}: ${name} without a name`);
  }
  return problems;
}

/** Every string in `value`, with a path naming where it is. */
function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`);
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}.${k}`);
}

/** Parses and checks a workflow file's text. */
export function lintWorkflow(text: string, file: string): LintedWorkflow {
  const found: LintedWorkflow = { doc: {}, triggers: [], secrets: new Set(), vars: new Set(), problems: [] };
  const problems = found.problems;
  let doc: unknown;
  try {
    doc = parse(text, { strict: true, uniqueKeys: true });
  } catch (error) {
    problems.push(`${file}: not valid YAML: ${(error as Error).message}`);
    return found;
  }
  if (!isRecord(doc)) {
    problems.push(`${file}: not a mapping`);
    return found;
  }
  found.doc = doc;
  for (const key of Object.keys(doc))
    if (!WORKFLOW_KEYS.has(key)) problems.push(`${file}: unknown key "${key}"`);
  if (typeof doc.name !== 'string') problems.push(`${file}: no name`);
  const on = doc.on;
  found.triggers =
    typeof on === 'string' ? [on] : Array.isArray(on) ? on.map(String) : isRecord(on) ? Object.keys(on) : [];
  if (found.triggers.length === 0) problems.push(`${file}: no "on" triggers`);
  for (const event of found.triggers)
    if (!EVENTS.has(event)) problems.push(`${file}: unknown event "${event}"`);
  if (!isRecord(doc.jobs) || Object.keys(doc.jobs).length === 0) {
    problems.push(`${file}: no jobs`);
    return found;
  }
  const jobIds = Object.keys(doc.jobs);
  for (const [id, job] of Object.entries(doc.jobs)) {
    const at = `${file}: jobs.${id}`;
    if (!/^[A-Za-z_][\w-]*$/.test(id)) problems.push(`${at}: invalid job id`);
    if (!isRecord(job)) {
      problems.push(`${at}: not a mapping`);
      continue;
    }
    for (const key of Object.keys(job)) if (!JOB_KEYS.has(key)) problems.push(`${at}: unknown key "${key}"`);
    if (typeof job['runs-on'] !== 'string' || job['runs-on'] === '') problems.push(`${at}: no runs-on`);
    const needs = job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
    for (const need of needs)
      if (!jobIds.includes(String(need))) problems.push(`${at}: needs unknown job "${need}"`);
    // hashFiles reads the workspace, which is empty before the job's checkout step.
    if (typeof job.if === 'string' && job.if.includes('hashFiles('))
      problems.push(`${at}: hashFiles in a job's if`);
    const steps = job.steps;
    if (!Array.isArray(steps) || steps.length === 0) {
      problems.push(`${at}: no steps`);
      continue;
    }
    const permissions = isRecord(job.permissions)
      ? job.permissions
      : isRecord(doc.permissions)
        ? doc.permissions
        : {};
    for (const [i, step] of steps.entries()) {
      const where = `${at}.steps[${i}]`;
      if (!isRecord(step)) {
        problems.push(`${where}: not a mapping`);
        continue;
      }
      for (const key of Object.keys(step))
        if (!STEP_KEYS.has(key)) problems.push(`${where}: unknown key "${key}"`);
      const hasUses = typeof step.uses === 'string';
      const hasRun = typeof step.run === 'string';
      if (hasUses === hasRun) problems.push(`${where}: needs exactly one of uses and run`);
      if (hasUses) {
        const uses = step.uses as string;
        if (!PINNED_USES.test(uses))
          problems.push(`${where}: "${uses}" is not pinned to a version tag or commit`);
        const action = uses.split('@')[0] as string;
        if (NEEDS_ID_TOKEN.includes(action) && permissions['id-token'] !== 'write')
          problems.push(`${where}: ${action} needs permissions id-token: write`);
      }
      if (step.with !== undefined && !hasUses) problems.push(`${where}: "with" without "uses"`);
      // Expressions in a script are spliced into the shell text before it runs (script injection):
      // values reach scripts through env instead.
      if (hasRun && (step.run as string).includes('${{')) problems.push(`${where}: an expression inside run`);
    }
  }
  for (const [path, value] of strings(doc, file)) {
    const bareIf = /\.if$/.test(path) && !value.includes('${{');
    for (const expression of bareIf ? [value] : expressionsIn(value))
      problems.push(...lintExpression(expression, path, found));
    if (value.includes('${{') && expressionsIn(value).length === 0) problems.push(`${path}: unclosed \${{`);
  }
  return found;
}
