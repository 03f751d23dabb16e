import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Served aliases of one model: alias → version. */
export type ServedAliases = () => Iterable<[model: string, aliases: Record<string, number>]>;

/** Current drift scores per served model version (null scores are not exported). */
export type DriftScores = () => Iterable<{
  model: string;
  version: number;
  inputPsi: number | null;
  predictionPsi: number | null;
}>;

let processRegistry: Registry | undefined;

/**
 * The process-wide registry of prom-client's default metrics (`process_*`, `nodejs_*`: CPU, memory,
 * handles, GC, event-loop lag). Created once per process: `collectDefaultMetrics` starts an
 * event-loop delay monitor and a GC observer that prom-client can never stop, so creating them per
 * server would leak one of each for every server ever created. They describe the process, not a
 * server, so every server's `/metrics` shares this one.
 */
export function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Prometheus metrics of one server instance, in their own registry (never the global one). */
export class ServerMetrics {
  /** This server's own metrics. */
  readonly own = new Registry();
  /** The registry `/metrics` exposes: {@link own} plus (by default) {@link processMetricsRegistry}. */
  readonly registry: Registry;
  /** `http_requests_in_flight`: requests received and not yet answered. */
  readonly inFlight: Gauge;
  /** `http_requests_total{route,method,status}`. */
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  /** `http_request_duration_seconds{route,method,status}`. */
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  /** `model_load_seconds{model}`. */
  readonly modelLoad: Histogram<'model'>;
  /** `model_info{model,alias,version}` = 1 for each served alias. */
  readonly modelInfo: Gauge<'model' | 'alias' | 'version'>;
  /** `prediction_batch_size{model}`. */
  readonly batchSize: Histogram<'model'>;
  /** Seconds a predict request waited in the micro-batching queue. */
  readonly queueWait: Histogram<'model'>;
  /** `model_drift_input_psi{model,version}`. */
  readonly driftInputPsi: Gauge<'model' | 'version'>;
  /** `model_drift_prediction_psi{model,version}`. */
  readonly driftPredictionPsi: Gauge<'model' | 'version'>;

  constructor(served: ServedAliases, options: { defaultMetrics?: boolean; drift?: DriftScores } = {}) {
    const drift = options.drift;
    const registers = [this.own];
    this.inFlight = new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests received and not answered yet.',
      registers,
    });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.modelLoad = new Histogram({
      name: 'model_load_seconds',
      help: 'Time to load a model version, in seconds.',
      labelNames: ['model'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.modelInfo = new Gauge({
      name: 'model_info',
      help: 'Model versions currently served, by alias (value 1).',
      labelNames: ['model', 'alias', 'version'],
      registers,
      collect() {
        this.reset();
        for (const [model, aliases] of served()) {
          for (const [alias, version] of Object.entries(aliases)) {
            this.set({ model, alias, version: String(version) }, 1);
          }
        }
      },
    });
    this.batchSize = new Histogram({
      name: 'prediction_batch_size',
      help: 'Number of images per model predict call.',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.queueWait = new Histogram({
      name: 'prediction_queue_wait_seconds',
      help: 'Seconds a predict request waited in the micro-batching queue before its batch ran.',
      labelNames: ['model'],
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.driftInputPsi = new Gauge({
      name: 'model_drift_input_psi',
      help: 'PSI of live per-image mean brightness vs the training reference (<0.1 stable, >0.25 significant).',
      labelNames: ['model', 'version'],
      registers,
      collect() {
        this.reset();
        for (const d of drift?.() ?? []) {
          if (d.inputPsi !== null) this.set({ model: d.model, version: String(d.version) }, d.inputPsi);
        }
      },
    });
    this.driftPredictionPsi = new Gauge({
      name: 'model_drift_prediction_psi',
      help: 'PSI of live predicted-class frequencies vs the validation reference.',
      labelNames: ['model', 'version'],
      registers,
      collect() {
        this.reset();
        for (const d of drift?.() ?? []) {
          if (d.predictionPsi !== null)
            this.set({ model: d.model, version: String(d.version) }, d.predictionPsi);
        }
      },
    });
    this.registry =
      (options.defaultMetrics ?? true) ? Registry.merge([this.own, processMetricsRegistry()]) : this.own;
  }

  /** Records one answered request. */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }
}
