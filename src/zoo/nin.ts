/**
 * Network-in-Network for CIFAR-10, as in the widely used PyTorch XNOR-Net re-implementation
 * (its binary layers run without the K factor). The full-precision first and last layers are
 * the same in every variant.
 */
import type { BatchNormNode, Conv2dNode } from '../model/types.js';
import type { Architecture, ZooMode } from './architecture.js';
import type { GraphBuilder } from './builder.js';
import { type Named, layerBlock } from './layers.js';

export const nin: Architecture = {
  input: [3, 32, 32],
  labels: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  preprocess: { scale: 1 / 255, mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  build(b: GraphBuilder, mode: ZooMode) {
    const conv = (index: number, outChannels: number, kernel: number, padding: number): Named<Conv2dNode> => ({
      op: 'conv2d',
      name: `conv${index}`,
      outChannels,
      kernel,
      padding,
    });
    const bn = (index: number, affine?: false): Named<BatchNormNode> => ({
      op: 'batchnorm',
      name: `bn${index}`,
      ...(affine === false ? { affine } : {}),
      eps: 1e-4,
    });
    const binaryBlock = (index: number, outChannels: number, kernel: number, padding = 0) =>
      layerBlock(b, mode, conv(index, outChannels, kernel, padding), bn(index), false);

    layerBlock(b, 'float', conv(1, 192, 5, 2), bn(1, false));
    binaryBlock(2, 160, 1);
    binaryBlock(3, 96, 1);
    b.add({ op: 'maxpool2d', kernel: 3, stride: 2, padding: 1 });
    b.add({ op: 'dropout' });
    binaryBlock(4, 192, 5, 2);
    binaryBlock(5, 192, 1);
    binaryBlock(6, 192, 1);
    b.add({ op: 'avgpool2d', kernel: 3, stride: 2, padding: 1 });
    b.add({ op: 'dropout' });
    binaryBlock(7, 192, 3, 1);
    binaryBlock(8, 192, 1);
    b.add(bn(9, false));
    b.add(conv(9, 10, 1, 0));
    b.add({ op: 'relu' });
    b.add({ op: 'avgpool2d', kernel: 8, stride: 1 });
    b.add({ op: 'flatten' });
  },
};
