/** AlexNet for ImageNet with a batchnorm per layer, as XNOR-Net binarizes it. */
import type { BatchNormNode } from '../model/types.js';
import type { Architecture, ZooMode } from './architecture.js';
import type { GraphBuilder } from './builder.js';
import { IMAGENET } from './imagenet.js';
import { type Named, layerBlock } from './layers.js';

export const alexnet: Architecture = {
  ...IMAGENET,
  build(b: GraphBuilder, mode: ZooMode) {
    const bn = (name: string): Named<BatchNormNode> => ({ op: 'batchnorm', name });
    const maxpool = () => b.add({ op: 'maxpool2d', kernel: 3, stride: 2 });

    const stem = { op: 'conv2d', name: 'conv1', outChannels: 96, kernel: 11, stride: 4, padding: 2 } as const;
    layerBlock(b, 'float', stem, bn('bn1'));
    maxpool();
    layerBlock(b, mode, { op: 'conv2d', name: 'conv2', outChannels: 256, kernel: 5, padding: 2 }, bn('bn2'));
    maxpool();
    layerBlock(b, mode, { op: 'conv2d', name: 'conv3', outChannels: 384, kernel: 3, padding: 1 }, bn('bn3'));
    layerBlock(b, mode, { op: 'conv2d', name: 'conv4', outChannels: 384, kernel: 3, padding: 1 }, bn('bn4'));
    layerBlock(b, mode, { op: 'conv2d', name: 'conv5', outChannels: 256, kernel: 3, padding: 1 }, bn('bn5'));
    maxpool();
    b.add({ op: 'flatten' });
    layerBlock(b, mode, { op: 'linear', name: 'fc6', outFeatures: 4096 }, bn('bn6'));
    layerBlock(b, mode, { op: 'linear', name: 'fc7', outFeatures: 4096 }, bn('bn7'));
    b.add({ op: 'linear', name: 'fc8', outFeatures: 1000 });
  },
};
