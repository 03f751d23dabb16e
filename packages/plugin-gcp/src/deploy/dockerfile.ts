/**
 * The Dockerfile `mlops deploy` writes for serving a project with `@mlops/server`: two stages (the
 * first installs production dependencies only, the second copies them into a clean image), runs as
 * the unprivileged `node` user, listens on $PORT (Cloud Run sets it; 8080 otherwise). Models are
 * not baked in: the container reads the registry and artifacts from the bucket, so promoting a new
 * version needs no rebuild (the server hot-swaps on alias moves).
 */

/** Options of {@link renderServerDockerfile}. */
export interface ServerDockerfileOptions {
  /** Base image of both stages. Default `node:20-bookworm-slim`. */
  baseImage?: string;
  /** The config file, relative to the project root. Default `mlops.config.ts`. */
  configFile?: string;
  /** Extra files or folders of the project the config needs (e.g. `src/`), copied as they are. */
  extraPaths?: string[];
  /** Port served when $PORT is unset. Default 8080. */
  port?: number;
}

/** The Dockerfile text; see the module comment. */
export function renderServerDockerfile(options: ServerDockerfileOptions = {}): string {
  const base = options.baseImage ?? 'node:20-bookworm-slim';
  const config = options.configFile ?? 'mlops.config.ts';
  const port = options.port ?? 8080;
  const extra = (options.extraPaths ?? []).map((p) => `COPY --chown=node:node ${p} ./${p}`);
  return [
    '# syntax=docker/dockerfile:1',
    '# Written by `mlops deploy --target cloud-run`. Build: docker build -t <image> .',
    '',
    '# Stage 1: production dependencies only (no devDependencies, no npm cache in the image).',
    `FROM ${base} AS deps`,
    'WORKDIR /app',
    'COPY package.json package-lock.json ./',
    'RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force',
    '',
    '# Stage 2: the runtime image: node, the dependencies and the config; runs unprivileged.',
    `FROM ${base} AS runtime`,
    'ENV NODE_ENV=production \\',
    `    PORT=${port} \\`,
    '    MLOPS_GCP_STORE=bucket \\',
    '    MLOPS_GCP_REGISTRY=bucket',
    'WORKDIR /app',
    'COPY --from=deps --chown=node:node /app/node_modules ./node_modules',
    '# The store cache (.mlops) is the only place the server writes; the node user owns it.',
    'RUN mkdir .mlops && chown node:node .mlops',
    `COPY --chown=node:node package.json ${config} ./`,
    ...extra,
    'USER node',
    `EXPOSE ${port}`,
    '# The shell form expands $PORT at start; exec keeps node as PID 1 so SIGTERM drains requests.',
    `CMD exec node node_modules/@mlops/core/bin/mlops.js --config ${config} serve --host 0.0.0.0 --port "$PORT"`,
    '',
  ].join('\n');
}
