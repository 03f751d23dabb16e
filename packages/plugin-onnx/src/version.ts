/** Version of @mlops/plugin-onnx: part of the cache key of the stages it runs, and written into exported files. */
export const PLUGIN_ONNX_VERSION = '0.1.0';
