/**
 * The model zoo builds valid graphs with the documented structure and reproducible weights.
 * Parameter counts are recomputed here from the layer lists, independently of the builder.
 */
import { shapeSize } from '../src/tensor/tensor.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ModelNode } from '../src/model/types.js';
import { type ZooModel, zooModel, zooNames } from '../src/zoo/index.js';

// AlexNet alone is ~60M floats: build each model once and share it between tests.
const cache = new Map<string, ZooModel>();
function built(name: string): ZooModel {
  let model = cache.get(name);
  if (model === undefined) {
    model = zooModel(name);
    cache.set(name, model);
  }
  return model;
}

/** Tensor name -> hash of shape and bytes: cheaper to compare than millions of floats. */
const fingerprint = ({ weights }: ZooModel): Map<string, string> =>
  new Map(
    [...weights].map(([tensorName, { shape, data }]) => [
      tensorName,
      createHash('sha256')
        .update(shape.join())
        .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
        .digest('hex'),
    ]),
  );

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const totalWeights = ({ weights }: ZooModel): number => sum([...weights.values()].map((t) => t.data.length));

// Stored floats per layer, as PyTorch counts them.
const conv = (cout: number, cin: number, k: number, bias = true) => cout * cin * k * k + (bias ? cout : 0);
const linear = (out: number, inp: number, bias = true) => out * inp + (bias ? out : 0);
/** weight, bias (when affine), running_mean, running_var */
const bn = (channels: number, affine = true) => (affine ? 4 : 2) * channels;

const hasWeights = (node: ModelNode) => ['conv2d', 'binconv2d', 'linear', 'binlinear'].includes(node.op);
const isBinary = (node: ModelNode) => node.op === 'binconv2d' || node.op === 'binlinear';

describe('zoo names', () => {
  it('lists four architectures in three modes', () => {
    expect(zooNames()).toEqual(
      ['lenet5', 'nin', 'alexnet', 'resnet18'].flatMap((arch) => ['float', 'bwn', 'xnor'].map((mode) => `${arch}-${mode}`)),
    );
  });

  it('rejects an unknown name, listing the available ones', () => {
    for (const name of ['vgg16-xnor', 'lenet5', 'lenet5-int8', '']) {
      expect(() => zooModel(name)).toThrow(`available: ${zooNames().join(', ')}`);
    }
  });
});

describe.each(zooNames())('%s', (name) => {
  const mode = name.slice(name.lastIndexOf('-') + 1);

  it('has the model header', () => {
    const { json } = built(name);
    expect(json).toMatchObject({ format: 'xnornet', version: 1, name, weights: `${name}.safetensors` });
    expect(json.labels).toHaveLength(name.startsWith('lenet5') || name.startsWith('nin') ? 10 : 1000);
  });

  it('names nodes uniquely and reads only earlier nodes', () => {
    const seen = new Set(['input']);
    for (const node of built(name).json.nodes) {
      for (const source of [node.in ?? []].flat()) expect(seen, `${node.op} reads "${source}"`).toContain(source);
      if (node.name === undefined) continue;
      expect(seen, 'duplicate name').not.toContain(node.name);
      seen.add(node.name);
    }
  });

  it('states the stride of every pooling node', () => {
    const pools = built(name).json.nodes.filter((node) => node.op === 'maxpool2d' || node.op === 'avgpool2d');
    expect(pools.length).toBeGreaterThan(0);
    for (const pool of pools) expect(pool).toHaveProperty('stride');
  });

  it("binarizes the middle layers in the variant's mode and keeps the first and last at full precision", () => {
    const layers = built(name).json.nodes.filter(hasWeights);
    expect(isBinary(layers[0]!)).toBe(false);
    expect(isBinary(layers.at(-1)!)).toBe(false);
    const binary = layers.filter(isBinary);
    if (mode === 'float') expect(binary).toEqual([]);
    else for (const node of binary) expect(node).toMatchObject({ mode });
  });

  it('stores F32 tensors whose length matches the shape, each belonging to a node', () => {
    const { json, weights } = built(name);
    const nodeNames = new Set(json.nodes.map((node) => node.name));
    expect(weights.size).toBeGreaterThan(0);
    for (const [tensorName, tensor] of weights) {
      expect(tensor.dtype).toBe('F32');
      expect(tensor.data).toBeInstanceOf(Float32Array);
      expect(tensor.data.length).toBe(shapeSize(tensor.shape));
      expect(nodeNames).toContain(tensorName.slice(0, tensorName.lastIndexOf('.')));
    }
  });
});

describe('weights', () => {
  it('are the same for the same seed (1 by default) and differ for another seed', () => {
    const seven = fingerprint(zooModel('lenet5-xnor', { seed: 7 }));
    expect(fingerprint(zooModel('lenet5-xnor', { seed: 7 }))).toEqual(seven);
    const eight = fingerprint(zooModel('lenet5-xnor', { seed: 8 }));
    for (const [tensorName, hash] of seven) expect(eight.get(tensorName), tensorName).not.toBe(hash);
    expect(fingerprint(zooModel('nin-bwn', { seed: 1 }))).toEqual(fingerprint(built('nin-bwn')));
  });

  it('follow the documented distributions', () => {
    const { weights } = built('resnet18-float');
    const stats = (tensorName: string) => {
      const data = Array.from(weights.get(tensorName)!.data);
      const mean = data.reduce((s, v) => s + v, 0) / data.length;
      const std = Math.sqrt(data.reduce((s, v) => s + (v - mean) ** 2, 0) / data.length);
      return { mean, std, min: data.reduce((a, b) => Math.min(a, b)), max: data.reduce((a, b) => Math.max(a, b)) };
    };
    const he = stats('layer4.1.conv2.weight'); // fan_in 512*3*3
    expect(he.mean).toBeCloseTo(0, 3);
    expect(he.std).toBeCloseTo(Math.sqrt(2 / (512 * 9)), 3);
    const scale = stats('layer4.1.bn2.weight');
    expect(scale.min).toBeGreaterThanOrEqual(0.5);
    expect(scale.max).toBeLessThan(1.5);
    expect(stats('fc.bias').std).toBeCloseTo(0.01, 2);
  });
});

describe('lenet5', () => {
  it('xnor is the example graph of model-format.md', () => {
    expect(built('lenet5-xnor').json.nodes).toEqual([
      { op: 'conv2d', name: 'conv1', outChannels: 20, kernel: 5 },
      { op: 'batchnorm', name: 'bn1', affine: false, eps: 1e-4 },
      { op: 'relu' },
      { op: 'maxpool2d', kernel: 2, stride: 2 },
      { op: 'batchnorm', name: 'bn2', eps: 1e-4 },
      { op: 'binconv2d', name: 'conv2', mode: 'xnor', outChannels: 50, kernel: 5 },
      { op: 'relu' },
      { op: 'maxpool2d', kernel: 2, stride: 2 },
      { op: 'flatten' },
      { op: 'batchnorm', name: 'bn3', eps: 1e-4 },
      { op: 'binlinear', name: 'fc1', mode: 'xnor', outFeatures: 500 },
      { op: 'relu' },
      { op: 'linear', name: 'fc2', outFeatures: 10 },
    ]);
  });

  it('xnor has the learnable weights of conv1, conv2, fc1 and fc2', () => {
    const { weights } = built('lenet5-xnor');
    const count = (layer: string) => sum(['weight', 'bias'].map((kind) => weights.get(`${layer}.${kind}`)!.data.length));
    expect(count('conv1')).toBe(conv(20, 1, 5)); // 520
    expect(count('conv2')).toBe(conv(50, 20, 5)); // 25050
    expect(count('fc1')).toBe(linear(500, 50 * 4 * 4)); // 400500
    expect(count('fc2')).toBe(linear(10, 500)); // 5010
    expect(totalWeights(built('lenet5-xnor'))).toBe(
      conv(20, 1, 5) + bn(20, false) + bn(20) + conv(50, 20, 5) + bn(800) + linear(500, 800) + linear(10, 500),
    );
  });

  it('bwn differs from xnor only in the mode; float is the classic network without batchnorm', () => {
    const xnorAsBwn = built('lenet5-xnor').json.nodes.map((node) => (isBinary(node) ? { ...node, mode: 'bwn' } : node));
    expect(built('lenet5-bwn').json.nodes).toEqual(xnorAsBwn);
    expect(built('lenet5-float').json.nodes.map((node) => node.op)).toEqual([
      'conv2d',
      'relu',
      'maxpool2d',
      'conv2d',
      'relu',
      'maxpool2d',
      'flatten',
      'linear',
      'relu',
      'linear',
    ]);
  });
});

describe('nin', () => {
  it('binary layers run without the K factor in xnor mode', () => {
    const binary = built('nin-xnor').json.nodes.filter(isBinary);
    expect(binary).toHaveLength(7);
    for (const node of binary) expect(node).toMatchObject({ scaleInput: false });
    for (const node of built('nin-bwn').json.nodes.filter(isBinary)) expect(node).not.toHaveProperty('scaleInput');
  });

  it('has the weights of its layer list', () => {
    // [inChannels, outChannels, kernel] of the binary convs
    const blocks = [
      [192, 160, 1],
      [160, 96, 1],
      [96, 192, 5],
      [192, 192, 1],
      [192, 192, 1],
      [192, 192, 3],
      [192, 192, 1],
    ] as const;
    const stemAndClassifier = conv(192, 3, 5) + bn(192, false) + bn(192, false) + conv(10, 192, 1);
    const binary = blocks.map(([i, o, k]) => bn(i) + conv(o, i, k));
    const float = blocks.map(([i, o, k]) => conv(o, i, k) + bn(o));
    expect(totalWeights(built('nin-xnor'))).toBe(stemAndClassifier + sum(binary));
    expect(totalWeights(built('nin-float'))).toBe(stemAndClassifier + sum(float));
  });
});

describe('alexnet', () => {
  const flat = 256 * 6 * 6; // conv5 output after the last pool: 224 -> 55 -> 27 -> 13 -> 6

  it('binary: each batchnorm normalizes its layer input', () => {
    expect(totalWeights(built('alexnet-xnor'))).toBe(
      conv(96, 3, 11) +
        bn(96) +
        bn(96) +
        conv(256, 96, 5) +
        bn(256) +
        conv(384, 256, 3) +
        bn(384) +
        conv(384, 384, 3) +
        bn(384) +
        conv(256, 384, 3) +
        bn(flat) +
        linear(4096, flat) +
        bn(4096) +
        linear(4096, 4096) +
        linear(1000, 4096),
    );
  });

  it('float: each batchnorm normalizes its layer output', () => {
    expect(totalWeights(built('alexnet-float'))).toBe(
      conv(96, 3, 11) +
        bn(96) +
        conv(256, 96, 5) +
        bn(256) +
        conv(384, 256, 3) +
        bn(384) +
        conv(384, 384, 3) +
        bn(384) +
        conv(256, 384, 3) +
        bn(256) +
        linear(4096, flat) +
        bn(4096) +
        linear(4096, 4096) +
        bn(4096) +
        linear(1000, 4096),
    );
  });
});

describe('resnet18', () => {
  // [inChannels, outChannels] of the eight basic blocks; a change of channels also halves the size.
  const blocks = [
    [64, 64],
    [64, 64],
    [64, 128],
    [128, 128],
    [128, 256],
    [256, 256],
    [256, 512],
    [512, 512],
  ] as const;
  const shortcut = (i: number, o: number) => (i === o ? 0 : conv(o, i, 1, false) + bn(o));
  const stemAndHead = conv(64, 3, 7, false) + bn(64) + linear(1000, 512);

  it('binary blocks: bn -> binconv -> relu -> bn -> binconv, plus the shortcut', () => {
    const perBlock = blocks.map(([i, o]) => bn(i) + conv(o, i, 3, false) + bn(o) + conv(o, o, 3, false) + shortcut(i, o));
    expect(totalWeights(built('resnet18-xnor'))).toBe(stemAndHead + sum(perBlock));
  });

  // Without the running statistics this is torchvision's 11,689,512 parameters.
  it('float blocks: the standard ResNet-18', () => {
    const perBlock = blocks.map(([i, o]) => conv(o, i, 3, false) + bn(o) + conv(o, o, 3, false) + bn(o) + shortcut(i, o));
    expect(totalWeights(built('resnet18-float'))).toBe(stemAndHead + sum(perBlock));
  });

  it('adds the residual to the block input, through a downsample where the shape changes', () => {
    const adds = built('resnet18-xnor').json.nodes.filter((node) => node.op === 'add');
    expect(adds.map((node) => node.in)).toEqual([
      ['layer1.0.conv2', 'maxpool'],
      ['layer1.1.conv2', 'layer1.0.relu'],
      ['layer2.0.conv2', 'layer2.0.downsample.1'],
      ['layer2.1.conv2', 'layer2.0.relu'],
      ['layer3.0.conv2', 'layer3.0.downsample.1'],
      ['layer3.1.conv2', 'layer3.0.relu'],
      ['layer4.0.conv2', 'layer4.0.downsample.1'],
      ['layer4.1.conv2', 'layer4.0.relu'],
    ]);
    const floatAdds = built('resnet18-float').json.nodes.filter((node) => node.op === 'add');
    expect(floatAdds[2]!.in).toEqual(['layer2.0.bn2', 'layer2.0.downsample.1']);
  });
});
