// A cycle with select-backend.ts, harmless: each module uses the other's functions only when called.
import { tfjsErrors } from '../errors.js';
import { type BackendInfo, type BackendPreference, selectBackend } from './select-backend.js';

/** What a probe measured on one backend. */
export interface BackendProbeTiming {
  /** Milliseconds per timed step (the warm-up step's time when no timed step fit the budget). */
  msPerStep: number;
  /** Timed steps after the warm-up (0: `msPerStep` is the warm-up's, an upper bound). */
  timedSteps: number;
  /** The untimed first step (kernel compilation, weight upload): reported, not compared. */
  warmupMs: number;
}

/**
 * Times the real work on the backend that is active when it is called, within about `budgetMs`
 * (a step in progress is not interrupted). Rejects when the backend cannot run it.
 */
export type BackendProbe = (backend: string, budgetMs: number) => Promise<BackendProbeTiming>;

/** One backend's outcome in {@link chooseFastestBackend}. */
export interface BackendMeasurement extends Partial<BackendProbeTiming> {
  /** Backend name. */
  name: string;
  /** Why it could not be measured, when it could not. */
  error?: string;
}

/** The backend {@link chooseFastestBackend} activated, and the measurements behind the choice. */
export interface FastestBackend {
  /** The activated backend; its `reason` carries {@link FastestBackend.summary}. */
  info: BackendInfo;
  /** Every candidate, in the order probed. */
  measurements: BackendMeasurement[];
  /** One line: `auto: webgpu 906 ms/step, wasm 716 ms/step → wasm`. */
  summary: string;
}

/** Options of {@link chooseFastestBackend}. */
export interface ChooseFastestBackendOptions {
  /** Activates a backend by name; default `selectBackend(name)` (an explicit preference). */
  activate?: (name: string) => Promise<BackendInfo>;
  /** Total time for all probes; each gets an equal share of what is left. Default 20 s. */
  budgetMs?: number;
  /** Receives the summary line and per-backend failures. */
  log?: (message: string) => void;
}

/** Default total probing time. */
export const DEFAULT_PROBE_BUDGET_MS = 20_000;

function describe(m: BackendMeasurement): string {
  if (m.msPerStep === undefined) return `${m.name} failed (${m.error ?? 'unknown error'})`;
  const note = m.timedSteps === 0 ? ' (warm-up only)' : '';
  return `${m.name} ${Math.round(m.msPerStep)} ms/step${note}`;
}

/**
 * Measures `probe` on each candidate backend in turn and activates the fastest. Relative speed
 * depends on the model, not only on the backend — WebGPU trains small_cnn ~5× faster than wasm
 * on an H200 host but MobileNetV4-conv-small slower — so the real step is timed rather than a
 * fixed order trusted. A candidate that fails to activate or to run is reported and skipped;
 * when none could be measured the first candidate that activates is used.
 *
 * @param candidates backend names, in the preferred order on ties and failures
 * @param probe times the work on the active backend
 * @returns the activated backend with `reason` = the measurement summary
 * @throws Error when no candidate can be activated at all
 */
export async function chooseFastestBackend(
  candidates: readonly string[],
  probe: BackendProbe,
  options: ChooseFastestBackendOptions = {},
): Promise<FastestBackend> {
  const activate = options.activate ?? ((name: string) => selectBackend(name as BackendPreference));
  const deadline = performance.now() + (options.budgetMs ?? DEFAULT_PROBE_BUDGET_MS);
  const measurements: BackendMeasurement[] = [];
  const activated = new Map<string, BackendInfo>();
  for (const [index, name] of candidates.entries()) {
    const share = Math.max(0, deadline - performance.now()) / (candidates.length - index);
    try {
      activated.set(name, await activate(name));
      measurements.push({ name, ...(await probe(name, share)) });
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      measurements.push({ name, error: message });
      options.log?.(`auto: could not time ${name}: ${message}`);
    }
  }
  const timed = measurements.filter((m) => m.msPerStep !== undefined);
  // Strictly faster wins, so ties keep the candidates' order.
  const fastest = timed.reduce<BackendMeasurement | undefined>(
    (best, m) => (best === undefined || (m.msPerStep as number) < (best.msPerStep as number) ? m : best),
    undefined,
  );
  const chosen = fastest?.name ?? candidates.find((name) => activated.has(name));
  if (chosen === undefined) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_NO_BACKEND',
      `No backend could be activated: ${measurements.map(describe).join('; ')}`,
    );
  }
  const summary = `auto: ${measurements.map(describe).join(', ')} → ${chosen}`;
  options.log?.(summary);
  // Re-activate: probing left the last candidate active.
  const info = await activate(chosen);
  return {
    info: { ...info, requested: 'auto', reason: `${summary} (${info.reason})` },
    measurements,
    summary,
  };
}
