import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { buildModel } from '../../src/models/index.js';
import { softmaxCrossEntropy } from '../../src/train/loss.js';
import { trainableVariables } from '../../src/train/model-variables.js';

it('prof', async () => {
  await tf.setBackend('cpu');
  for (const arch of ['mobilenetv4_hybrid_medium']) {
    const model = buildModel(arch, {
      numClasses: 4,
      inputSize: 32,
      inputChannels: 3,
      widthMultiplier: arch.includes('hybrid') ? 0.125 : 0.35,
      dropout: 0,
      seed: 3,
    });
    const params = trainableVariables(model).filter((v) => !/^(conv_stem|bn1|blocks\.0\.)/.test(v.name));
    const x = tf.randomUniform([4, 64, 64, 3]);
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    for (let i = 0; i < 1; i++) {
      const t0 = Date.now();
      const prof = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(
          () => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y, 0) as tf.Scalar,
          params as tf.Variable[],
        );
        tf.dispose([value, ...Object.values(grads)]);
      });
      const byKernel = new Map<string, number>();
      for (const k of prof.kernels)
        byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
      if (i === 0)
        console.log(
          prof.kernels
            .filter(() => true)
            .sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number))
            .slice(0, 8)
            .map(
              (k) =>
                `${(k.kernelTimeMs as number).toFixed(0)}ms ${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}`,
            ),
        );
      console.log(
        arch,
        'step',
        i,
        Date.now() - t0,
        'ms',
        [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 6),
      );
    }
  }
});
