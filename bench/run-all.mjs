#!/usr/bin/env node
/**
 * The `npm run bench` entry: runs every `bench/*.bench.ts` in turn (sequentially, each in its own
 * `node_modules/.bin/jiti` child process, stderr inherited), collects each one's JSON stdout and
 * prints one combined JSON object `{ "<bench name>": {...}, ... }` on stdout.
 *
 *   node bench/run-all.mjs [--only <name>] [--quick] [-- <args for the benches>]
 *
 * --only <name>  run only this bench (`train-throughput` or `train-throughput.bench.ts`);
 *                repeatable or comma-separated
 * --quick        passed to the benches that accept it (those whose source mentions `--quick`);
 *                input-pipeline.bench.ts takes no flags, so it gets BENCH_BATCHES=20 instead
 *                (unless BENCH_BATCHES is already set)
 * --list         print the bench names and exit
 * -- ...         everything after `--` is passed to every bench that runs (use with --only)
 *
 * A bench that exits non-zero or prints no parsable JSON is reported as
 * `{ "error": ..., "exitCode": ... }` under its name; the others still run, and run-all exits 1.
 * Plain Node ESM, no dependencies.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);
const jiti = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'jiti.cmd' : 'jiti');
const SUFFIX = '.bench.ts';

function usage(message) {
  if (message) process.stderr.write(`run-all: ${message}\n`);
  process.stderr.write(
    'usage: node bench/run-all.mjs [--only <name>] [--quick] [--list] [-- <bench args>]\n',
  );
  process.exit(2);
}

// --- arguments ---------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const dashDash = argv.indexOf('--');
const own = dashDash === -1 ? argv : argv.slice(0, dashDash);
const passThrough = dashDash === -1 ? [] : argv.slice(dashDash + 1);
const only = [];
let quick = false;
let list = false;
for (let i = 0; i < own.length; i++) {
  const a = own[i];
  if (a === '--quick') quick = true;
  else if (a === '--list') list = true;
  else if (a === '--only' || a.startsWith('--only=')) {
    const value = a === '--only' ? own[++i] : a.slice('--only='.length);
    if (!value || value.startsWith('--')) usage('--only needs a bench name');
    only.push(...value.split(',').filter(Boolean));
  } else if (a === '--help' || a === '-h') usage();
  else usage(`unknown argument ${a}`);
}

// --- benches -----------------------------------------------------------------------------------
const all = readdirSync(benchDir)
  .filter((f) => f.endsWith(SUFFIX))
  .sort()
  .map((f) => ({ name: f.slice(0, -SUFFIX.length), file: path.join(benchDir, f) }));
if (list) {
  process.stdout.write(`${all.map((b) => b.name).join('\n')}\n`);
  process.exit(0);
}
const wanted = only.map((n) => (n.endsWith(SUFFIX) ? n.slice(0, -SUFFIX.length) : n.replace(/\.bench$/, '')));
for (const n of wanted) {
  if (!all.some((b) => b.name === n)) usage(`no bench '${n}' (have: ${all.map((b) => b.name).join(', ')})`);
}
const selected = wanted.length > 0 ? all.filter((b) => wanted.includes(b.name)) : all;
if (!existsSync(jiti)) usage(`${path.relative(root, jiti)} not found; run npm install first`);

/** Whether a bench's source handles `--quick`. */
const takesQuick = (file) => readFileSync(file, 'utf8').includes("'--quick'");

/** The JSON object a bench printed: all of stdout, or failing that its last top-level object. */
function parseOutput(stdout) {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    // Stray lines before the JSON (some libraries log to stdout): try from each line that opens
    // an object, last first.
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      if (!lines[i].startsWith('{')) continue;
      try {
        return JSON.parse(lines.slice(i).join('\n'));
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}

/** Runs one bench; resolves to its parsed JSON or an error record. */
function run(bench) {
  const args = [path.relative(root, bench.file)];
  const env = { ...process.env };
  if (quick) {
    if (takesQuick(bench.file)) args.push('--quick');
    else if (bench.name === 'input-pipeline' && env.BENCH_BATCHES == null) env.BENCH_BATCHES = '20';
  }
  args.push(...passThrough);
  process.stderr.write(`\n=== ${bench.name}: ${path.relative(root, jiti)} ${args.join(' ')}\n`);
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(jiti, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    // Forward Ctrl-C / termination to the running bench, and run no further benches.
    const forward = (signal) => {
      interrupted = signal;
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      const seconds = ((performance.now() - start) / 1000).toFixed(1);
      process.stderr.write(
        `=== ${bench.name}: ${result.error ? `FAILED (${result.error})` : 'ok'} in ${seconds} s\n`,
      );
      resolve(result.error ? { ok: false, result } : { ok: true, result: result.value });
    };
    child.on('error', (err) => finish({ error: `could not start: ${err.message}`, exitCode: null }));
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(chunks).toString('utf8');
      const parsed = parseOutput(stdout);
      if (code === 0 && parsed !== undefined) {
        finish({ value: parsed });
        return;
      }
      finish({
        error: signal
          ? `killed by ${signal}`
          : parsed === undefined
            ? 'no JSON on stdout'
            : `exit code ${code}`,
        exitCode: code,
        ...(parsed !== undefined ? { output: parsed } : { stdoutTail: stdout.slice(-2000) }),
      });
    });
  });
}

const combined = {};
let failed = 0;
/** Set when run-all is interrupted: the remaining benches are skipped. */
let interrupted = null;
for (const bench of selected) {
  if (interrupted) {
    combined[bench.name] = { error: `not run (interrupted by ${interrupted})`, exitCode: null };
    failed++;
    continue;
  }
  const { ok, result } = await run(bench);
  if (!ok) failed++;
  combined[bench.name] = result;
}
process.stdout.write(`${JSON.stringify(combined, null, 2)}\n`);
if (failed > 0) process.exitCode = interrupted ? 130 : 1;
