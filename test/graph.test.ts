/** model.json validation: every malformed graph gets an error that names the node and the problem. */
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../src/model/errors.js';
import { buildGraph } from '../src/model/graph.js';

const base = () => ({
  format: 'xnornet',
  version: 1,
  name: 'tiny',
  input: { shape: [3, 8, 8] },
  weights: 'tiny.safetensors',
  nodes: [
    { op: 'conv2d', name: 'conv1', outChannels: 4, kernel: 3, padding: 1 },
    { op: 'batchnorm', name: 'bn1' },
    { op: 'binconv2d', name: 'conv2', mode: 'xnor', outChannels: 6, kernel: [3, 1], stride: 2 },
    { op: 'relu', name: 'act' },
    { op: 'maxpool2d', kernel: 2, stride: 2 },
    { op: 'flatten' },
    { op: 'linear', name: 'fc', outFeatures: 10 },
  ] as Record<string, unknown>[],
});

function fails(mutate: (json: ReturnType<typeof base>) => void, message: string | RegExp) {
  const json = base();
  mutate(json);
  let error: unknown;
  try {
    buildGraph(json, 'tiny.json');
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ModelFormatError);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message.startsWith('tiny.json: ')).toBe(true);
}

describe('buildGraph', () => {
  it('infers every output shape and applies the defaults', () => {
    const g = buildGraph(base(), 'tiny.json');
    expect(g.nodes.map((n) => n.shape)).toEqual([[4, 8, 8], [4, 8, 8], [6, 3, 4], [6, 3, 4], [6, 1, 2], [12], [10]]);
    expect(g.nodes[2]!.attrs).toEqual({
      op: 'binconv2d',
      mode: 'xnor',
      outChannels: 6,
      kernel: [3, 1],
      stride: [2, 2],
      padding: [0, 0],
      bias: true,
      scaleInput: true,
    });
    expect(g.nodes[1]!.attrs).toEqual({ op: 'batchnorm', eps: 1e-5, affine: true });
    expect(g.nodes[4]!.name).toBe('maxpool2d#4');
    expect(g.outputs).toEqual(['fc']);
  });

  it('rejects an unknown format, version or op', () => {
    fails((j) => (j.format = 'onnx'), '"format" must be "xnornet"');
    fails((j) => ((j as { version: number }).version = 2), 'format version 2 is not supported (this reader knows version 1)');
    fails((j) => (j.nodes[3] = { op: 'gelu', name: 'act' }), 'node 3 "act": unknown op "gelu" (version 1 ops: conv2d,');
  });

  it('rejects bad attributes, naming the node', () => {
    fails((j) => (j.nodes[0]!['outChannels'] = 0), 'node 0 "conv1": "outChannels" must be a positive integer, got 0');
    fails((j) => (j.nodes[0]!['kernel'] = [3]), 'node 0 "conv1": "kernel" must be an integer >= 1 or [h, w], got [3]');
    fails((j) => (j.nodes[2]!['mode'] = 'int8'), 'node 2 "conv2": "mode" must be "bwn" or "xnor", got "int8"');
    fails((j) => (j.nodes[0]!['strid'] = 2), 'node 0 "conv1": unknown attribute(s) "strid" for conv2d');
    fails((j) => (j.nodes[1]!['eps'] = -1), '"eps" must be a positive number, got -1');
    fails((j) => (j.nodes[3] = { op: 'hardtanh', min: 1, max: 0 }), '"max" must be a number above min (1), got 0');
  });

  it('rejects shapes that do not fit, naming the node', () => {
    fails(
      (j) => (j.nodes[0]!['kernel'] = 11),
      'node 0 "conv1": conv2d: a 11x11 window with stride [1, 1] and padding [1, 1] does not fit an input of 8x8',
    );
    fails((j) => j.nodes.splice(5, 1), 'node 5 "fc": linear needs an input [F], got [6, 1, 2] (add a flatten before it)');
    fails((j) => j.nodes.unshift({ op: 'flatten' }), 'node 1 "conv1": conv2d needs an input [C, H, W], got [192]');
    fails((j) => (j.input = { shape: [3, 8] }), '"input.shape" must be [C, H, W] or [F] of positive integers, got [3,8]');
  });

  it('rejects bad references: missing, later, duplicate, outputs', () => {
    fails((j) => (j.nodes[1]!['in'] = 'nope'), 'node 1 "bn1": "in" names "nope", which is not a node (nor "input")');
    fails((j) => (j.nodes[1]!['in'] = 'act'), 'node 1 "bn1": "in" names "act", which comes later in the graph');
    fails((j) => (j.nodes[3]!['name'] = 'conv1'), 'node 3 "conv1": the name "conv1" is used twice');
    fails((j) => ((j as Record<string, unknown>)['outputs'] = ['ghost']), '"outputs" names "ghost", which is not a node');
    fails((j) => j.nodes.push({ op: 'add', in: ['fc'] }), 'add needs at least two inputs in "in", got 1');
    fails((j) => j.nodes.push({ op: 'add', in: ['fc', 'act'] }), 'add inputs differ in shape: [10] vs [6, 3, 4]');
    fails((j) => (j.nodes[1]!['in'] = ['conv1', 'input']), 'batchnorm takes one input, "in" names 2');
  });

  it('rejects what is not a model at all', () => {
    for (const junk of [null, 3, 'text', [], { format: 'xnornet', version: 1, weights: 'w', input: { shape: [1] }, nodes: [] }]) {
      expect(() => buildGraph(junk, 'x.json')).toThrow(ModelFormatError);
    }
  });
});
