/** Version of this plugin; part of every stage's cache key. */
export const PLUGIN_WANDB_VERSION = '0.1.0';
