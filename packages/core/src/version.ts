/** Version of @mlops/core, recorded in runs and part of every stage's cache key. */
export const CORE_VERSION = '0.1.0';
