import { constants } from 'node:os';
import { MlopsError } from '../errors.js';

/** The signal each interruption (the reason of an {@link interruptSignal}'s abort) was made for. */
const signalOfInterruption = new WeakMap<object, NodeJS.Signals>();

/**
 * An AbortSignal fired by Ctrl-C or SIGTERM, so stages stop at a safe point (the trainer writes its
 * last checkpoint) and the run is recorded as interrupted. A second Ctrl-C exits at once.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count += 1;
    if (count > 1) process.exit(signalExitCode(name));
    process.stderr.write(`\n${name}: stopping after the current step (press Ctrl-C again to quit now)\n`);
    const reason = new MlopsError('MLOPS_ERR_RUN_INTERRUPTED', `interrupted by ${name}`, {
      hint: 'continue it with: mlops run --resume',
    });
    signalOfInterruption.set(reason, name);
    controller.abort(reason);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * The signal (SIGINT, SIGTERM) that interrupted the work `error` reports: the error is an
 * {@link interruptSignal}'s abort reason, or has one in its `cause` chain. Undefined for any other
 * error, and for an interruption by a caller's own AbortSignal.
 */
export function interruptingSignal(error: unknown): NodeJS.Signals | undefined {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Object && !seen.has(current); ) {
    seen.add(current);
    const signal = signalOfInterruption.get(current);
    if (signal) return signal;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The exit code of a command line tool that stopped because of `signal`: 128 + its number, as
 * shells report a process a signal ended (130 for SIGINT, 143 for SIGTERM).
 */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}
