/**
 * The GPU variant of the project image: what Cloud Build builds for a Vertex AI job that asks for
 * an accelerator (`mlops train --remote vertex --remote-option accelerator=NVIDIA_TESLA_T4`). Same
 * project, same two stages as the CPU image (`deploy/dockerfile.ts`), on a CUDA base, with
 * `@tensorflow/tfjs-node-gpu` added, and run with `train.backend=tensorflow`.
 *
 * What pins what (sources in the README's "GPU training on Vertex"):
 * - `@tensorflow/tfjs-node-gpu` 4.22.0 (the latest release) downloads libtensorflow 2.9.1 for GPU
 *   at install (`scripts/deps-constants.js`: `LIBTENSORFLOW_VERSION = '2.9.1'`). TensorFlow's
 *   tested build configurations list tensorflow-2.9.0 as cuDNN 8.1, CUDA 11.2, so the image is
 *   NVIDIA's CUDA 11.2 + cuDNN 8 runtime image. It does not run on CUDA 12+ userlands.
 * - Node.js 22: the plugin itself needs it (`@google-cloud/storage` 8 and `google-auth-library`
 *   declare `engines.node >=22`), and tfjs-node-gpu's addon is N-API (`binary.napi_versions`
 *   3–8, `engines.node >=8.11.0`), not built for one Node ABI. Not 23 or later: tfjs-node(-gpu)
 *   4.22.0 calls `util.isNullOrUndefined`, which Node 23 removed (tensorflow/tfjs#8609; the fix,
 *   tensorflow/tfjs#8425, is unreleased). The official Node 22 build comes from the official
 *   `node:22` image, whose Dockerfile installs the nodejs.org tarball after checking its
 *   signature; it needs glibc 2.28, and Ubuntu 20.04 has 2.31.
 * - Prebuilt addons come from `storage.googleapis.com/tf-builds` (N-API 8, the same file for Node
 *   20 and 22); when none fits, node-pre-gyp compiles it, hence the build tools in the first stage.
 */

/** Options of {@link renderGpuTrainingDockerfile}. */
export interface GpuDockerfileOptions {
  /** CUDA base image of both stages. Default {@link DEFAULT_GPU_BASE_IMAGE}. */
  baseImage?: string;
  /** The config file, relative to the project root. Default `mlops.config.ts`. */
  configFile?: string;
  /** Packages that must load in the image (core and the config's plugin packages). Default `@mlops/core`. */
  packages?: string[];
}

/**
 * NVIDIA's official CUDA 11.2.2 + cuDNN 8 runtime image on Ubuntu 20.04 (Docker Hub
 * `nvidia/cuda`, also `nvcr.io/nvidia/cuda`). NVIDIA lists this tag among its unsupported tags
 * ("these tags still exist") and deletes end-of-life tags under its container support policy:
 * when it is gone, set `gcp({ build: { gpuBaseImage } })` to a copy in your own registry.
 */
export const DEFAULT_GPU_BASE_IMAGE = 'nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04';

/** Where the GPU image's Node.js comes from (see the module comment: 22, not 23+). */
export const GPU_NODE_IMAGE = 'node:22-bookworm-slim';

/** The tfjs-node-gpu release installed into the GPU image. */
export const TFJS_NODE_GPU_VERSION = '4.22.0';

/** The train backend the GPU image runs with (tfjs-node-gpu registers `tensorflow`). */
export const GPU_TRAIN_BACKEND = 'tensorflow';

/** The Dockerfile text; see the module comment. */
export function renderGpuTrainingDockerfile(options: GpuDockerfileOptions = {}): string {
  const base = options.baseImage ?? DEFAULT_GPU_BASE_IMAGE;
  const config = options.configFile ?? 'mlops.config.ts';
  const tfjsNodeGpu = `@tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION}`;
  const packages = [...new Set(['@mlops/core', ...(options.packages ?? [])])].sort();
  const imports = [...packages, '@tensorflow/tfjs-node-gpu'].map((p) => `'${p}'`).join(',');
  const cmd = [
    'node',
    'node_modules/@mlops/core/bin/mlops.js',
    '--config',
    config,
    '--set',
    `train.backend=${GPU_TRAIN_BACKEND}`,
    'run',
  ];
  return [
    '# syntax=docker/dockerfile:1',
    '# Written by `mlops train --remote vertex`: the GPU variant of the project image, for Vertex AI',
    '# jobs that ask for an accelerator (tagged ctx-<hash>-gpu beside the CPU image ctx-<hash>). mlops',
    '# builds it with Cloud Build; by hand: docker build -f .mlops-build/Dockerfile.gpu -t <image> .',
    '#',
    `# Why CUDA 11.2: ${tfjsNodeGpu} runs on libtensorflow 2.9.1, which TensorFlow`,
    "# builds against CUDA 11.2 and cuDNN 8.1; it does not run on CUDA 12+. So the base is NVIDIA's",
    "# CUDA 11.2 + cuDNN 8 runtime, and the job's GPU is one CUDA 11.2 drives (T4, V100, P100, P4,",
    '# A100), which mlops checks before building. The job runs `mlops run` with train.backend=tensorflow.',
    '',
    '# Node.js 22, the official nodejs.org build (checked against its signature in the official image).',
    '# 22, not 23+: tfjs-node-gpu 4.22 calls util.isNullOrUndefined, which Node 23 removed.',
    `FROM ${GPU_NODE_IMAGE} AS node`,
    '',
    '# Stage 1: production dependencies plus tfjs-node-gpu, installed on the CUDA base (Ubuntu 20.04) so',
    '# the native addon is set up for the OS it runs on. Its install script downloads libtensorflow',
    '# 2.9.1 for GPU and the prebuilt addon from storage.googleapis.com: at image build time, inside',
    '# Cloud Build (which reaches the internet), never when the job runs. python3, make and g++ only',
    "# serve node-pre-gyp's fallback (compiling the addon when no prebuilt one fits); this stage is",
    "# not part of the image. NVIDIA's apt sources are dropped: nothing comes from them, and old CUDA",
    '# images carry a rotated signing key.',
    `FROM ${base} AS deps`,
    'COPY --from=node /usr/local/bin/node /usr/local/bin/node',
    'COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm',
    'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
    ' && rm -f /etc/apt/sources.list.d/cuda*.list /etc/apt/sources.list.d/nvidia-ml*.list \\',
    ' && apt-get update \\',
    ' && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates python3 make g++ \\',
    ' && rm -rf /var/lib/apt/lists/*',
    'WORKDIR /app',
    'COPY package.json package-lock.json ./',
    'RUN npm ci --omit=dev --no-audit --no-fund \\',
    ` && npm install --no-save --omit=dev --no-audit --no-fund ${tfjsNodeGpu} \\`,
    ' && npm cache clean --force',
    '',
    '# Stage 2: the CUDA runtime, node, the dependencies and the project (config, data manifests, local',
    '# sources); no data and no credentials (see .dockerignore). Runs unprivileged, as the node user.',
    '# Vertex AI mounts the GPU driver at run time.',
    `FROM ${base} AS runtime`,
    'COPY --from=node /usr/local/bin/node /usr/local/bin/node',
    'RUN groupadd --gid 1000 node \\',
    ' && useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
    'ENV NODE_ENV=production \\',
    '    MLOPS_GCP_STORE=bucket \\',
    '    MLOPS_GCP_REGISTRY=bucket',
    'WORKDIR /app',
    'COPY --from=deps --chown=node:node /app/node_modules ./node_modules',
    'COPY --chown=node:node . .',
    '# The store cache (.mlops) is the only place jobs write; the node user owns it.',
    'RUN rm -rf .mlops-build && mkdir -p .mlops && chown node:node .mlops',
    "# Every package the config's plugins come from, and tfjs-node-gpu, must load: a missing one fails",
    '# the build, not the job. Cloud Build has no GPU; libtensorflow opens the CUDA libraries only when',
    '# it looks for one, so this checks that the addon and libtensorflow load.',
    `RUN node --input-type=module -e "for (const p of [${imports}]) await import(p)"`,
    'USER node',
    "# Vertex AI runs the job entry with the job's arguments (see the CustomJob); by hand, train:",
    `CMD [${cmd.map((part) => JSON.stringify(part)).join(', ')}]`,
    '',
  ].join('\n');
}
