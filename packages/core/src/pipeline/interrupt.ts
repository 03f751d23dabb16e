import { MlopsError } from '../errors.js';

/**
 * An AbortSignal fired by Ctrl-C or SIGTERM, so stages stop at a safe point (the trainer writes its
 * last checkpoint) and the run is recorded as interrupted. A second Ctrl-C exits at once.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count += 1;
    if (count > 1) process.exit(130);
    process.stderr.write(`\n${name}: stopping after the current step (press Ctrl-C again to quit now)\n`);
    controller.abort(
      new MlopsError('MLOPS_ERR_RUN_INTERRUPTED', `interrupted by ${name}`, {
        hint: 'continue it with: mlops run --resume',
      }),
    );
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
