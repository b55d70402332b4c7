/** LeNet-5 for MNIST; the xnor variant is the example model of model-format.md. */
import type { BatchNormNode } from '../model/types.js';
import type { Architecture, ZooMode } from './architecture.js';
import type { GraphBuilder } from './builder.js';
import { type Named, layerBlock } from './layers.js';

export const lenet5: Architecture = {
  input: [1, 28, 28],
  labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  preprocess: { scale: 1 / 255, mean: [0.1307], std: [0.3081] },
  build(b: GraphBuilder, mode: ZooMode) {
    // The classic LeNet has no batchnorm; the binary variants need it to centre what they binarize.
    const bn = (name: string, affine?: false): Named<BatchNormNode> | undefined =>
      mode === 'float' ? undefined : { op: 'batchnorm', name, ...(affine === false ? { affine } : {}), eps: 1e-4 };

    layerBlock(b, 'float', { op: 'conv2d', name: 'conv1', outChannels: 20, kernel: 5 }, bn('bn1', false));
    b.add({ op: 'maxpool2d', kernel: 2, stride: 2 });
    layerBlock(b, mode, { op: 'conv2d', name: 'conv2', outChannels: 50, kernel: 5 }, bn('bn2'));
    b.add({ op: 'maxpool2d', kernel: 2, stride: 2 });
    b.add({ op: 'flatten' });
    layerBlock(b, mode, { op: 'linear', name: 'fc1', outFeatures: 500 }, bn('bn3'));
    b.add({ op: 'linear', name: 'fc2', outFeatures: 10 });
  },
};
