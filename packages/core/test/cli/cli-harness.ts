/** Test helpers: run the `mlops` CLI in-process and capture what it prints. */
import { type CliIO, main } from '../../src/cli/main.js';

/** A {@link CliIO} that keeps every line written to stdout and stderr. */
export function captureIO(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (text) => void stdout.push(text), err: (text) => void stderr.push(text) };
}

/** Runs `mlops <args>`: its exit code and its stdout and stderr, lines joined. */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(args, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}
