/**
 * Ctrl-C while a command waits on something it started in the cloud (an image build, a Vertex
 * job): the first one aborts the signal, so the command cancels what it started and waits for the
 * cancellation to be acknowledged; a second one exits at once.
 */

/** Runs `work` with a signal that Ctrl-C (or SIGTERM) aborts; see the module comment. */
export async function withCancelOnInterrupt<T>(
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count += 1;
    if (count > 1) process.exit(130);
    process.stderr.write(`\n${name}: cancelling ${what} (press Ctrl-C again to quit without waiting)\n`);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A flag value as a string, when it is one. */
export function stringFlag(flags: Record<string, unknown>, key: string): string | undefined {
  return typeof flags[key] === 'string' ? (flags[key] as string) : undefined;
}
