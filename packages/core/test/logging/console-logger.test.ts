import { describe, expect, it } from 'vitest';
import { MlopsError } from '../../src/errors.js';
import {
  ConsoleLogger,
  type ConsoleLoggerOptions,
  parseLogThreshold,
} from '../../src/logging/console-logger.js';
import { silentLogger } from '../../src/logging/silent-logger.js';

/** A logger writing into an array, with a fixed clock and an empty environment. */
function capture(options: ConsoleLoggerOptions = {}) {
  const lines: string[] = [];
  const time = new Date(2026, 10, 26, 3, 15, 7, 42);
  const logger = new ConsoleLogger({
    env: {},
    now: () => time,
    stream: { write: (s: string) => lines.push(s) },
    ...options,
  });
  return { logger, lines };
}

describe('ConsoleLogger', () => {
  it('writes human lines with level, message, bindings and fields', () => {
    const { logger, lines } = capture();
    logger
      .child({ plugin: 'tfjs' })
      .child({ stage: 'train' })
      .info('epoch done', { epoch: 3, note: 'two words', skip: undefined });
    expect(lines).toEqual([
      '03:15:07.042 INFO  epoch done plugin=tfjs stage=train epoch=3 note="two words"\n',
    ]);
  });

  it('filters by level, from the option or MLOPS_LOG_LEVEL', () => {
    const info = capture();
    info.logger.debug('hidden');
    info.logger.warn('shown');
    expect(info.lines).toHaveLength(1);

    const fromEnv = capture({ env: { MLOPS_LOG_LEVEL: 'DEBUG' } });
    fromEnv.logger.debug('shown');
    expect(fromEnv.lines).toHaveLength(1);
    expect(fromEnv.logger.level).toBe('debug');

    const silent = capture({ level: 'silent' });
    silent.logger.error('hidden');
    expect(silent.lines).toEqual([]);
    expect(capture({ level: 'warn' }).logger.child({}).isLevelEnabled('info')).toBe(false);
  });

  it('warns about an invalid MLOPS_LOG_LEVEL and falls back to info', () => {
    const { logger, lines } = capture({ env: { MLOPS_LOG_LEVEL: 'verbose' } });
    expect(logger.level).toBe('info');
    expect(lines[0]).toContain('WARN  MLOPS_LOG_LEVEL=verbose is not a level; using info');
    expect(parseLogThreshold(' Warn ')).toBe('warn');
    expect(parseLogThreshold('toString')).toBeUndefined();
  });

  it('shows errors by code and message; stacks only at debug', () => {
    const error = new MlopsError('MLOPS_ERR_DATA_INVALID', 'bad image');
    const info = capture();
    info.logger.error('data failed', { error });
    expect(info.lines[0]).toBe('03:15:07.042 ERROR data failed error="MLOPS_ERR_DATA_INVALID: bad image"\n');
    const debug = capture({ level: 'debug' });
    debug.logger.error('data failed', { error });
    expect(debug.lines[0]).toMatch(/\n {4}MlopsError: bad image\n {4}\s+at /);
  });

  it('writes JSON lines in json mode, reserved keys protected, cycles and errors serialized', () => {
    const { logger, lines } = capture({ json: true, bindings: { run: 'r1' } });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    logger.warn('careful', { msg: 'overridden?', cyclic, error: new Error('boom'), big: 10n });
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      run: 'r1',
      level: 'warn',
      msg: 'careful',
      time: new Date(2026, 10, 26, 3, 15, 7, 42).toISOString(),
      cyclic: { a: 1, self: '[Circular]' },
      error: { type: 'Error', message: 'boom' },
      big: '10',
    });
  });

  it('colors the level on a TTY unless NO_COLOR is set', () => {
    const lines: string[] = [];
    const stream = { isTTY: true, write: (s: string) => lines.push(s) };
    new ConsoleLogger({ env: {}, stream }).info('hi');
    new ConsoleLogger({ env: { NO_COLOR: '1' }, stream }).info('hi');
    expect(lines[0]).toContain('\u001b[36mINFO \u001b[0m');
    expect(lines[1]).not.toContain('\u001b[');
  });

  it('never throws when the stream does', () => {
    const logger = new ConsoleLogger({
      env: {},
      stream: {
        write: () => {
          throw new Error('EPIPE');
        },
      },
    });
    expect(() => logger.error('x')).not.toThrow();
  });
});

describe('silentLogger', () => {
  it('accepts everything and writes nothing', () => {
    expect(() => silentLogger.child({ a: 1 }).error('x', { y: 1 })).not.toThrow();
    expect(silentLogger.child({})).toBe(silentLogger);
  });
});
