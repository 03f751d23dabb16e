import { MlopsError } from '@mlops/core';
import { layers, sequential } from '@tensorflow/tfjs-layers';
import { convertLayersModel } from '../export/convert-layers-model.js';
import { serializeModel } from '../onnx/serialize.js';
import { PLUGIN_ONNX_VERSION } from '../version.js';

/**
 * A reference device a budget's latency can be estimated for (`export.budget.device`).
 *
 * A profile is an estimate, not a measurement on the device. The latency of a model on the device
 * is taken to be its latency measured on the exporting machine times
 * `profile.referenceMs / hostReferenceMs`, where `hostReferenceMs` is the exporting machine's p50
 * on the {@link REFERENCE_OP_MIX} (timed in the same export, with the same onnxruntime threads)
 * and `profile.referenceMs` is the device's expected time on that mix: the mix's multiply-adds
 * divided by the device's sustained rate ({@link DeviceProfile.sustainedGmacs}).
 */
export interface DeviceProfile {
  /** Name used in `export.budget.device`. */
  name: string;
  /** The hardware assumed. */
  description: string;
  /** Peak fp32 multiply-adds per second (10⁹): cores × clock × FMA lanes per core per cycle. */
  peakGmacs: number;
  /** Sustained rate on convnet inference, 10⁹ multiply-adds per second: peak × {@link SUSTAINED_FRACTION}. */
  sustainedGmacs: number;
  /** How the numbers were derived. */
  derivation: string;
}

/**
 * The fraction of peak fp32 throughput a CPU sustains on MobileNet-style inference (all cores).
 * Derived from one public data point: MobileNet v1 1.0/224 (569 M multiply-adds) at 87 ms on a
 * Raspberry Pi 4's CPU with TensorFlow Lite (dev.to/tildalice, "MobileNet vs EfficientNet-Lite:
 * Pi 4 First Model 38ms Gap") = 6.5 GMAC/s of the Pi 4's 24 GMAC/s peak ≈ 0.27. It is applied to
 * the other profiles unchanged: an assumption, as different cores reach different fractions.
 */
export const SUSTAINED_FRACTION = 0.27;

function profile(
  name: string,
  description: string,
  cores: number,
  ghz: number,
  fmaLanes: number,
  core: string,
): DeviceProfile {
  const peakGmacs = cores * ghz * fmaLanes;
  return {
    name,
    description,
    peakGmacs,
    sustainedGmacs: peakGmacs * SUSTAINED_FRACTION,
    derivation: `${cores} × ${core} at ${ghz} GHz × ${fmaLanes} fp32 FMA lanes/cycle = ${peakGmacs.toFixed(1)} GMAC/s peak; × ${SUSTAINED_FRACTION} sustained`,
  };
}

/** The device profiles `export.budget.device` may name. */
export const DEVICE_PROFILES: Readonly<Record<string, DeviceProfile>> = Object.freeze(
  Object.fromEntries(
    [
      profile(
        'raspberry-pi-zero-2-w',
        'Raspberry Pi Zero 2 W (4× Cortex-A53, 1.0 GHz)',
        4,
        1.0,
        2,
        'Cortex-A53',
      ),
      profile('raspberry-pi-4', 'Raspberry Pi 4 Model B (4× Cortex-A72, 1.5 GHz)', 4, 1.5, 4, 'Cortex-A72'),
      profile('raspberry-pi-5', 'Raspberry Pi 5 (4× Cortex-A76, 2.4 GHz)', 4, 2.4, 8, 'Cortex-A76'),
      profile(
        'jetson-nano-cpu',
        'NVIDIA Jetson Nano, CPU only (4× Cortex-A57, 1.43 GHz)',
        4,
        1.43,
        4,
        'Cortex-A57',
      ),
    ].map((p) => [p.name, p]),
  ),
);

/**
 * The device profile named `name`, or a `MLOPS_ERR_CONFIG_INVALID` error listing the known ones
 * (with the closest name first when there is a close one).
 */
export function deviceProfile(name: string, configFile?: string): DeviceProfile {
  const found = DEVICE_PROFILES[name];
  if (found) return found;
  const names = Object.keys(DEVICE_PROFILES);
  const close = names.find((known) => known.includes(name) || name.includes(known));
  throw new MlopsError(
    'MLOPS_ERR_CONFIG_INVALID',
    `${configFile ? `${configFile}: ` : ''}export.budget.device: unknown device profile "${name}"${close ? ` (did you mean "${close}"?)` : ''}`,
    {
      ...(configFile ? { file: configFile } : {}),
      hint: `use one of ${names.map((n) => `"${n}"`).join(', ')}, or leave device out to measure on this machine`,
    },
  );
}

/**
 * The op mix device profiles are relative to: a MobileNet-style stack at 224×224×3, the resolution
 * of the data point behind {@link SUSTAINED_FRACTION} (strided 3×3
 * stem, depthwise 3×3 + pointwise 1×1 pairs, global average pooling, a 10-way classifier), the
 * operations the model zoo's networks are made of.
 */
export const REFERENCE_OP_MIX = {
  /** Input, NHWC without the batch. */
  inputShape: [224, 224, 3] as [number, number, number],
  /** Stem filters, then `[stride, filters]` of each depthwise-separable block. */
  stem: 16,
  blocks: [
    [1, 32],
    [2, 64],
    [2, 128],
    [1, 128],
  ] as [number, number][],
  classes: 10,
};

/** Multiply-adds of one {@link REFERENCE_OP_MIX} image (convolutions and the classifier). */
export function referenceOpMixMacs(): number {
  const { inputShape, stem, blocks, classes } = REFERENCE_OP_MIX;
  let size = Math.ceil(inputShape[0] / 2);
  let channels = stem;
  let macs = size * size * 9 * inputShape[2] * stem;
  for (const [stride, filters] of blocks) {
    size = Math.ceil(size / stride);
    macs += size * size * 9 * channels; // depthwise 3×3
    macs += size * size * channels * filters; // pointwise 1×1
    channels = filters;
  }
  return macs + channels * classes;
}

/** The {@link REFERENCE_OP_MIX} as an ONNX model (random weights: the time does not depend on them). */
export function referenceOpMixOnnx(): Uint8Array {
  const { inputShape, stem, blocks, classes } = REFERENCE_OP_MIX;
  const model = sequential();
  model.add(
    layers.conv2d({
      inputShape,
      filters: stem,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
    }),
  );
  for (const [strides, filters] of blocks) {
    model.add(layers.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', activation: 'relu' }));
    model.add(layers.conv2d({ filters, kernelSize: 1, activation: 'relu' }));
  }
  model.add(layers.globalAveragePooling2d({}));
  model.add(layers.dense({ units: classes }));
  try {
    return serializeModel(convertLayersModel(model).model, PLUGIN_ONNX_VERSION);
  } finally {
    model.dispose();
  }
}

/** A device's expected p50 on the {@link REFERENCE_OP_MIX}, in milliseconds. */
export function deviceReferenceMs(profile: DeviceProfile): number {
  return referenceOpMixMacs() / (profile.sustainedGmacs * 1e6);
}
