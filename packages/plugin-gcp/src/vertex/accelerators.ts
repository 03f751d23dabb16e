/**
 * Which accelerators a Vertex AI machine type can carry, checked before submission: Vertex only
 * says so after the job has been queued, with a terse INVALID_ARGUMENT. GPUs of the N1 generation
 * attach to `n1-*` machines in counts of 1-8; newer ones come built into their machine family
 * (an L4 needs a `g2`, an A100 an `a2`, an H100 an `a3`), where the machine type fixes the count.
 * Source: the Vertex AI "Configure compute resources for custom training" table; the accelerator
 * names are the v1 `MachineSpec.acceleratorType` enum. When mlops builds the job's image, the GPU
 * must also be one its CUDA 11.2 image drives (`checkGpuImageAccelerator`).
 */
import { MlopsError } from '@mlops/core';

/** A machine spec as given on the command line. */
export interface MachineChoice {
  /** e.g. `n1-standard-8`, `g2-standard-8`, `a2-highgpu-1g`. */
  machineType: string;
  /** e.g. `NVIDIA_L4`. */
  acceleratorType?: string;
  /** Accelerators per machine; filled in from the machine type when it fixes them. */
  acceleratorCount?: number;
}

interface Rule {
  /** Short name for messages: "an L4". */
  name: string;
  /** Machine family, for messages: "g2". */
  family: string;
  /** Example machine types, for messages. */
  examples: string;
  /** Count for a machine type of the family; undefined when the type is not of the family. */
  countFor(machineType: string): number[] | undefined;
}

const N1_COUNTS = (counts: number[]) => (machineType: string) =>
  /^n1-(standard|highmem|highcpu)-\d+$/.test(machineType) ? counts : undefined;

const SUFFIX_GPUS = (pattern: RegExp) => (machineType: string) => {
  const match = pattern.exec(machineType);
  return match ? [Number(match[1])] : undefined;
};

const TABLE = (counts: Record<string, number>) => (machineType: string) =>
  machineType in counts ? [counts[machineType] as number] : undefined;

/** Accelerator → the machines it runs on. */
const RULES: Record<string, Rule> = {
  NVIDIA_TESLA_K80: {
    name: 'a K80',
    family: 'n1',
    examples: 'n1-standard-8',
    countFor: N1_COUNTS([1, 2, 4, 8]),
  },
  NVIDIA_TESLA_P4: { name: 'a P4', family: 'n1', examples: 'n1-standard-8', countFor: N1_COUNTS([1, 2, 4]) },
  NVIDIA_TESLA_T4: { name: 'a T4', family: 'n1', examples: 'n1-standard-8', countFor: N1_COUNTS([1, 2, 4]) },
  NVIDIA_TESLA_P100: {
    name: 'a P100',
    family: 'n1',
    examples: 'n1-standard-8',
    countFor: N1_COUNTS([1, 2, 4]),
  },
  NVIDIA_TESLA_V100: {
    name: 'a V100',
    family: 'n1',
    examples: 'n1-standard-8',
    countFor: N1_COUNTS([1, 2, 4, 8]),
  },
  NVIDIA_TESLA_A100: {
    name: 'an A100 (40 GB)',
    family: 'a2',
    examples: 'a2-highgpu-1g, -2g, -4g, -8g, a2-megagpu-16g',
    countFor: SUFFIX_GPUS(/^a2-(?:highgpu|megagpu)-(\d+)g$/),
  },
  NVIDIA_A100_80GB: {
    name: 'an A100 80GB',
    family: 'a2 ultra',
    examples: 'a2-ultragpu-1g, -2g, -4g, -8g',
    countFor: SUFFIX_GPUS(/^a2-ultragpu-(\d+)g$/),
  },
  NVIDIA_L4: {
    name: 'an L4',
    family: 'g2',
    examples: 'g2-standard-4, -8, -12, -16, -24, -32, -48, -96',
    countFor: TABLE({
      'g2-standard-4': 1,
      'g2-standard-8': 1,
      'g2-standard-12': 1,
      'g2-standard-16': 1,
      'g2-standard-32': 1,
      'g2-standard-24': 2,
      'g2-standard-48': 4,
      'g2-standard-96': 8,
    }),
  },
  NVIDIA_H100_80GB: {
    name: 'an H100',
    family: 'a3',
    examples: 'a3-highgpu-1g, -2g, -4g, -8g',
    countFor: SUFFIX_GPUS(/^a3-highgpu-(\d+)g$/),
  },
  NVIDIA_H100_MEGA_80GB: {
    name: 'an H100 Mega',
    family: 'a3 mega',
    examples: 'a3-megagpu-8g',
    countFor: SUFFIX_GPUS(/^a3-megagpu-(\d+)g$/),
  },
  NVIDIA_H200_141GB: {
    name: 'an H200',
    family: 'a3 ultra',
    examples: 'a3-ultragpu-8g',
    countFor: SUFFIX_GPUS(/^a3-ultragpu-(\d+)g$/),
  },
  NVIDIA_B200: {
    name: 'a B200',
    family: 'a4',
    examples: 'a4-highgpu-8g',
    countFor: SUFFIX_GPUS(/^a4-highgpu-(\d+)g$/),
  },
  NVIDIA_GB200: {
    name: 'a GB200',
    family: 'a4x',
    examples: 'a4x-highgpu-4g',
    countFor: SUFFIX_GPUS(/^a4x-highgpu-(\d+)g$/),
  },
  NVIDIA_RTX_PRO_6000: {
    name: 'an RTX PRO 6000',
    family: 'g4',
    examples: 'g4-standard-48, -96, -192, -384',
    countFor: TABLE({ 'g4-standard-48': 1, 'g4-standard-96': 2, 'g4-standard-192': 4, 'g4-standard-384': 8 }),
  },
  TPU_V2: {
    name: 'a TPU v2',
    family: 'cloud-tpu',
    examples: 'cloud-tpu',
    countFor: TABLE({ 'cloud-tpu': 8 }),
  },
  TPU_V3: {
    name: 'a TPU v3',
    family: 'cloud-tpu',
    examples: 'cloud-tpu',
    countFor: TABLE({ 'cloud-tpu': 8 }),
  },
  TPU_V4_POD: {
    name: 'a TPU v4',
    family: 'ct4p',
    examples: 'ct4p-hightpu-4t',
    countFor: SUFFIX_GPUS(/^ct4p-hightpu-(\d+)t$/),
  },
  TPU_V5_LITEPOD: {
    name: 'a TPU v5e',
    family: 'ct5lp',
    examples: 'ct5lp-hightpu-1t, -4t, -8t',
    countFor: SUFFIX_GPUS(/^ct5lp-hightpu-(\d+)t$/),
  },
};

/** Accelerators this check knows (the v1 `MachineSpec.acceleratorType` values). */
export const KNOWN_ACCELERATORS = Object.keys(RULES);

/** Machine families that come with accelerators and cannot run without one. */
const ACCELERATOR_MACHINES = /^(a2|a3|a4|a4x|g2|g4|ct\d+[a-z]*)-|^cloud-tpu$/;

/** The rule of `acceleratorType`; a usage error naming Vertex AI's accelerators when it is none of them. */
function knownRule(acceleratorType: string): Rule {
  const rule = RULES[acceleratorType];
  if (!rule) {
    throw new MlopsError('MLOPS_ERR_USAGE', `unknown accelerator type "${acceleratorType}"`, {
      hint: `Vertex AI accelerators: ${KNOWN_ACCELERATORS.join(', ')}.`,
    });
  }
  return rule;
}

/** The spec, checked and completed (see the module comment); a usage error when it cannot work. */
export function checkMachineSpec(choice: MachineChoice): MachineChoice {
  const { machineType, acceleratorType } = choice;
  if (!acceleratorType) {
    if (ACCELERATOR_MACHINES.test(machineType)) {
      const match = Object.entries(RULES).find(([, rule]) => rule.countFor(machineType));
      throw new MlopsError('MLOPS_ERR_USAGE', `${machineType} comes with accelerators, and none was given`, {
        hint: match
          ? `Pass --accelerator ${match[0]} (${match[1].countFor(machineType)?.[0]} per machine), or choose an n1/e2/n2 machine to train on CPU.`
          : 'Pass --accelerator <type>, or choose an n1/e2/n2 machine to train on CPU.',
      });
    }
    return { machineType };
  }
  const rule = knownRule(acceleratorType);
  const counts = rule.countFor(machineType);
  if (!counts) {
    throw new MlopsError(
      'MLOPS_ERR_USAGE',
      `${acceleratorType} does not fit machine type ${machineType}: ${rule.name} needs ${/^[aefhilmnorsx]/.test(rule.family) ? 'an' : 'a'} ${rule.family} machine`,
      { hint: `Pass --machine-type ${rule.examples.split(',')[0]} (${rule.family}: ${rule.examples}).` },
    );
  }
  const count = choice.acceleratorCount ?? counts[0] ?? 1;
  if (!counts.includes(count)) {
    throw new MlopsError(
      'MLOPS_ERR_USAGE',
      `${machineType} takes ${counts.join(', ')} × ${acceleratorType}, not ${count}`,
      {
        hint:
          counts.length === 1
            ? `Drop --accelerator-count (the machine type fixes it), or pick the ${rule.family} machine with ${count} GPUs (${rule.examples}).`
            : `Pass --accelerator-count ${counts.join(' or ')}.`,
      },
    );
  }
  return { machineType, acceleratorType, acceleratorCount: count };
}

/**
 * Accelerators the GPU image drives (the image mlops builds for a job with an accelerator: CUDA
 * 11.2 + cuDNN 8, because `@tensorflow/tfjs-node-gpu` 4.22 runs on libtensorflow 2.9.1, which
 * TensorFlow builds against CUDA 11.2 and cuDNN 8.1). Compute capabilities per NVIDIA's CUDA GPU
 * list; CUDA 11.2 targets compute capability up to 8.6, and Ampere (8.0) needs CUDA 11.0 or later.
 */
export const GPU_IMAGE_ACCELERATORS: readonly string[] = [
  'NVIDIA_TESLA_T4', // Turing, 7.5
  'NVIDIA_TESLA_V100', // Volta, 7.0
  'NVIDIA_TESLA_P100', // Pascal, 6.0
  'NVIDIA_TESLA_P4', // Pascal, 6.1
  'NVIDIA_TESLA_A100', // Ampere, 8.0
  'NVIDIA_A100_80GB', // Ampere, 8.0: the same GA100 chip as the 40 GB A100, so CUDA 11.2 drives it too
];

/**
 * Why the GPU image cannot use the others. Ada (8.9) and Hopper (9.0) arrived in CUDA 11.8 (and
 * cuDNN 8.1 stops at Ampere); Blackwell (10.0, 12.0) in CUDA 12.8. The K80 is CUDA-11 hardware,
 * but Vertex AI's v1 enum marks it deprecated: Google Cloud ended its support.
 */
const NOT_ON_CUDA_11_2: Record<string, string> = {
  NVIDIA_TESLA_K80:
    'Google Cloud ended support for the K80 (deprecated in the Vertex AI API, https://cloud.google.com/compute/docs/eol/k80-eol)',
  NVIDIA_L4: 'an L4 (Ada Lovelace, compute capability 8.9) needs CUDA 11.8 or later',
  NVIDIA_H100_80GB: 'an H100 (Hopper, compute capability 9.0) needs CUDA 11.8 or later',
  NVIDIA_H100_MEGA_80GB: 'an H100 Mega (Hopper, compute capability 9.0) needs CUDA 11.8 or later',
  NVIDIA_H200_141GB: 'an H200 (Hopper, compute capability 9.0) needs CUDA 11.8 or later',
  NVIDIA_B200: 'a B200 (Blackwell, compute capability 10.0) needs CUDA 12.8 or later',
  NVIDIA_GB200: 'a GB200 (Blackwell, compute capability 10.0) needs CUDA 12.8 or later',
  NVIDIA_RTX_PRO_6000: 'an RTX PRO 6000 (Blackwell, compute capability 12.0) needs CUDA 12.8 or later',
};

/**
 * Refuses an accelerator the GPU image cannot use (see {@link GPU_IMAGE_ACCELERATORS}), before an
 * image is built or a job queued. Machine and count are checked by {@link checkMachineSpec}.
 */
export function checkGpuImageAccelerator(acceleratorType: string): void {
  if (GPU_IMAGE_ACCELERATORS.includes(acceleratorType)) return;
  knownRule(acceleratorType);
  const why = acceleratorType.startsWith('TPU_')
    ? 'a TPU is not a CUDA device, and TensorFlow.js has no TPU backend'
    : (NOT_ON_CUDA_11_2[acceleratorType] ?? 'it is not known to work with CUDA 11.2');
  throw new MlopsError(
    'MLOPS_ERR_USAGE',
    `${acceleratorType} cannot run the GPU training image: it is CUDA 11.2 + cuDNN 8, what @tensorflow/tfjs-node-gpu 4.22 (libtensorflow 2.9.1) is built for, and ${why}`,
    {
      hint: `Use an accelerator CUDA 11.2 supports: ${GPU_IMAGE_ACCELERATORS.map((a) => `${a} (${RULES[a]?.examples.split(',')[0]})`).join(', ')}; or bring an image built for this GPU with --image.`,
    },
  );
}
