/** Version of @mlops/plugin-tfjs: part of the cache key of the stages it runs. */
export const PLUGIN_TFJS_VERSION = '0.1.0';
