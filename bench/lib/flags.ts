/**
 * Command-line flags of the benches (`--name value` or `--name=value`), so every bench reads its
 * arguments the same way. Not a bench itself: `run-all.mjs` only runs `*.bench.ts`.
 */
const argv = process.argv.slice(2);

/** The value of `--name` (the last one given), or `fallback`. */
export function flag(name: string): string | undefined;
export function flag(name: string, fallback: string): string;
export function flag(name: string, fallback?: string): string | undefined {
  const key = name.startsWith('--') ? name : `--${name}`;
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === key) value = argv[i + 1];
    else if (arg.startsWith(`${key}=`)) value = arg.slice(key.length + 1);
  }
  return value ?? fallback;
}

/** Whether a switch such as `--quick` is present. */
export function hasFlag(name: string): boolean {
  const key = name.startsWith('--') ? name : `--${name}`;
  return argv.includes(key);
}
