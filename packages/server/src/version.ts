/** Version of `@mlops/server` (the plugin's version, the OpenAPI document's `info.version`). */
export const SERVER_VERSION = '0.1.0';
