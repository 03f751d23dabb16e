export type { ConsoleLoggerOptions, LogSink, LogThreshold } from './console-logger.js';
export { ConsoleLogger, parseLogThreshold } from './console-logger.js';
export type { ProgressOptions, ProgressStream } from './progress.js';
export { createProgress, formatClock } from './progress.js';
export { silentLogger } from './silent-logger.js';
