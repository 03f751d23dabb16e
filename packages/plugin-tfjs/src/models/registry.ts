import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tfjsErrors } from '../errors.js';
import { buildFastCnn, FAST_CNN, FAST_CNN_INFO } from './fast-cnn.js';
import {
  buildMobileNetV4ConvSmall,
  buildMobileNetV4HybridMedium,
  MOBILENETV4_CONV_SMALL,
  MOBILENETV4_CONV_SMALL_INFO,
  MOBILENETV4_CONV_SMALL_VARIANTS,
  MOBILENETV4_HYBRID_MEDIUM,
  MOBILENETV4_HYBRID_MEDIUM_INFO,
  type MobileNetV4ConvSmallVariant,
  mobileNetV4ConvSmallVariant,
  mobileNetV4ConvSmallVariantInfo,
} from './mobilenetv4.js';
import { buildSmallCnn, SMALL_CNN, SMALL_CNN_INFO } from './small-cnn.js';
import type { Architecture, ArchitectureBuilder, ArchitectureInfo, ModelBuildOptions } from './types.js';
import { validateBuildOptions } from './validate-options.js';

/** Options for `registerArchitecture`. */
export interface RegisterOptions {
  /** Replace an existing registration of the same name instead of throwing. */
  replace?: boolean;
}

// Same character set tfjs accepts for layer/model names, since builders use the name for the model.
const NAME_RE = /^[A-Za-z0-9][-A-Za-z0-9._]*$/;

const DEFAULT_INFO: ArchitectureInfo = {
  description: '',
  headLayers: [],
  defaultInputSize: 224,
  preferredInputChannels: 3,
};

const registry = new Map<string, Architecture>();

/**
 * Registers an architecture so `buildModel(name, …)` can build it; plugins add their own this
 * way. Throws if the name is taken (unless `options.replace`), so two plugins cannot silently
 * shadow each other or a built-in. Missing info fields get defaults (no head layers, 224, RGB).
 */
export function registerArchitecture(
  name: string,
  builder: ArchitectureBuilder,
  info?: Partial<ArchitectureInfo>,
  options?: RegisterOptions,
): Architecture {
  if (!NAME_RE.test(name))
    throw tfjsErrors.create('MLOPS_TFJS_ERR_ARCHITECTURE_INVALID', `Invalid architecture name '${name}'`, {
      hint: 'Use letters, digits, -, . and _ (starting with a letter or digit).',
    });
  if (registry.has(name) && !options?.replace) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_ARCHITECTURE_INVALID',
      `Architecture '${name}' is already registered (pass { replace: true } to override)`,
      { hint: 'Pick another name, or pass { replace: true } to registerArchitecture() to replace it.' },
    );
  }
  const entry: Architecture = Object.freeze({
    name,
    build: builder,
    info: Object.freeze({ ...DEFAULT_INFO, ...info }),
  });
  registry.set(name, entry);
  return entry;
}

/** Looks up an architecture; an unknown name throws an Error listing the known names. */
export function getArchitecture(name: string): Architecture {
  const entry = registry.get(name);
  if (!entry) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_UNKNOWN_ARCHITECTURE',
      `Unknown architecture '${name}'. Known architectures: ${listArchitectures().join(', ')}`,
      {
        hint: 'Set model.architecture in mlops.config.ts to one of the known names, or register yours with registerArchitecture().',
      },
    );
  }
  return entry;
}

/** Names of all registered architectures, sorted. */
export function listArchitectures(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Builds a fresh model of the named architecture. Validates the options first and checks that
 * the builder honoured them (input `[null, inputSize, inputSize, inputChannels]`, output
 * `[null, numClasses]` logits), so a faulty plugin builder fails here rather than in training.
 */
export function buildModel(architecture: string, opts: ModelBuildOptions): LayersModel {
  const { build } = getArchitecture(architecture);
  validateBuildOptions(opts);
  const model = build(opts);
  const inShape = model.inputs[0]?.shape ?? [];
  const outShape = model.outputs[0]?.shape ?? [];
  const wantIn = [null, opts.inputSize, opts.inputSize, opts.inputChannels];
  if (model.inputs.length !== 1 || JSON.stringify(inShape) !== JSON.stringify(wantIn)) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_ARCHITECTURE_INVALID',
      `Architecture '${architecture}' built input shape [${inShape}], expected [${wantIn}]`,
      {
        hint: 'The builder must return a model with input [null, inputSize, inputSize, inputChannels] from its options.',
      },
    );
  }
  if (model.outputs.length !== 1 || JSON.stringify(outShape) !== JSON.stringify([null, opts.numClasses])) {
    throw tfjsErrors.create(
      'MLOPS_TFJS_ERR_ARCHITECTURE_INVALID',
      `Architecture '${architecture}' built output shape [${outShape}], expected [null,${opts.numClasses}]`,
      { hint: 'The builder must end in one Dense layer with numClasses units (the logits).' },
    );
  }
  return model;
}

registerArchitecture(MOBILENETV4_CONV_SMALL, buildMobileNetV4ConvSmall, MOBILENETV4_CONV_SMALL_INFO);
for (const variant of Object.keys(MOBILENETV4_CONV_SMALL_VARIANTS) as MobileNetV4ConvSmallVariant[]) {
  registerArchitecture(
    variant,
    mobileNetV4ConvSmallVariant(variant),
    mobileNetV4ConvSmallVariantInfo(variant),
  );
}
registerArchitecture(MOBILENETV4_HYBRID_MEDIUM, buildMobileNetV4HybridMedium, MOBILENETV4_HYBRID_MEDIUM_INFO);
registerArchitecture(SMALL_CNN, buildSmallCnn, SMALL_CNN_INFO);
registerArchitecture(FAST_CNN, buildFastCnn, FAST_CNN_INFO);
