/** ResNet-18 for ImageNet with torchvision's node and tensor names (layer2.0.conv1, ...). */
import type { BatchNormNode, Conv2dNode } from '../model/types.js';
import type { Architecture, ZooMode } from './architecture.js';
import type { GraphBuilder } from './builder.js';
import { IMAGENET } from './imagenet.js';
import { type Named, layerBlock, withBatchNorm } from './layers.js';

const bn = (name: string): Named<BatchNormNode> => ({ op: 'batchnorm', name });

/**
 * A basic block reading the node `input`; returns the name of its output. The shortcut stays
 * full precision: a 1x1 conv and batchnorm where the stride or channel count changes.
 */
function basicBlock(b: GraphBuilder, mode: ZooMode, prefix: string, input: string, outChannels: number, stride: number): string {
  const conv3x3 = (index: number, s: number): Named<Conv2dNode> => ({
    op: 'conv2d',
    name: `${prefix}.conv${index}`,
    outChannels,
    kernel: 3,
    stride: s,
    padding: 1,
    bias: false,
  });

  layerBlock(b, mode, conv3x3(1, stride), bn(`${prefix}.bn1`));
  const residual = withBatchNorm(b, mode, conv3x3(2, 1), bn(`${prefix}.bn2`));
  let shortcut = input;
  if (stride !== 1 || b.shape(input)[0] !== outChannels) {
    shortcut = `${prefix}.downsample.1`;
    b.add({ op: 'conv2d', name: `${prefix}.downsample.0`, in: input, outChannels, kernel: 1, stride, bias: false });
    b.add(bn(shortcut));
  }
  b.add({ op: 'add', name: `${prefix}.add`, in: [residual, shortcut] });
  b.add({ op: 'relu', name: `${prefix}.relu` });
  return `${prefix}.relu`;
}

export const resnet18: Architecture = {
  ...IMAGENET,
  build(b: GraphBuilder, mode: ZooMode) {
    const stem = { op: 'conv2d', name: 'conv1', outChannels: 64, kernel: 7, stride: 2, padding: 3, bias: false } as const;
    layerBlock(b, 'float', stem, bn('bn1'));
    b.add({ op: 'maxpool2d', name: 'maxpool', kernel: 3, stride: 2, padding: 1 });
    let output = 'maxpool';
    [64, 128, 256, 512].forEach((channels, stage) => {
      for (let block = 0; block < 2; block++) {
        const stride = stage > 0 && block === 0 ? 2 : 1;
        output = basicBlock(b, mode, `layer${stage + 1}.${block}`, output, channels, stride);
      }
    });
    b.add({ op: 'globalavgpool', name: 'avgpool' });
    b.add({ op: 'flatten' });
    b.add({ op: 'linear', name: 'fc', outFeatures: 1000 });
  },
};
