/**
 * Error codes as catalogues, in the style of Fastify's `lib/errors.js`: every code is declared once,
 * with what it means (and, for the server, its HTTP status); call sites only pick a code and write
 * the message for the case at hand. Scripts and tests match on the code, people read the message and
 * the hint. `docs/errors.md` is generated from the catalogues of all packages.
 */

/** One declared error code: what it means and what a user usually does about it. */
export interface ErrorSpec {
  /** What the code means, in one sentence (shown in `docs/errors.md`). */
  readonly meaning: string;
  /** The usual fix: documented, and used by {@link ErrorCatalogue.create} when a call site gives no hint. */
  readonly hint?: string;
  /** HTTP status, for codes a server answers with. */
  readonly status?: number;
}

/**
 * A code a plugin declares in its own catalogue: `MLOPS_<PACKAGE>_ERR_<WHAT>` (for example
 * `MLOPS_TFJS_ERR_UNKNOWN_ARCHITECTURE`), so the code alone says which package raised it.
 */
export type PluginErrorCode = `MLOPS_${string}_ERR_${string}`;

/** A package's declared error codes. */
export interface ErrorCatalogue<Code extends string> {
  /** The npm package that declares (and throws) these codes. */
  readonly packageName: string;
  /** Every code with its meaning, in declaration order. */
  readonly entries: { readonly [C in Code]: ErrorSpec };
  /** The codes, in declaration order. */
  readonly codes: readonly Code[];
  /** True when `code` is declared here. */
  has(code: string): code is Code;
  /**
   * A coded {@link MlopsError} for `code`: `message` says what happened in this case; the hint
   * defaults to the catalogue's.
   */
  create(
    code: Code & (MlopsErrorCode | PluginErrorCode),
    message: string,
    options?: MlopsErrorOptions,
  ): MlopsError;
}

/**
 * Declares a package's error codes once. Each code is written once, here; call sites refer to it
 * by name (`catalogue.create('MLOPS_TFJS_ERR_…', message, { hint })` or, for core's codes,
 * `new MlopsError('MLOPS_ERR_…', …)`).
 */
export function defineErrorCatalogue<const Entries extends Record<string, ErrorSpec>>(
  packageName: string,
  entries: Entries,
): ErrorCatalogue<Extract<keyof Entries, string>> {
  type Code = Extract<keyof Entries, string>;
  const codes = Object.keys(entries) as Code[];
  for (const code of codes) {
    if (!/^MLOPS_[A-Z0-9_]+$/.test(code))
      throw new Error(`${packageName}: error code ${code} is not MLOPS_*`);
  }
  return Object.freeze({
    packageName,
    entries: Object.freeze({ ...entries }) as { readonly [C in Code]: ErrorSpec },
    codes: Object.freeze(codes),
    has: (code: string): code is Code => Object.hasOwn(entries, code),
    create(
      code: Code & (MlopsErrorCode | PluginErrorCode),
      message: string,
      options: MlopsErrorOptions = {},
    ) {
      const hint = options.hint ?? entries[code]?.hint;
      return new MlopsError(code, message, { ...options, ...(hint === undefined ? {} : { hint }) });
    },
  });
}

/** The codes `@mlops/core` declares; plugins use them too where the meaning is the same. */
export const coreErrors = defineErrorCatalogue('@mlops/core', {
  MLOPS_ERR_CONFIG_NOT_FOUND: {
    meaning: 'No `mlops.config.*` (or the file given with `--config`) was found.',
    hint: 'Create one with `mlops init`, or pass --config <file>.',
  },
  MLOPS_ERR_CONFIG_INVALID: {
    meaning:
      'The configuration has an unknown key, a value of the wrong type, or values that do not go together.',
  },
  MLOPS_ERR_CONFIG_LOAD: {
    meaning: 'The configuration file could not be read or evaluated (a syntax error, a throwing import).',
  },
  MLOPS_ERR_PLUGIN_DUPLICATE: { meaning: 'Two plugins with the same name were registered.' },
  MLOPS_ERR_PLUGIN_MISSING_DEPENDENCY: {
    meaning: 'A plugin needs another plugin that is not in the configuration.',
    hint: 'Add the named plugin to `plugins` in the configuration.',
  },
  MLOPS_ERR_PLUGIN_CYCLE: {
    meaning: 'Plugins depend on each other in a cycle, so no order can apply them.',
    hint: 'Remove one of the dependencies named in the cycle.',
  },
  MLOPS_ERR_PLUGIN_APPLY: { meaning: "A plugin's `apply` threw while the pipeline was being set up." },
  MLOPS_ERR_SERVICE_MISSING: {
    meaning: 'A stage needs a service (engine, store, tracker…) that no plugin provides.',
    hint: 'Add a plugin that provides it (for training and evaluation, @mlops/plugin-tfjs).',
  },
  MLOPS_ERR_STAGE_UNKNOWN: {
    meaning: 'A stage name is not one of data, model, train, evaluate, export, serve.',
  },
  MLOPS_ERR_STAGE_NO_OUTPUT: { meaning: 'No plugin answered a stage hook, so the stage produced nothing.' },
  MLOPS_ERR_STAGE_FAILED: { meaning: 'A stage threw an error that is not one of the coded errors above.' },
  MLOPS_ERR_RUN_INTERRUPTED: {
    meaning: 'A run was stopped (Ctrl-C, a signal, a lost machine) before it finished.',
    hint: 'Resume it with `mlops run --resume`.',
  },
  MLOPS_ERR_RUN_PRUNED: {
    meaning:
      "A sweep's early stopping stopped the run (a trial whose metric fell below a rung's cutoff); a pruned run is final and cannot be resumed.",
    hint: "Start a new run (`mlops run` with the trial's --set values), or widen `sweep.earlyStop` to prune less.",
  },
  MLOPS_ERR_STORE_OBJECT_MISSING: {
    meaning: 'An object the store refers to is not in the store (deleted or not pulled).',
  },
  MLOPS_ERR_STORE_CORRUPT: {
    meaning: 'A store file does not match its hash or its format (a partial copy, an edit by hand).',
  },
  MLOPS_ERR_STORE_WRITE: {
    meaning:
      'A file in the store or a run folder could not be written (disk full, no permission, read-only).',
    hint: 'Free disk space, or make the store folder (`store.path`) writable.',
  },
  MLOPS_ERR_RUN_NOT_FOUND: {
    meaning: 'No run with that id is in the store.',
    hint: 'List runs with `mlops runs list`.',
  },
  MLOPS_ERR_REGISTRY_MODEL_NOT_FOUND: {
    meaning: 'No model with that name is registered.',
    hint: 'List models with `mlops registry list`.',
  },
  MLOPS_ERR_REGISTRY_VERSION_NOT_FOUND: { meaning: 'The model has no version with that number.' },
  MLOPS_ERR_REGISTRY_ALIAS_NOT_FOUND: { meaning: 'No version of the model carries that alias.' },
  MLOPS_ERR_REGISTRY_GATE: {
    meaning: 'A promotion gate refused the candidate (it is not better than the current version).',
  },
  MLOPS_ERR_REGISTRY_LOCKED: { meaning: 'Another process holds the registry lock.' },
  MLOPS_ERR_DATA_INVALID: {
    meaning: 'The data is not usable: a missing class folder, an empty split, bad labels.',
  },
  MLOPS_ERR_DATA_CORRUPT_IMAGE: { meaning: 'An image file cannot be decoded (truncated, not an image).' },
  MLOPS_ERR_REMOTE_AUTH: { meaning: 'A remote service refused the credentials (HTTP 401/403).' },
  MLOPS_ERR_REMOTE_UNAVAILABLE: {
    meaning: 'A remote service could not be reached, or kept failing (network, 429, 5xx) after retries.',
  },
  MLOPS_ERR_REMOTE_REQUEST: { meaning: 'A remote service rejected a request (other 4xx, GraphQL errors).' },
  MLOPS_ERR_CHECKPOINT_INVALID: {
    meaning: 'A checkpoint file (safetensors, timm config.json) is unreadable or malformed.',
  },
  MLOPS_ERR_CHECKPOINT_MISMATCH: {
    meaning: 'A checkpoint does not fit the model: missing, unexpected or mis-shaped tensors.',
  },
  MLOPS_ERR_CHECKPOINT_UNAVAILABLE: {
    meaning: 'A checkpoint is not on disk and cannot be downloaded (offline, no network, not in the cache).',
  },
  MLOPS_ERR_USAGE: {
    meaning: 'A command was called with arguments that do not fit it.',
    hint: 'See `mlops --help`.',
  },
});

/** A code declared by `@mlops/core` ({@link coreErrors}). */
export type MlopsErrorCode = (typeof coreErrors.codes)[number];

/** Options of {@link MlopsError}. */
export interface MlopsErrorOptions {
  /** What the user can do about it, in one sentence. */
  hint?: string;
  /** The file the problem is in, when there is one. */
  file?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error a user can act on: a stable `code`, a one-line message, and where useful the file
 * concerned and a hint naming the fix. The CLI prints `message` (and `hint`) without a stack.
 */
export class MlopsError extends Error {
  /** Stable machine-readable code, declared in a package's catalogue. */
  readonly code: MlopsErrorCode | PluginErrorCode;
  /** What the user can do about it. */
  readonly hint: string | undefined;
  /** The file concerned, if any. */
  readonly file: string | undefined;

  constructor(code: MlopsErrorCode | PluginErrorCode, message: string, options: MlopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlopsError';
    this.code = code;
    this.hint = options.hint;
    this.file = options.file;
  }
}

/**
 * True when `error` is an {@link MlopsError}, optionally with the given code. Checked by shape
 * (name and an `MLOPS_` code), not `instanceof`: a plugin may bring its own copy of core (another
 * version in its node_modules), and its errors must still print their hint.
 */
export function isMlopsError(error: unknown, code?: MlopsErrorCode | PluginErrorCode): error is MlopsError {
  if (error instanceof MlopsError) return code === undefined || error.code === code;
  if (!(error instanceof Error) || error.name !== 'MlopsError') return false;
  const actual = (error as { code?: unknown }).code;
  return typeof actual === 'string' && actual.startsWith('MLOPS_') && (code === undefined || actual === code);
}
