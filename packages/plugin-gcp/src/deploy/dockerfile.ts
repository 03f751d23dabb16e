/**
 * The project image: what Cloud Build builds for `mlops deploy` and `mlops train --remote vertex`
 * (and what `mlops deploy` writes as `Dockerfile`, with a matching `.dockerignore`, for building
 * by hand). Two stages: the first installs production dependencies only, the second adds the
 * project itself — the config, the data manifests (`*.mlops-data.json`, not the data: the job
 * pulls that from the bucket), local sources the config imports — and runs as the unprivileged
 * `node` user. A build step imports every package the config's plugins come from, so an image
 * that lacks one fails to build instead of failing on Vertex AI an hour later. Models are not
 * baked in: the server reads the registry and artifacts from the bucket, so promoting a version
 * needs no rebuild (it hot-swaps on alias moves). No credential is baked in: the ignore rules
 * leave `.env`, `.netrc`, `.npmrc` and the like out, and secrets reach the service or job from
 * Secret Manager at run time.
 */

/** Options of {@link renderServerDockerfile}. */
export interface ServerDockerfileOptions {
  /** Base image of both stages. Default `node:22-bookworm-slim` (`@google-cloud/storage` 8 needs Node 22). */
  baseImage?: string;
  /** The config file, relative to the project root. Default `mlops.config.ts`. */
  configFile?: string;
  /** Packages that must load in the image (core and the config's plugin packages). Default `@mlops/core`. */
  packages?: string[];
  /** Port served when $PORT is unset. Default 8080. */
  port?: number;
}

/** Default base image of the project image. */
export const DEFAULT_BASE_IMAGE = 'node:22-bookworm-slim';

/** The Dockerfile text; see the module comment. */
export function renderServerDockerfile(options: ServerDockerfileOptions = {}): string {
  const base = options.baseImage ?? DEFAULT_BASE_IMAGE;
  const config = options.configFile ?? 'mlops.config.ts';
  const port = options.port ?? 8080;
  const packages = [...new Set(['@mlops/core', ...(options.packages ?? [])])].sort();
  const imports = packages.map((p) => `'${p}'`).join(',');
  return [
    '# syntax=docker/dockerfile:1',
    '# Written by `mlops deploy` / `mlops train --remote vertex`: the project image. mlops builds it',
    '# with Cloud Build when no --image is given; by hand: docker build -t <image> .',
    '',
    '# Stage 1: production dependencies only (no devDependencies, no npm cache in the image).',
    `FROM ${base} AS deps`,
    'WORKDIR /app',
    'COPY package.json package-lock.json ./',
    'RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force',
    '',
    '# Stage 2: node, the dependencies and the project (config, data manifests, local sources);',
    '# no data and no credentials (see .dockerignore). Runs unprivileged.',
    `FROM ${base} AS runtime`,
    'ENV NODE_ENV=production \\',
    `    PORT=${port} \\`,
    '    MLOPS_GCP_STORE=bucket \\',
    '    MLOPS_GCP_REGISTRY=bucket',
    'WORKDIR /app',
    'COPY --from=deps --chown=node:node /app/node_modules ./node_modules',
    'COPY --chown=node:node . .',
    '# The store cache (.mlops) is the only place the server and jobs write; the node user owns it.',
    'RUN rm -rf .mlops-build && mkdir -p .mlops && chown node:node .mlops',
    "# Every package the config's plugins come from must load: a missing one fails the build, not the job.",
    `RUN node --input-type=module -e "for (const p of [${imports}]) await import(p)"`,
    'USER node',
    `EXPOSE ${port}`,
    '# The shell form expands $PORT at start; exec keeps node as PID 1 so SIGTERM drains requests.',
    `CMD exec node node_modules/@mlops/core/bin/mlops.js --config ${config} serve --host 0.0.0.0 --port "$PORT"`,
    '',
  ].join('\n');
}

/** The `.dockerignore` matching the context Cloud Build gets, for building by hand. */
export function renderDockerignore(excluded: readonly string[]): string {
  return [
    '# Written by `mlops deploy`: what never goes into the project image. The data comes from the',
    '# bucket (the image carries the *.mlops-data.json manifests), secrets from Secret Manager.',
    ...excluded,
    '',
  ].join('\n');
}
