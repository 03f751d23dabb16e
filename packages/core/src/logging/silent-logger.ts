import type { Logger } from '../services/logger.js';

const noop = (): void => {};

/** A {@link Logger} that writes nothing: the default where no logger is given, and for tests. */
export const silentLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: (): Logger => silentLogger,
});
