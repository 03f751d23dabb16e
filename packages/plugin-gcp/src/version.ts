/** Version of @mlops/plugin-gcp; part of every stage's cache key. */
export const PLUGIN_VERSION = '0.1.0';
