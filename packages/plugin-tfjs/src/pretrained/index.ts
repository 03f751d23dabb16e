/** Pretrained weights: timm checkpoints (safetensors + config.json), the Hugging Face Hub, head planning. */
export * from './checkpoint-defaults.js';
export * from './hf-hub.js';
export * from './safetensors.js';
export * from './timm-checkpoint.js';
export * from './timm-config.js';
export * from './timm-weights.js';
