/**
 * Loading a model from its two files, model.json and safetensors (model-format.md), on the CPU
 * only: every weight problem is a ModelFormatError naming the node and the tensor; packed
 * weights (`weight_bits` + `alpha`) and every way of writing a model back give bit-identical
 * reference outputs; damaged files are rejected with a ModelFormatError and nothing else.
 */
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReference } from '../src/backends/reference.js';
import { ModelFormatError } from '../src/model/errors.js';
import type { Shape } from '../src/model/graph.js';
import { type Model, modelFromFiles } from '../src/model/model.js';
import { loadModel } from '../src/runner/load.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import { writeNpy } from '../src/model/npy.js';
import { packedTensors, saveModel } from '../src/model/save.js';
import type { ModelJson, StoredTensor } from '../src/model/types.js';
import { Tensor, shapeSize } from '../src/tensor/tensor.js';
import type { Rng } from '../src/util/random.js';
import { type ZooModel, zooModel, zooNames } from '../src/zoo/index.js';
import { expectOnlyFormatErrors, mutateBytes, formatErrorOf } from './helpers/fuzz.js';
import { randomTensor, testRng } from './helpers/random.js';

const SOURCE = 'lenet.json';
/** The file name weight errors carry: the safetensors file, and the model.json it belongs to. */
const WEIGHTS_FILE = `lenet5-xnor.safetensors (weights of ${SOURCE})`;

// Zoo models are built once (seed 1) and shared; tests copy before they change anything.
const zooCache = new Map<string, ZooModel>();
function zoo(name: string): ZooModel {
  let model = zooCache.get(name);
  if (model === undefined) {
    model = zooModel(name);
    zooCache.set(name, model);
  }
  return model;
}

/** The model loaded through modelFromFiles from JSON text and safetensors bytes. */
function fromFiles(json: unknown, tensors: ReadonlyMap<string, StoredTensor>, source = SOURCE): Model {
  return modelFromFiles({ json: JSON.stringify(json), weights: writeSafetensors(tensors), source });
}

async function asyncFormatErrorOf(load: () => Promise<unknown>): Promise<ModelFormatError> {
  try {
    await load();
  } catch (err) {
    if (err instanceof ModelFormatError) return err;
    throw err;
  }
  throw new Error('expected a ModelFormatError, but the model was loaded');
}

/** lenet5-xnor's tensors with `edit` applied to a copy of the map. */
function lenetTensors(edit: (tensors: Map<string, StoredTensor>) => void, base = zoo('lenet5-xnor').weights): Map<string, StoredTensor> {
  const tensors = new Map(base);
  edit(tensors);
  return tensors;
}

/** A copy of `tensor` with its data changed by `change`. */
function changed(tensor: StoredTensor | undefined, change: (data: StoredTensor['data']) => void): StoredTensor {
  if (tensor === undefined) throw new Error('no such tensor');
  const data = tensor.data.slice();
  change(data);
  return { ...tensor, data };
}

/** Loading lenet5-xnor with these tensors fails with a weights-file error containing every one of `words`. */
function expectWeightError(tensors: ReadonlyMap<string, StoredTensor>, ...words: string[]): void {
  const err = formatErrorOf(() => fromFiles(zoo('lenet5-xnor').json, tensors));
  expect(err.file).toBe(WEIGHTS_FILE);
  expect(err.message.startsWith(`${WEIGHTS_FILE}: `), err.message).toBe(true);
  for (const word of words) expect(err.message).toContain(word);
}

/** Bit patterns, so that -0, NaN and every float compare exactly. */
const bitsOf = (data: Float32Array) => [...new Uint32Array(data.buffer, data.byteOffset, data.length)];

/** Seeded inputs [batch, ...input shape] for a model. */
function inputsFor(model: Model, rng: Rng, count: number, batch: number): Tensor<Float32Array>[] {
  return Array.from({ length: count }, () => randomTensor(rng, [batch, ...model.graph.inputShape]));
}

/** `actual` gives bit-identical reference outputs to `expected` on every input. */
function expectSameOutputs(actual: Model, expected: Model, inputs: Tensor<Float32Array>[], what: string): void {
  expect(actual.graph.outputs, what).toEqual(expected.graph.outputs);
  inputs.forEach((input, i) => {
    const want = runReference(expected.graph, expected.weights, input);
    const got = runReference(actual.graph, actual.weights, input);
    for (const [name, y] of want) {
      const other = got.get(name);
      expect(other?.shape, `${what}, input ${i}, output "${name}"`).toEqual(y.shape);
      expect(bitsOf(other!.data), `${what}, input ${i}, output "${name}"`).toEqual(bitsOf(y.data));
    }
  });
}

/** Every node's input shape (its first input's), by node name. */
function inputShapes(model: Model): Map<string, Shape> {
  const shapes = new Map<string, Shape>([['input', model.graph.inputShape]]);
  const inputs = new Map<string, Shape>();
  for (const node of model.graph.nodes) {
    inputs.set(node.name, shapes.get(node.inputs[0]!)!);
    shapes.set(node.name, node.shape);
  }
  return inputs;
}

/**
 * Checks `bits` and `alpha` against the float weight independently of the packer:
 * W [Cout, Cin, ...taps] -> bits [Cout, ...taps, ceil(Cin/32)], bit c%32 of word c/32 set iff
 * W >= 0, padding bits 0; alpha[o] = mean |W[o]|.
 */
function expectPackedFrom(name: string, weight: StoredTensor, bits: StoredTensor, alpha: StoredTensor): void {
  const [cout, cin, ...taps] = weight.shape as [number, number, ...number[]];
  const plane = shapeSize(taps);
  const words = Math.ceil(cin / 32);
  expect([bits.dtype, bits.shape, bits.data instanceof Uint32Array], name).toEqual(['U32', [cout, ...taps, words], true]);
  expect([alpha.dtype, alpha.shape, alpha.data instanceof Float32Array], name).toEqual(['F32', [cout], true]);
  let wrongBits = 0;
  let paddingBits = 0;
  for (let o = 0; o < cout; o++) {
    let sum = 0;
    for (let p = 0; p < plane; p++) {
      const base = (o * plane + p) * words;
      for (let c = 0; c < words * 32; c++) {
        const bit = (bits.data[base + (c >>> 5)]! >>> (c & 31)) & 1;
        if (c >= cin) {
          paddingBits += bit;
          continue;
        }
        const w = weight.data[(o * cin + c) * plane + p]!;
        if (bit !== (w >= 0 ? 1 : 0)) wrongBits++;
        sum += Math.abs(w);
      }
    }
    const mean = sum / (cin * plane);
    expect(Math.abs(alpha.data[o]! - mean), `${name}: alpha[${o}] = ${alpha.data[o]}, mean |W| = ${mean}`).toBeLessThanOrEqual(1e-6 * mean);
  }
  expect(wrongBits, `${name}: sign bits that differ from sign(W)`).toBe(0);
  expect(paddingBits, `${name}: padding bits set`).toBe(0);
}

/** The safetensors bytes of the named tensors alone (their data; the header is counted separately). */
const dataBytes = (tensors: ReadonlyMap<string, StoredTensor>, names: string[]) =>
  names.reduce((sum, name) => sum + tensors.get(name)!.data.byteLength, 0);

describe('weight validation of lenet5-xnor loaded from its files', () => {
  it('loads the unmodified files (the baseline every other case breaks one thing of)', () => {
    const model = fromFiles(zoo('lenet5-xnor').json, zoo('lenet5-xnor').weights);
    expect(model.source).toBe(SOURCE);
    expect([...model.weights.keys()]).toEqual(['conv1', 'bn1', 'bn2', 'conv2', 'bn3', 'fc1', 'fc2']);
    expect(model.weights.get('conv2')?.kind).toBe('binary');
    expect(model.weights.get('fc1')?.kind).toBe('binary');
    expect(model.weights.get('fc2')?.kind).toBe('float');
  });

  it('rejects a missing tensor, naming the node, the tensor and what was expected', () => {
    expectWeightError(
      lenetTensors((t) => t.delete('conv1.bias')),
      'node "conv1", tensor "conv1.bias": missing (expected F32 [20])',
    );
    expectWeightError(
      lenetTensors((t) => t.delete('bn2.running_mean')),
      'node "bn2", tensor "bn2.running_mean": missing (expected F32 [20])',
    );
    // A binary layer with neither form of weights asks for the float one.
    expectWeightError(
      lenetTensors((t) => t.delete('conv2.weight')),
      'node "conv2", tensor "conv2.weight": missing (expected F32 [50, 20, 5, 5])',
    );
  });

  it('rejects a tensor no node uses, naming it', () => {
    const extra: StoredTensor = { dtype: 'F32', shape: [3], data: new Float32Array(3) };
    expectWeightError(
      lenetTensors((t) => t.set('conv3.weight', extra)),
      'tensor(s) not used by any node: "conv3.weight"',
    );
    // A batchnorm without affine parameters (bn1) has no use for weight and bias.
    expectWeightError(
      lenetTensors((t) => t.set('bn1.weight', { ...extra, shape: [20], data: new Float32Array(20) })),
      '"bn1.weight"',
    );
    // An alpha beside float weights is unused too.
    expectWeightError(
      lenetTensors((t) => t.set('fc1.alpha', { ...extra, shape: [500], data: new Float32Array(500) })),
      'not used by any node: "fc1.alpha"',
    );
  });

  it('rejects a wrong shape, giving the expected and the found shape', () => {
    const fc2 = zoo('lenet5-xnor').weights.get('fc2.weight')!;
    expectWeightError(
      lenetTensors((t) => t.set('fc2.weight', { ...fc2, shape: [500, 10] })),
      'node "fc2", tensor "fc2.weight": expected F32 [10, 500], found F32 [500, 10]',
    );
    const conv1 = zoo('lenet5-xnor').weights.get('conv1.weight')!;
    expectWeightError(
      lenetTensors((t) => t.set('conv1.weight', { ...conv1, shape: [20, 25] })),
      'node "conv1", tensor "conv1.weight": expected F32 [20, 1, 5, 5], found F32 [20, 25]',
    );
    expectWeightError(
      lenetTensors((t) => t.set('bn3.bias', { dtype: 'F32', shape: [499], data: new Float32Array(499) })),
      'node "bn3", tensor "bn3.bias": expected F32 [800], found F32 [499]',
    );
  });

  it('rejects a wrong dtype (U32 where F32 is expected), giving both', () => {
    const bias = zoo('lenet5-xnor').weights.get('conv1.bias')!;
    const asU32: StoredTensor = {
      dtype: 'U32',
      shape: bias.shape,
      data: new Uint32Array(bias.data.buffer.slice(bias.data.byteOffset, bias.data.byteOffset + bias.data.byteLength)),
    };
    expectWeightError(
      lenetTensors((t) => t.set('conv1.bias', asU32)),
      'node "conv1", tensor "conv1.bias": expected F32 [20], found U32 [20]',
    );
  });

  it('rejects NaN and infinite weights, naming the element', () => {
    expectWeightError(
      lenetTensors((t) =>
        t.set(
          'conv1.weight',
          changed(t.get('conv1.weight'), (d) => (d[7] = NaN)),
        ),
      ),
      'node "conv1", tensor "conv1.weight": element 7 is NaN (weights must be finite)',
    );
    expectWeightError(
      lenetTensors((t) =>
        t.set(
          'bn2.weight',
          changed(t.get('bn2.weight'), (d) => (d[3] = -Infinity)),
        ),
      ),
      'node "bn2", tensor "bn2.weight": element 3 is -Infinity (weights must be finite)',
    );
    // In a binary layer's float weights too, where only the sign would be kept.
    expectWeightError(
      lenetTensors((t) =>
        t.set(
          'fc1.weight',
          changed(t.get('fc1.weight'), (d) => (d[399_999] = Infinity)),
        ),
      ),
      'node "fc1", tensor "fc1.weight": element 399999 is Infinity',
    );
  });

  it('rejects a negative running_var, naming the element, and accepts a zero one', () => {
    expectWeightError(
      lenetTensors((t) =>
        t.set(
          'bn2.running_var',
          changed(t.get('bn2.running_var'), (d) => (d[4] = -0.5)),
        ),
      ),
      'node "bn2", tensor "bn2.running_var": element 4 is negative',
    );
    const zero = lenetTensors((t) =>
      t.set(
        'bn1.running_var',
        changed(t.get('bn1.running_var'), (d) => d.fill(0)),
      ),
    );
    expect(fromFiles(zoo('lenet5-xnor').json, zero).weights.get('bn1')).toMatchObject({ kind: 'batchnorm', eps: 1e-4 });
  });

  describe('packed binary weights', () => {
    const packed = () => packedTensors(fromFiles(zoo('lenet5-xnor').json, zoo('lenet5-xnor').weights));

    it('are accepted as weight_bits + alpha', () => {
      const model = fromFiles(zoo('lenet5-xnor').json, packed());
      expect(model.weights.get('conv2')?.kind).toBe('binary');
    });

    it('rejects a layer given both weight and weight_bits', () => {
      const both = lenetTensors((t) => t.set('conv2.weight', zoo('lenet5-xnor').weights.get('conv2.weight')!), packed());
      expectWeightError(both, 'node "conv2": has both "conv2.weight" and "conv2.weight_bits"; keep one');
    });

    it('rejects weight_bits whose padding bits (channels >= Cin in the last word) are set', () => {
      // conv2 has Cin = 20: one word per tap, bits 20..31 are padding.
      for (const [index, bit] of [
        [0, 20],
        [3 * 25 + 2 * 5 + 4, 31],
        [49 * 25 + 24, 25],
      ] as const) {
        expectWeightError(
          lenetTensors(
            (t) =>
              t.set(
                'conv2.weight_bits',
                changed(t.get('conv2.weight_bits'), (d) => (d[index] = (d[index]! | (1 << bit)) >>> 0)),
              ),
            packed(),
          ),
          'node "conv2", tensor "conv2.weight_bits": bits are set for channels >= 20 (they must be 0)',
        );
      }
      // fc1 has Cin = 800 = 25 words exactly: every bit is a real channel, all of them may be set.
      const allSet = lenetTensors(
        (t) =>
          t.set(
            'fc1.weight_bits',
            changed(t.get('fc1.weight_bits'), (d) => d.fill(0xffffffff)),
          ),
        packed(),
      );
      expect(fromFiles(zoo('lenet5-xnor').json, allSet).weights.get('fc1')?.kind).toBe('binary');
    });

    it('rejects weight_bits without alpha', () => {
      expectWeightError(
        lenetTensors((t) => t.delete('conv2.alpha'), packed()),
        'node "conv2", tensor "conv2.alpha": missing (expected F32 [50])',
      );
      expectWeightError(
        lenetTensors((t) => t.delete('fc1.alpha'), packed()),
        'node "fc1", tensor "fc1.alpha": missing (expected F32 [500])',
      );
    });

    it('rejects weight_bits of the wrong layout or dtype, and an alpha that is not finite', () => {
      const bits = packed().get('conv2.weight_bits')!;
      // PyTorch order [Cout, words, kh, kw] instead of [Cout, kh, kw, words].
      expectWeightError(
        lenetTensors((t) => t.set('conv2.weight_bits', { ...bits, shape: [50, 1, 5, 5] }), packed()),
        'node "conv2", tensor "conv2.weight_bits": expected U32 [50, 5, 5, 1], found U32 [50, 1, 5, 5]',
      );
      const asF32: StoredTensor = { dtype: 'F32', shape: bits.shape, data: new Float32Array(bits.data.length) };
      expectWeightError(
        lenetTensors((t) => t.set('conv2.weight_bits', asF32), packed()),
        'expected U32 [50, 5, 5, 1], found F32 [50, 5, 5, 1]',
      );
      expectWeightError(
        lenetTensors(
          (t) =>
            t.set(
              'fc1.alpha',
              changed(t.get('fc1.alpha'), (d) => (d[0] = NaN)),
            ),
          packed(),
        ),
        'node "fc1", tensor "fc1.alpha": element 0 is NaN',
      );
    });
  });
});

/** A tensor as raw little-endian bytes of any safetensors dtype, for files writeSafetensors does not write. */
interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

const rawOf = ({ dtype, shape, data }: StoredTensor): RawTensor => ({
  dtype,
  shape,
  bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
});

/** A safetensors file laid out as the Python library writes it, from raw tensors of any dtype. */
function rawSafetensors(tensors: Iterable<[string, RawTensor]>): Uint8Array {
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, { dtype, shape, bytes }] of tensors) {
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const json = JSON.stringify(header);
  const text = new TextEncoder().encode(json.padEnd(Math.ceil(json.length / 8) * 8, ' '));
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let at = 8 + text.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** lenet5-xnor loaded from its model.json and these safetensors bytes. */
const lenetFromBytes = (weights: Uint8Array) => modelFromFiles({ json: JSON.stringify(zoo('lenet5-xnor').json), weights, source: SOURCE });

/** lenet5-xnor's tensors, each F32 one through `convert`, with raw tensors added after the ones named. */
function lenetRaw(
  convert: (name: string, tensor: StoredTensor) => RawTensor = (_, t) => rawOf(t),
  extra: [string, string, RawTensor][] = [],
) {
  const out: [string, RawTensor][] = [];
  for (const [name, tensor] of zoo('lenet5-xnor').weights) {
    out.push([name, tensor.dtype === 'F32' ? convert(name, tensor) : rawOf(tensor)]);
    for (const [after, extraName, raw] of extra) if (after === name) out.push([extraName, raw]);
  }
  return out;
}

const i64Scalar = (value: bigint): RawTensor => ({ dtype: 'I64', shape: [], bytes: new Uint8Array(new BigInt64Array([value]).buffer) });
const f64Of = (shape: number[], values: ArrayLike<number>): RawTensor => ({
  dtype: 'F64',
  shape,
  bytes: new Uint8Array(Float64Array.from(values).buffer),
});
const f16Of = (shape: number[], bits: ArrayLike<number>): RawTensor => ({
  dtype: 'F16',
  shape,
  bytes: new Uint8Array(Uint16Array.from(bits).buffer),
});

const halfScratch = new Float32Array(1);
const halfScratchBits = new Uint32Array(halfScratch.buffer);

/**
 * A float32 as F16 bits by truncating its mantissa (not the reader's decoding run backwards),
 * and the float32 value those bits stand for.
 */
function truncatedHalf(v: number): [bits: number, value: number] {
  halfScratch[0] = v;
  const u = halfScratchBits[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exponent = ((u >>> 23) & 0xff) - 127;
  if (exponent > 15) throw new Error(`${v} is beyond F16 range`);
  if (exponent < -14) {
    const m = Math.floor(Math.abs(v) * 2 ** 24); // a subnormal half: a multiple of 2^-24
    return [sign | m, (sign ? -1 : 1) * m * 2 ** -24];
  }
  halfScratchBits[0] = u & ~0x1fff;
  return [sign | ((exponent + 15) << 10) | ((u >>> 13) & 0x3ff), halfScratch[0]!];
}

/** The loaded model's tensors are exactly `expected`'s: same names, all F32/U32, same bits. */
function expectSameTensors(model: Model, expected: ReadonlyMap<string, StoredTensor>): void {
  expect([...model.tensors.keys()]).toEqual([...expected.keys()]);
  for (const [name, tensor] of expected) {
    const got = model.tensors.get(name)!;
    expect([got.dtype, got.shape, got.data.constructor], name).toEqual([tensor.dtype, tensor.shape, tensor.data.constructor]);
    const bits = (t: StoredTensor) => new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    expect(
      bits(got).every((b, i) => b === bits(tensor)[i]),
      name,
    ).toBe(true);
  }
}

describe('a PyTorch state_dict saved as is (F16, F64, num_batches_tracked)', () => {
  const base = () => fromFiles(zoo('lenet5-xnor').json, zoo('lenet5-xnor').weights);
  const counters: [string, string, RawTensor][] = ['bn1', 'bn2', 'bn3'].map((bn) => [
    `${bn}.running_var`,
    `${bn}.num_batches_tracked`,
    i64Scalar(60_000n),
  ]);

  it('loads with I64 `*.num_batches_tracked` scalars, ignoring them: the same tensors and bit-identical outputs', () => {
    const tensors = lenetRaw(undefined, counters);
    expect(tensors.filter(([name]) => name.endsWith('.num_batches_tracked')).length).toBe(3);
    const model = lenetFromBytes(rawSafetensors(tensors));
    expectSameTensors(model, zoo('lenet5-xnor').weights);
    const rng = testRng();
    expectSameOutputs(model, base(), inputsFor(model, rng, 2, 2), `seed ${rng.seed}`);
  });

  it('loads a whole state_dict in F64, each value rounded to the float32 it came from: bit-identical outputs', () => {
    // Every value nudged by less than half a float32 ulp: the rounding must bring back the original.
    const nudged = lenetRaw(
      (_, t) =>
        f64Of(
          t.shape,
          Array.from(t.data, (v) => v + v * 2 ** -27),
        ),
      counters.map(([after, name]) => [after, name, f64Of([], [60_000])]),
    );
    const changedSome = nudged.some(([name, raw]) => {
      const t = zoo('lenet5-xnor').weights.get(name);
      return raw.dtype === 'F64' && t !== undefined && new Float64Array(raw.bytes.buffer).some((v, i) => v !== t.data[i]);
    });
    expect(changedSome).toBe(true);
    const model = lenetFromBytes(rawSafetensors(nudged));
    expectSameTensors(model, zoo('lenet5-xnor').weights);
    const rng = testRng();
    expectSameOutputs(model, base(), inputsFor(model, rng, 2, 2), `seed ${rng.seed}`);
  });

  it('loads a whole state_dict in F16, with the outputs of the float32 model of the same values', () => {
    const asFloat = new Map<string, StoredTensor>();
    const halves = lenetRaw((name, t) => {
      const pairs = Array.from(t.data, truncatedHalf);
      asFloat.set(name, { ...t, data: Float32Array.from(pairs, ([, value]) => value) });
      return f16Of(
        t.shape,
        pairs.map(([bits]) => bits),
      );
    }, counters);
    for (const [name, t] of zoo('lenet5-xnor').weights) if (!asFloat.has(name)) asFloat.set(name, t);
    const expected = new Map([...zoo('lenet5-xnor').weights.keys()].map((name) => [name, asFloat.get(name)!]));
    // Truncation to 10 mantissa bits changed the weights: the F16 model is not just the F32 one.
    expect(bitsOf(expected.get('fc2.weight')!.data as Float32Array)).not.toEqual(
      bitsOf(zoo('lenet5-xnor').weights.get('fc2.weight')!.data as Float32Array),
    );
    const model = lenetFromBytes(rawSafetensors(halves));
    expectSameTensors(model, expected);
    const rng = testRng();
    expectSameOutputs(model, fromFiles(zoo('lenet5-xnor').json, expected), inputsFor(model, rng, 2, 2), `seed ${rng.seed}`);
  });

  it('rejects infinite and NaN F16 and F64 weights as non-finite, naming the element', () => {
    const replacing = (target: string, raw: (t: StoredTensor) => RawTensor) =>
      rawSafetensors(lenetRaw((name, t) => (name === target ? raw(t) : rawOf(t))));
    const halfWith = (index: number, bits: number) => (t: StoredTensor) =>
      f16Of(
        t.shape,
        Array.from(t.data, (x, i) => (i === index ? bits : truncatedHalf(x)[0])),
      );
    const doubleWith = (index: number, value: number) => (t: StoredTensor) =>
      f64Of(
        t.shape,
        Array.from(t.data, (x, i) => (i === index ? value : x)),
      );
    const cases: [Uint8Array, string][] = [
      [
        replacing('conv1.weight', halfWith(7, 0x7c00)),
        'node "conv1", tensor "conv1.weight": element 7 is Infinity (weights must be finite)',
      ],
      [
        replacing('bn2.running_var', halfWith(0, 0x7e00)),
        'node "bn2", tensor "bn2.running_var": element 0 is NaN (weights must be finite)',
      ],
      [replacing('fc2.bias', doubleWith(9, -Infinity)), 'node "fc2", tensor "fc2.bias": element 9 is -Infinity (weights must be finite)'],
      [replacing('fc2.bias', doubleWith(2, NaN)), 'node "fc2", tensor "fc2.bias": element 2 is NaN'],
      // A finite F64 that float32 cannot hold is not silently made infinite.
      [replacing('bn3.bias', doubleWith(4, -1e40)), 'element 4 of F64 tensor "bn3.bias" is -1e+40, beyond the range of float32'],
    ];
    for (const [bytes, message] of cases) {
      const err = formatErrorOf(() => lenetFromBytes(bytes));
      expect(err.file).toBe(WEIGHTS_FILE);
      expect(err.message).toContain(message);
    }
  });

  it('rejects other dtypes by name, and every unused tensor that is not num_batches_tracked', () => {
    const keep = (_: string, t: StoredTensor) => rawOf(t);
    /** `target` stored as `dtype`, its bytes cut or kept to fit the dtype's element size. */
    const retyped = (target: string, dtype: string, elementBytes: number) => (name: string, t: StoredTensor) =>
      name === target ? { ...rawOf(t), dtype, bytes: rawOf(t).bytes.subarray(0, t.data.length * elementBytes) } : rawOf(t);
    const cases: [(name: string, t: StoredTensor) => RawTensor, [string, string, RawTensor][], string][] = [
      [retyped('conv1.weight', 'BF16', 2), [], 'dtype "BF16" of tensor "conv1.weight" is not supported'],
      [retyped('bn2.running_mean', 'I32', 4), [], 'dtype "I32" of tensor "bn2.running_mean" is not supported'],
      [
        keep,
        [['bn1.running_var', 'bn1.steps', i64Scalar(3n)]],
        'dtype "I64" of tensor "bn1.steps" is not supported (xnornet reads F32, F16 and F64',
      ],
      [keep, [['bn2.running_var', 'bn2.momentum', f64Of([], [0.1])]], 'tensor(s) not used by any node: "bn2.momentum"'],
      [keep, [['fc2.bias', 'fc3.weight', f16Of([2], [0x3c00, 0x3c00])]], 'tensor(s) not used by any node: "fc3.weight"'],
    ];
    for (const [convert, extra, message] of cases) {
      const err = formatErrorOf(() => lenetFromBytes(rawSafetensors(lenetRaw(convert, extra))));
      expect(err.file).toBe(WEIGHTS_FILE);
      expect(err.message).toContain(message);
    }
  });
});

describe('packedTensors', () => {
  it("replaces every binary layer's float weight by U32 weight_bits and F32 alpha, leaving the rest untouched", () => {
    for (const name of ['lenet5-xnor', 'lenet5-bwn', 'nin-xnor']) {
      const model = fromFiles(zoo(name).json, zoo(name).weights, `${name}.json`);
      const packed = packedTensors(model);
      const shapes = inputShapes(model);
      const binary = model.graph.nodes.filter((n) => n.attrs.op === 'binconv2d' || n.attrs.op === 'binlinear');
      expect(binary.length, name).toBeGreaterThan(0);
      for (const node of binary) {
        const cin = shapes.get(node.name)![0]!;
        const taps = node.attrs.op === 'binconv2d' ? [...node.attrs.kernel] : [];
        const cout = node.shape[0]!;
        const bits = packed.get(`${node.name}.weight_bits`);
        expect(packed.has(`${node.name}.weight`), `${name} ${node.name}`).toBe(false);
        expect(bits?.shape, `${name} ${node.name}`).toEqual([cout, ...taps, Math.ceil(cin / 32)]);
        expectPackedFrom(`${name} ${node.name}`, model.tensors.get(`${node.name}.weight`)!, bits!, packed.get(`${node.name}.alpha`)!);
      }
      const replaced = new Set(binary.map((n) => `${n.name}.weight`));
      for (const [tensorName, tensor] of model.tensors) {
        if (!replaced.has(tensorName)) expect(packed.get(tensorName), `${name} ${tensorName}`).toBe(tensor);
      }
      expect(packed.size, name).toBe(model.tensors.size + binary.length);
    }
  });

  it("gives lenet5-xnor's conv2 and fc1 their documented shapes", () => {
    const packed = packedTensors(fromFiles(zoo('lenet5-xnor').json, zoo('lenet5-xnor').weights));
    expect(packed.get('conv2.weight_bits')?.shape).toEqual([50, 5, 5, 1]);
    expect(packed.get('conv2.alpha')?.shape).toEqual([50]);
    expect(packed.get('fc1.weight_bits')?.shape).toEqual([500, 25]);
    expect(packed.get('fc1.alpha')?.shape).toEqual([500]);
  });

  it('shrinks the binary layers about 32x, and the file with them', () => {
    const model = fromFiles(zoo('lenet5-xnor').json, zoo('lenet5-xnor').weights);
    const packed = packedTensors(model);
    // fc1: 500 x 800 floats -> 500 x 25 words, exactly 32x; with alpha, 1,600,000 / 52,000 bytes.
    const floatBytes = dataBytes(model.tensors, ['fc1.weight']);
    expect(floatBytes / dataBytes(packed, ['fc1.weight_bits'])).toBe(32);
    const ratio = floatBytes / dataBytes(packed, ['fc1.weight_bits', 'fc1.alpha']);
    expect(ratio).toBeGreaterThan(30);
    expect(ratio).toBeLessThan(32);
    const before = writeSafetensors(model.tensors).byteLength;
    const after = writeSafetensors(packed).byteLength;
    // conv1, fc2 and the batchnorms stay float: the whole file shrinks less than 32x, still a lot.
    expect(before / after, `${before} -> ${after} bytes`).toBeGreaterThan(15);
  });

  it('is the identity on an already packed model', () => {
    const once = packedTensors(fromFiles(zoo('lenet5-xnor').json, zoo('lenet5-xnor').weights));
    const twice = packedTensors(fromFiles(zoo('lenet5-xnor').json, once));
    expect([...twice.keys()]).toEqual([...once.keys()]);
    for (const [name, tensor] of once) expect([...twice.get(name)!.data], name).toEqual([...tensor.data]);
  });

  // nin on the reference is slow: one input of batch 1 is enough for it.
  it.each([
    ['lenet5-xnor', 3, 2],
    ['lenet5-bwn', 3, 2],
    ['nin-xnor', 1, 1],
  ] as const)('loaded packed, %s gives bit-identical reference outputs', (name, count, batch) => {
    const rng = testRng();
    const float = fromFiles(zoo(name).json, zoo(name).weights, `${name}.json`);
    const packed = fromFiles(zoo(name).json, packedTensors(float), `${name}.json`);
    expect(
      [...packed.tensors.keys()].some((t) => t.endsWith('.weight_bits')),
      name,
    ).toBe(true);
    expectSameOutputs(packed, float, inputsFor(float, rng, count, batch), `${name} packed vs float, seed ${rng.seed}`);
  });
});

describe('round trip', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xnornet-model-files-'));
  });
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const original = () => fromFiles(zoo('lenet5-xnor').json, zoo('lenet5-xnor').weights);

  it('through JSON text and writeSafetensors keeps every tensor and every output', async () => {
    const rng = testRng();
    const model = original();
    const back = modelFromFiles({ json: JSON.stringify(model.graph.json), weights: writeSafetensors(model.tensors), source: 'back.json' });
    expect([...back.tensors.keys()]).toEqual([...model.tensors.keys()]);
    for (const [name, tensor] of model.tensors) {
      expect(back.tensors.get(name)?.shape, name).toEqual(tensor.shape);
      expect(bitsOf(back.tensors.get(name)!.data as Float32Array), name).toEqual(bitsOf(tensor.data as Float32Array));
    }
    expect(back.graph.nodes).toEqual(model.graph.nodes);
    expectSameOutputs(back, model, inputsFor(model, rng, 2, 2), `written and read back, seed ${rng.seed}`);
    // The same model as loadModel gives for its zoo name.
    expectSameOutputs(back, await loadModel('zoo:lenet5-xnor'), inputsFor(model, rng, 1, 1), `vs zoo:lenet5-xnor, seed ${rng.seed}`);
  });

  it('through saveModel and loadModel(path), float and packed', async () => {
    const rng = testRng();
    const model = original();
    const inputs = inputsFor(model, rng, 2, 2);
    for (const [name, tensors] of [
      ['float', model.tensors],
      ['packed', packedTensors(model)],
    ] as const) {
      const saved = await saveModel(join(dir, name), 'lenet', model.graph.json, tensors);
      expect(saved.jsonPath).toBe(join(dir, name, 'lenet.json'));
      expect(saved.weightsPath).toBe(join(dir, name, 'lenet.safetensors'));
      expect((await readFile(saved.weightsPath)).byteLength).toBe(saved.weightsBytes);
      const written = JSON.parse(await readFile(saved.jsonPath, 'utf8')) as ModelJson;
      expect(written).toEqual({ ...model.graph.json, weights: 'lenet.safetensors' });
      const back = await loadModel(saved.jsonPath);
      expect(back.source).toBe(saved.jsonPath);
      expectSameOutputs(back, model, inputs, `${name} saved and loaded, seed ${rng.seed}`);
    }
  });

  it('through an http:// URL (the weights are fetched beside the model.json)', async () => {
    const rng = testRng();
    const model = original();
    const saved = await saveModel(join(dir, 'http'), 'lenet', model.graph.json, packedTensors(model));
    const server: Server = createServer((request, response) => {
      const file = join(dir, 'http', decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
      readFile(file).then(
        (bytes) => response.end(bytes),
        () => {
          response.statusCode = 404;
          response.end();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const back = await loadModel(`${base}/lenet.json`);
      expect(back.source).toBe(`${base}/lenet.json`);
      expectSameOutputs(back, model, inputsFor(model, rng, 1, 2), `loaded over http, seed ${rng.seed}`);
      await unlink(saved.weightsPath);
      const err = await asyncFormatErrorOf(() => loadModel(new URL(`${base}/lenet.json`)));
      expect(err.file).toBe(`${base}/lenet.safetensors`);
      expect(err.message).toContain('cannot be fetched (HTTP 404)');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // Node's fetch (undici) has no file: scheme ("not implemented... yet..."): a loader that
  // fetched every URL failed here with "cannot be fetched (fetch failed)" for a file that exists.
  it('through a file:// URL, as a URL object and as a string', async () => {
    const rng = testRng();
    const model = original();
    const saved = await saveModel(join(dir, 'url'), 'lenet', model.graph.json, model.tensors);
    const url = pathToFileURL(saved.jsonPath);
    const inputs = inputsFor(model, rng, 1, 2);
    for (const source of [url, url.href]) {
      const back = await loadModel(source);
      expect(back.source).toBe(url.href);
      expectSameOutputs(back, model, inputs, `loaded from ${String(source)}, seed ${rng.seed}`);
    }
    await unlink(saved.weightsPath);
    const err = await asyncFormatErrorOf(() => loadModel(url));
    expect(err.message).toContain('lenet.safetensors');
  });
});

describe('loader robustness (fuzz): success or ModelFormatError, nothing else', () => {
  const lenet = zoo('lenet5-xnor');
  const files = {
    float: writeSafetensors(lenet.weights),
    packed: writeSafetensors(packedTensors(fromFiles(lenet.json, lenet.weights))),
  };
  const jsonText = JSON.stringify(lenet.json);
  const headerEnd = (bytes: Uint8Array) => 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const load = (json: unknown, weights: Uint8Array) => () => modelFromFiles({ json, weights, source: SOURCE });

  it.each(Object.keys(files) as (keyof typeof files)[])(
    'truncating the %s safetensors file anywhere',
    (kind) => {
      const rng = testRng();
      const bytes = files[kind];
      const end = headerEnd(bytes);
      // Every length through the header and a little data, then random lengths and the last few.
      const lengths = new Set<number>();
      for (let length = 0; length <= end + 64; length++) lengths.add(length);
      for (let i = 0; i < 200; i++) lengths.add(rng.int(end, bytes.length - 1));
      for (let length = bytes.length - 8; length < bytes.length; length++) lengths.add(length);
      for (const length of lengths) {
        const err = formatErrorOf(load(jsonText, bytes.subarray(0, length)));
        expect(err.file, `prefix of ${length} of ${bytes.length} bytes, seed ${rng.seed}`).toBe(WEIGHTS_FILE);
      }
    },
    10_000,
  );

  it.each(Object.keys(files) as (keyof typeof files)[])(
    'random mutations of the %s safetensors header region',
    (kind) => {
      const rng = testRng();
      const bytes = files[kind];
      const interesting = new TextEncoder().encode('0123456789-.e[]{}",: FU');
      for (let trial = 0; trial < 300; trial++) {
        expectOnlyFormatErrors(
          load(jsonText, mutateBytes(rng, bytes, interesting, headerEnd(bytes))),
          `${kind} mutation ${trial}, seed ${rng.seed}`,
        );
      }
    },
    10_000,
  );

  it('random junk as the JSON text', () => {
    const rng = testRng();
    const alphabet = '{}[]":,0123456789.-+eE truefalsnul\\\n\t\u00e9\u2028\ud800xnor';
    for (let trial = 0; trial < 300; trial++) {
      const length = rng.int(0, 80);
      const junk =
        trial % 3 === 0
          ? new TextDecoder().decode(new Uint8Array(length).map(() => rng.int(0, 255)))
          : Array.from({ length }, () => alphabet[rng.int(0, alphabet.length - 1)]).join('');
      // A prefix of the real model.json now and then, so that the parser gets some way in.
      const text = trial % 4 === 1 ? jsonText.slice(0, rng.int(0, jsonText.length)) + junk : junk;
      expectOnlyFormatErrors(load(text, files.float), `junk ${trial} ${JSON.stringify(text)}, seed ${rng.seed}`);
    }
  });

  it('JSON that parses but is not a model', () => {
    const cases: unknown[] = [
      null,
      0,
      'lenet',
      [],
      [lenet.json],
      {},
      { format: 'xnornet' },
      { ...lenet.json, version: '1' },
      { ...lenet.json, nodes: {} },
      { ...lenet.json, nodes: [null] },
      { ...lenet.json, nodes: [{ op: 'conv2d' }] },
      { ...lenet.json, input: { shape: '1x28x28' } },
      { ...lenet.json, input: [1, 28, 28] },
      { ...lenet.json, weights: 5 },
      { ...lenet.json, outputs: 'fc2' },
      { ...lenet.json, nodes: [{ op: '__proto__' }] },
      {
        ...lenet.json,
        nodes: [
          { op: 'relu', name: 'constructor' },
          { op: 'relu', in: 'toString' },
        ],
      },
      JSON.parse('{"__proto__": {"format": "xnornet"}}'),
    ];
    for (const [i, json] of cases.entries()) {
      // As text and as a parsed object.
      expect(() => load(JSON.stringify(json) ?? 'null', files.float)(), `case ${i}: ${JSON.stringify(json)}`).toThrow(ModelFormatError);
      expect(() => load(json, files.float)(), `case ${i}: ${JSON.stringify(json)}`).toThrow(ModelFormatError);
    }
  });

  it('random structural mutations of model.json', () => {
    const rng = testRng();
    const values: unknown[] = [
      null,
      true,
      0,
      -1,
      1.5,
      2,
      5,
      1e9,
      2 ** 53,
      NaN,
      'x',
      '',
      'input',
      'conv1',
      'fc2',
      'xnor',
      'relu',
      [],
      [0],
      [2, 2],
      [1, 28, 28],
      {},
      { shape: [1] },
    ];
    const pick = <T>(list: readonly T[]): T => list[rng.int(0, list.length - 1)]!;
    for (let trial = 0; trial < 300; trial++) {
      const json = structuredClone(lenet.json) as unknown as Record<string, unknown>;
      for (let n = rng.int(1, 3); n > 0; n--) {
        // Every (container, key) in the tree, the root's keys included.
        const slots: [Record<string, unknown> | unknown[], string | number][] = [];
        const walk = (value: unknown) => {
          if (Array.isArray(value)) value.forEach((v, i) => (slots.push([value, i]), walk(v)));
          else if (typeof value === 'object' && value !== null) {
            for (const [k, v] of Object.entries(value)) (slots.push([value as Record<string, unknown>, k]), walk(v));
          }
        };
        walk(json);
        const [container, key] = pick(slots);
        const action = rng.int(0, 3);
        if (action === 0 && !Array.isArray(container)) delete container[key as string];
        else if (action === 1 && Array.isArray(container)) container.splice(key as number, 1);
        else if (action === 2 && !Array.isArray(container))
          container[pick(['op', 'name', 'in', 'kernel', 'padding', 'bias', 'mode', 'eps', 'affine', 'outputs', 'extra'])] = pick(values);
        else (container as Record<string | number, unknown>)[key] = structuredClone(pick(values));
      }
      const text = JSON.stringify(json);
      expectOnlyFormatErrors(load(text, files.float), `mutation ${trial} ${text}, seed ${rng.seed}`);
      expectOnlyFormatErrors(load(json, files.float), `mutation ${trial} (object) ${text}, seed ${rng.seed}`);
    }
  }, 10_000);
});

describe('loadModel errors', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xnornet-load-errors-'));
  });
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('names a model.json path that does not exist', async () => {
    const path = join(dir, 'nowhere', 'model.json');
    const err = await asyncFormatErrorOf(() => loadModel(path));
    expect(err.file).toBe(path);
    expect(err.message).toBe(`${path}: no such file or directory`);
  });

  it('names the weights path when the safetensors file beside model.json is missing', async () => {
    const { json, weights } = zoo('lenet5-xnor');
    const saved = await saveModel(join(dir, 'no-weights'), 'lenet', json, weights);
    await unlink(saved.weightsPath);
    const err = await asyncFormatErrorOf(() => loadModel(saved.jsonPath));
    expect(err.file).toBe(saved.weightsPath);
    expect(err.message).toBe(`${saved.weightsPath}: no such file or directory`);
  });

  it('names the file and says it is not valid JSON', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"format": "xnornet", "version": 1,');
    const err = await asyncFormatErrorOf(() => loadModel(path));
    expect(err.file).toBe(path);
    expect(err.message.startsWith(`${path}: not valid JSON (`), err.message).toBe(true);
  });

  it('names the file when model.json is JSON but not a model', async () => {
    const path = join(dir, 'array.json');
    await writeFile(path, '[1, 2, 3]');
    const err = await asyncFormatErrorOf(() => loadModel(path));
    expect(err.message).toBe(`${path}: a model must be a JSON object`);
  });

  it('lists the zoo names for an unknown zoo model', async () => {
    await expect(loadModel('zoo:unknown-thing')).rejects.toThrow(`unknown zoo model "unknown-thing"; available: ${zooNames().join(', ')}`);
  });

  it('names a weights, data or image file passed instead of model.json', async () => {
    const files: [string, Uint8Array, string][] = [
      ['w.safetensors', writeSafetensors(zoo('lenet5-xnor').weights), 'a safetensors weights file'],
      ['x.npy', writeNpy(Tensor.zeros([1, 2])), 'a .npy data file'],
      ['p.png', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), 'an image'],
    ];
    for (const [name, bytes, kind] of files) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      const err = await asyncFormatErrorOf(() => loadModel(path));
      expect(err.message).toBe(`${path}: is ${kind}, not a model: pass the model.json (it names its safetensors file)`);
    }
  });
});
