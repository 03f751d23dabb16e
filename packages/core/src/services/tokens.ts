/**
 * Tokens that may carry several registrations; `PluginApi.provide` adds to them instead of
 * replacing, and consumers use `container.resolveAll`.
 */
import { DataSource } from './data-source.js';
import { Exporter } from './exporter.js';
import { RemoteRunner } from './remote-runner.js';
import { Runtime } from './runtime.js';
import { Tracker } from './tracker.js';

/** Tokens registered many times. */
export const MULTI_TOKENS: ReadonlySet<symbol> = new Set([
  Tracker as symbol,
  Exporter as symbol,
  Runtime as symbol,
  DataSource as symbol,
  RemoteRunner as symbol,
]);
