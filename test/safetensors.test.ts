import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../src/model/safetensors.js';
import type { StoredTensor } from '../src/model/types.js';
import { shapeSize } from '../src/tensor/tensor.js';
import type { Rng } from '../src/util/random.js';
import { expectOnlyFormatErrors, mutateBytes, formatErrorOf } from './helpers/fuzz.js';
import { randomTensor, testRng } from './helpers/random.js';

const FILE = 'weights.safetensors';
const SHAPES = [[2, 3], [0, 3], [1], [], [4, 1, 3, 3], [33]];

/** A file from a header (JSON text or a value to stringify) and raw data bytes. */
function buildFile(header: unknown, data: ArrayLike<number> = []): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function randomStored(rng: Rng, dtype: StoredTensor['dtype'], shape: number[]): StoredTensor {
  if (dtype === 'F32') return { dtype, shape, data: randomTensor(rng, shape).data };
  const data = new Uint32Array(shapeSize(shape)).map(() => rng.int(0, 0xffffffff));
  return { dtype, shape, data };
}

/** Bit patterns, so that -0 and every float compare exactly. */
function bits(t: StoredTensor): number[] {
  return [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)];
}

function headerOf(file: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(file.subarray(8, 8 + length)) };
}

function expectFormatError(file: Uint8Array, ...words: string[]): void {
  const err = formatErrorOf(() => readSafetensors(file, FILE));
  expect(err.file).toBe(FILE);
  for (const word of words) expect(err.message).toContain(word);
  expect(err.message.startsWith(`${FILE}: `)).toBe(true);
}

const entry = (dtype: string, shape: unknown, data_offsets: unknown) => ({ dtype, shape, data_offsets });

describe('writeSafetensors and readSafetensors', () => {
  it('round-trip random F32 and U32 tensors of several shapes', () => {
    const rng = testRng();
    const tensors = new Map<string, StoredTensor>();
    for (const [i, shape] of SHAPES.entries()) {
      tensors.set(`layer${i}.weight`, randomStored(rng, 'F32', shape));
      tensors.set(`layer${i}.weight_bits`, randomStored(rng, 'U32', shape));
    }
    const read = readSafetensors(writeSafetensors(tensors), FILE);
    expect([...read.keys()].sort(), `seed ${rng.seed}`).toEqual([...tensors.keys()].sort());
    for (const [name, tensor] of tensors) {
      const back = read.get(name)!;
      expect(back.dtype, `${name} seed ${rng.seed}`).toBe(tensor.dtype);
      expect(back.shape, `${name} seed ${rng.seed}`).toEqual(tensor.shape);
      expect(back.data.constructor, `${name} seed ${rng.seed}`).toBe(tensor.data.constructor);
      expect(bits(back), `${name} seed ${rng.seed}`).toEqual(bits(tensor));
    }
  });

  it('lays tensors out contiguously in insertion order behind a space-padded header', () => {
    const tensors = new Map<string, StoredTensor>([
      ['z', { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) }],
      ['a', { dtype: 'U32', shape: [0, 3], data: new Uint32Array(0) }],
      ['m', { dtype: 'U32', shape: [1], data: new Uint32Array([7]) }],
    ]);
    const file = writeSafetensors(tensors, { format: 'pt' });
    const { length, text } = headerOf(file);
    expect(length % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/);
    expect(JSON.parse(text)).toEqual({
      __metadata__: { format: 'pt' },
      z: entry('F32', [3], [0, 12]),
      a: entry('U32', [0, 3], [12, 12]),
      m: entry('U32', [1], [12, 16]),
    });
    expect(file.length).toBe(8 + length + 16);
  });

  it('writes the data of typed-array views, not their whole buffers', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const file = writeSafetensors(new Map([['v', { dtype: 'F32', shape: [2], data: backing.subarray(1, 3) }]]));
    expect([...readSafetensors(file, FILE).get('v')!.data]).toEqual([1, 2]);
  });

  it('rejects tensors whose data does not match their dtype or shape', () => {
    const write = (name: string, tensor: StoredTensor) => () => writeSafetensors(new Map([[name, tensor]]));
    expect(write('a', { dtype: 'F32', shape: [2], data: new Uint32Array(2) })).toThrow(
      'tensor "a": dtype F32 needs a Float32Array, got a Uint32Array',
    );
    expect(write('b', { dtype: 'U32', shape: [1], data: new Float32Array(1) })).toThrow(
      'tensor "b": dtype U32 needs a Uint32Array, got a Float32Array',
    );
    expect(write('c', { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) })).toThrow(
      'tensor "c" has 5 elements but shape [2, 3] needs 6',
    );
    expect(write('d', { dtype: 'F32', shape: [-1], data: new Float32Array(0) })).toThrow('tensor "d": invalid shape [-1]');
    expect(write('__metadata__', { dtype: 'F32', shape: [0], data: new Float32Array(0) })).toThrow('reserved');
  });
});

describe('readSafetensors', () => {
  it('reads a file written by the Python safetensors library (0.8.0, safetensors.numpy.save)', () => {
    // save({'w': np.array([[1.0, -2.5]], '<f4'), 'bits': np.array([0x01020304, 0xffffffff], '<u4')},
    //      metadata={'format': 'np'})
    const header =
      '{"__metadata__":{"format":"np"},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},' +
      '"bits":{"dtype":"U32","shape":[2],"data_offsets":[8,16]}}';
    expect(header.length).toBe(144);
    const file = new Uint8Array([
      ...[144, 0, 0, 0, 0, 0, 0, 0],
      ...new TextEncoder().encode(header),
      ...[0, 0, 128, 63, 0, 0, 32, 192],
      ...[4, 3, 2, 1, 255, 255, 255, 255],
    ]);
    const read = readSafetensors(file, FILE);
    expect(read.get('w')).toEqual({ dtype: 'F32', shape: [1, 2], data: new Float32Array([1, -2.5]) });
    expect(read.get('bits')).toEqual({ dtype: 'U32', shape: [2], data: new Uint32Array([0x01020304, 0xffffffff]) });
  });

  it('decodes unaligned data into fresh arrays, and allows unused bytes between tensors', () => {
    const header = '{"b":{"dtype":"U32","shape":[],"data_offsets":[5,9]}, "a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  ';
    const file = buildFile(header, [0, 0, 0x80, 0xbf, 0xee, 0x04, 0x03, 0x02, 0x01, 0xee]);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const read = readSafetensors(shifted.subarray(1), FILE);
    expect(read.get('a')).toEqual({ dtype: 'F32', shape: [1], data: new Float32Array([-1]) });
    expect(read.get('b')).toEqual({ dtype: 'U32', shape: [], data: new Uint32Array([0x01020304]) });
    read.get('b')!.data[0] = 0;
    expect(shifted[8 + header.length + 1 + 5]).toBe(0x04);
  });

  it('copies out of a small Node Buffer, whose memory is part of a shared pool', () => {
    const file = writeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: new Float32Array([3, -4]) }]]));
    const w = readSafetensors(Buffer.from(file), FILE).get('w')!;
    expect([w.data.buffer.byteLength, ...w.data]).toEqual([8, 3, -4]);
  });

  it('reads a file with no tensors', () => {
    expect(readSafetensors(buildFile('{}'), FILE).size).toBe(0);
    expect(readSafetensors(writeSafetensors(new Map(), { a: 'b' }), FILE).size).toBe(0);
  });

  it('rejects a file too short for the header length, or whose header length is impossible', () => {
    expectFormatError(new Uint8Array(5), '5 bytes', 'shorter than the 8-byte header length');
    const tooLong = buildFile('{}', new Uint8Array(8));
    new DataView(tooLong.buffer).setBigUint64(0, 100n, true);
    expectFormatError(tooLong, 'header length 100 is larger than the file (10 bytes');
    const absurd = buildFile('{}');
    new DataView(absurd.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expectFormatError(absurd, `header length ${2n ** 64n - 1n} is absurd`);
    new DataView(absurd.buffer).setBigUint64(0, 100_000_001n, true);
    expectFormatError(absurd, 'header length 100000001 is absurd');
  });

  it('rejects a header that is not UTF-8, not JSON or not a JSON object', () => {
    const notUtf8 = buildFile('{"a": 1}');
    notUtf8[10] = 0xff;
    expectFormatError(notUtf8, 'header is not valid UTF-8');
    expectFormatError(buildFile('{"a": {'), 'header is not valid JSON');
    expectFormatError(buildFile(''), 'header is not valid JSON');
    for (const header of ['[1, 2]', 'null', '3', '"x"']) expectFormatError(buildFile(header), 'header is not a JSON object');
  });

  it('rejects __metadata__ that is not an object of strings', () => {
    for (const metadata of ['x', [], null, { a: 1 }, { a: 'b', c: {} }]) {
      expectFormatError(buildFile({ __metadata__: metadata }), '"__metadata__" must be an object of strings');
    }
  });

  it('rejects an entry that is not an object or lacks a field', () => {
    for (const value of [5, 'F32', null, []]) expectFormatError(buildFile({ a: value }), 'entry of tensor "a" is not an object');
    for (const key of ['dtype', 'shape', 'data_offsets'] as const) {
      const value: Record<string, unknown> = entry('F32', [1], [0, 4]);
      delete value[key];
      expectFormatError(buildFile({ a: value }, new Uint8Array(4)), `tensor "a" lacks "${key}"`);
    }
  });

  it('rejects dtypes other than F32, F16, F64 and U32, listing the accepted ones', () => {
    for (const dtype of ['BF16', 'I32', 'I64', 'U64', 'U16', 'U8', 'BOOL', 'F8_E4M3', 'f32', 'F128', 'toString', '__proto__']) {
      expectFormatError(
        buildFile({ w: entry(dtype, [1], [0, 4]) }, new Uint8Array(4)),
        `dtype "${dtype}" of tensor "w" is not supported (xnornet reads F32, F16 and F64 (converted to float32) and U32)`,
      );
    }
    expectFormatError(buildFile({ w: { dtype: 32, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'dtype 32 of tensor "w"');
  });

  it('rejects a shape that is not an array of non-negative integers', () => {
    for (const shape of [[-1], [1.5], '3', 3, [null], [[2]], ['2'], [2 ** 53]]) {
      expectFormatError(
        buildFile({ w: entry('F32', shape, [0, 4]) }, new Uint8Array(4)),
        'shape of tensor "w" must be an array of non-negative integers',
      );
    }
  });

  it('rejects data_offsets that are not two non-negative integers in order', () => {
    for (const offsets of [[0], [0, 4, 8], [-4, 0], [8, 4], ['0', 4], [0.5, 4], null, { begin: 0, end: 4 }]) {
      expectFormatError(buildFile({ w: entry('F32', [1], offsets) }, new Uint8Array(8)), 'data_offsets of tensor "w"');
    }
  });

  it('rejects data that runs past the data section', () => {
    expectFormatError(
      buildFile({ w: entry('F32', [4], [0, 16]) }, new Uint8Array(8)),
      'data of tensor "w" ends at byte 16, beyond the 8-byte data section',
    );
    expectFormatError(buildFile({ w: entry('F32', [2 ** 40], [0, 2 ** 42]) }), 'ends at byte 4398046511104');
  });

  it('rejects a byte length that does not match the shape', () => {
    expectFormatError(
      buildFile({ w: entry('F32', [3], [0, 8]) }, new Uint8Array(8)),
      'tensor "w" has 8 bytes of data but F32 shape [3] needs 12',
    );
    // F16 is 2 bytes an element, F64 and I64 8: an odd F16 length never fits.
    expectFormatError(
      buildFile({ h: entry('F16', [3], [0, 5]) }, new Uint8Array(8)),
      'tensor "h" has 5 bytes of data but F16 shape [3] needs 6',
    );
    expectFormatError(buildFile({ h: entry('F16', [3], [0, 12]) }, new Uint8Array(12)), 'F16 shape [3] needs 6');
    expectFormatError(
      buildFile({ d: entry('F64', [2], [0, 12]) }, new Uint8Array(16)),
      'tensor "d" has 12 bytes of data but F64 shape [2] needs 16',
    );
    expectFormatError(
      buildFile({ 'bn.num_batches_tracked': entry('I64', [], [0, 4]) }, new Uint8Array(8)),
      'tensor "bn.num_batches_tracked" has 4 bytes of data but I64 shape [] needs 8',
    );
    expectFormatError(
      buildFile({ w: entry('U32', [2 ** 30, 2 ** 30, 2 ** 30], [0, 8]) }, new Uint8Array(8)),
      'tensor "w" has 8 bytes of data',
    );
  });

  it('rejects tensors whose bytes overlap, naming both', () => {
    const data = new Uint8Array(16);
    expectFormatError(
      buildFile({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, data),
      'tensors "a" (bytes 0..8) and "b" (bytes 4..12) overlap',
    );
    expectFormatError(
      buildFile({ big: entry('F32', [4], [0, 16]), x: entry('F32', [1], [4, 8]), y: entry('F32', [1], [12, 16]) }, data),
      'tensors "big" (bytes 0..16) and "x" (bytes 4..8) overlap',
    );
    const empty = { a: entry('F32', [2], [0, 8]), e: entry('F32', [0], [4, 4]) };
    expect(readSafetensors(buildFile(empty, data), FILE).get('e')!.shape).toEqual([0]);
  });
});

/** Header and data of tensors given as raw little-endian bytes, laid out in order. */
function fileOf(tensors: Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }>, pad = 0): Uint8Array {
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = pad;
  for (const [name, { dtype, shape, bytes }] of Object.entries(tensors)) {
    header[name] = entry(dtype, shape, [offset, offset + bytes.length]);
    chunks.push(bytes);
    offset += bytes.length;
  }
  const data = new Uint8Array(offset);
  let at = pad;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return buildFile(header, data);
}

const bytesOf = (array: Uint16Array | Float64Array | BigInt64Array | Float32Array) =>
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength);

/** A float32 from its bit pattern. */
const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

describe('readSafetensors of F16 and F64 (converted to float32)', () => {
  /** [half bits, the float32 value it stands for] */
  const HALVES: [number, number][] = [
    [0x0000, 0],
    [0x8000, -0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504], // largest finite
    [0xfbff, -65504],
    [0x0400, 2 ** -14], // smallest normal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x8001, -(2 ** -24)],
    [0x0200, 2 ** -15],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x7e00, NaN],
    [0x7c01, NaN],
    [0xfe00, NaN],
  ];

  it('reads F16 exactly: normals, subnormals, the largest value, -0, infinities and NaN', () => {
    const file = fileOf({ h: { dtype: 'F16', shape: [HALVES.length], bytes: bytesOf(new Uint16Array(HALVES.map(([b]) => b))) } });
    const h = readSafetensors(file, FILE).get('h')!;
    expect(h.dtype).toBe('F32');
    expect(h.shape).toEqual([HALVES.length]);
    expect(h.data).toBeInstanceOf(Float32Array);
    HALVES.forEach(([b, value], i) => expect(Object.is(h.data[i], value), `0x${b.toString(16)} -> ${h.data[i]}, want ${value}`).toBe(true));
  });

  it('maps every F16 bit pattern to its value (a check independent of the decoder)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const h = readSafetensors(fileOf({ all: { dtype: 'F16', shape: [65536], bytes: bytesOf(all) } }), FILE).get('all')!.data;
    const wrong: string[] = [];
    for (let b = 0; b < 0x7c00; b++) {
      // Positive finite halves: 1024 evenly spaced values per binade, the subnormals continuing the first normal binade's spacing.
      const exponent = b >> 10;
      const want = (exponent === 0 ? 0 : 2 ** (exponent - 15)) + (b & 0x3ff) * 2 ** (Math.max(exponent, 1) - 25);
      if (!Object.is(h[b], want)) wrong.push(`0x${b.toString(16)} -> ${h[b]}, want ${want}`);
      if (!Object.is(h[b | 0x8000], -want)) wrong.push(`0x${(b | 0x8000).toString(16)} -> ${h[b | 0x8000]}, want ${-want}`);
    }
    for (let b = 0x7c01; b < 0x8000; b++) {
      if (!Number.isNaN(h[b]) || !Number.isNaN(h[b | 0x8000])) wrong.push(`0x${b.toString(16)} (or its negative) is not NaN`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('rounds F64 to the nearest float32 (ties to even), keeping -0, infinities and NaN', () => {
    const max = f32(0x7f7fffff);
    const cases: [number, number][] = [
      [0.1, Math.fround(0.1)],
      [-0, -0],
      [1 + 2 ** -24, 1], // a tie: to the even mantissa
      [1 + 3 * 2 ** -24, 1 + 2 ** -22], // a tie the other way
      [1 + 2 ** -24 + 2 ** -50, 1 + 2 ** -23], // just above the tie
      [max, max],
      [max + 2 ** 102, max], // below the halfway point to 2^128
      [-max - 2 ** 102, -max],
      [2 ** -149, 2 ** -149], // the smallest float32 subnormal
      [2 ** -151, 0], // underflows
      [-(2 ** -151), -0],
      [Infinity, Infinity],
      [-Infinity, -Infinity],
      [NaN, NaN],
    ];
    const file = fileOf({ d: { dtype: 'F64', shape: [2, cases.length / 2], bytes: bytesOf(new Float64Array(cases.map(([v]) => v))) } });
    const d = readSafetensors(file, FILE).get('d')!;
    expect([d.dtype, d.shape, d.data.constructor]).toEqual(['F32', [2, cases.length / 2], Float32Array]);
    cases.forEach(([v, want], i) => expect(Object.is(d.data[i], want), `${v} -> ${d.data[i]}, want ${want}`).toBe(true));
  });

  it('rejects a finite F64 beyond float32 range, naming the tensor and the element', () => {
    const max = f32(0x7f7fffff);
    for (const [value, shown] of [
      [1e300, '1e+300'],
      [-1e39, '-1e+39'],
      [max + 2 ** 103, String(max + 2 ** 103)], // exactly halfway to 2^128: rounds to infinity
    ] as const) {
      const file = fileOf({ w: { dtype: 'F64', shape: [3], bytes: bytesOf(new Float64Array([1, 2, value])) } });
      expectFormatError(file, `element 2 of F64 tensor "w" is ${shown}, beyond the range of float32`);
    }
  });

  it('decodes F16 and F64 at any offset in the file, into fresh arrays', () => {
    const half = bytesOf(new Uint16Array([0x3c00, 0xc200]));
    const double = bytesOf(new Float64Array([2.5, -0.1]));
    // One spare byte first: the F16 data starts at an odd offset, the F64 data at one that is not a multiple of 8.
    const file = fileOf({ h: { dtype: 'F16', shape: [2], bytes: half }, d: { dtype: 'F64', shape: [2], bytes: double } }, 1);
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    const read = readSafetensors(shifted.subarray(3), FILE);
    expect([...read.get('h')!.data]).toEqual([1, -3]);
    expect([...read.get('d')!.data]).toEqual([2.5, Math.fround(-0.1)]);
    expect(read.get('d')!.data.buffer.byteLength).toBe(8);
  });
});

describe('readSafetensors of num_batches_tracked', () => {
  const weight = { dtype: 'F32', shape: [2], bytes: bytesOf(new Float32Array([1.5, -2])) };
  const counter = (dtype: string, bytes: Uint8Array) => ({ dtype, shape: [], bytes });

  it('drops an I64 `*.num_batches_tracked` (or one of any other dtype), reading the rest as usual', () => {
    for (const [dtype, bytes] of [
      ['I64', bytesOf(new BigInt64Array([12345n]))],
      ['F64', bytesOf(new Float64Array([12345]))],
      ['F32', bytesOf(new Float32Array([12345]))],
      ['U8', new Uint8Array([7])],
      ['BF16', new Uint8Array([1, 2])],
    ] as const) {
      const file = fileOf({
        'bn1.num_batches_tracked': counter(dtype, bytes),
        'bn1.weight': weight,
        'a.b.num_batches_tracked': counter(dtype, bytes),
      });
      const read = readSafetensors(file, FILE);
      expect([...read.keys()], dtype).toEqual(['bn1.weight']);
      expect([...read.get('bn1.weight')!.data], dtype).toEqual([1.5, -2]);
    }
  });

  it('still checks its entry: size, range, overlap and a dtype that safetensors knows', () => {
    expectFormatError(
      fileOf({ 'bn.num_batches_tracked': counter('I64', new Uint8Array(4)) }),
      'tensor "bn.num_batches_tracked" has 4 bytes of data but I64 shape [] needs 8',
    );
    expectFormatError(
      buildFile({ 'bn.num_batches_tracked': entry('I64', [], [0, 8]) }, new Uint8Array(4)),
      'data of tensor "bn.num_batches_tracked" ends at byte 8',
    );
    expectFormatError(
      buildFile({ 'bn.weight': entry('F32', [2], [0, 8]), 'bn.num_batches_tracked': entry('I64', [], [4, 12]) }, new Uint8Array(12)),
      'tensors "bn.weight" (bytes 0..8) and "bn.num_batches_tracked" (bytes 4..12) overlap',
    );
    expectFormatError(
      buildFile({ 'bn.num_batches_tracked': entry('INT64', [], [0, 8]) }, new Uint8Array(8)),
      'dtype "INT64" of tensor "bn.num_batches_tracked" is not supported',
    );
  });

  it('rejects every other I64 tensor, names that only look alike included', () => {
    for (const name of ['bn.running_count', 'num_batches_tracked_x', 'bn.num_batches_tracked.x', 'bn_num_batches_tracked']) {
      expectFormatError(
        fileOf({ [name]: counter('I64', new Uint8Array(8)) }),
        `dtype "I64" of tensor ${JSON.stringify(name)} is not supported`,
      );
    }
  });
});

describe('readSafetensors on damaged files', () => {
  const read = (file: Uint8Array) => () => readSafetensors(file, FILE);
  const rng = testRng();
  const valid = writeSafetensors(
    new Map([
      ['conv.weight', randomStored(rng, 'F32', [2, 1, 3])],
      ['conv.weight_bits', randomStored(rng, 'U32', [2, 1])],
      ['empty', randomStored(rng, 'F32', [0, 3])],
    ]),
    { format: 'pt' },
  );
  /** The converted dtypes and an ignored counter, which take other paths through the reader. */
  const converted = fileOf({
    'bn.weight': { dtype: 'F16', shape: [3], bytes: bytesOf(new Uint16Array([0x3c00, 0x0001, 0x7c00])) },
    'bn.num_batches_tracked': { dtype: 'I64', shape: [], bytes: bytesOf(new BigInt64Array([3n])) },
    'bn.bias': { dtype: 'F64', shape: [1, 2], bytes: bytesOf(new Float64Array([0.1, -1e30])) },
  });
  /** Characters that turn JSON into other valid JSON more often than random bytes do. */
  const interesting = new TextEncoder().encode('0123456789-.e[]{}",: FIU');

  it('throws only ModelFormatError for every truncation of a valid file', () => {
    for (const file of [valid, converted]) {
      expect(readSafetensors(file, FILE).size).toBe(file === valid ? 3 : 2);
      for (let length = 0; length <= file.length; length++) {
        expectOnlyFormatErrors(read(file.subarray(0, length)), `prefix of ${length} bytes, seed ${rng.seed}`);
      }
    }
  });

  it('throws only ModelFormatError for random mutations of a valid file', () => {
    for (const file of [valid, converted]) {
      for (let trial = 0; trial < 500; trial++) {
        const mutated = mutateBytes(rng, file, interesting, 8 + headerOf(file).length);
        expectOnlyFormatErrors(read(mutated), `mutation ${trial}, seed ${rng.seed}`);
      }
    }
  });

  it('throws only ModelFormatError for random bytes', () => {
    for (let trial = 0; trial < 300; trial++) {
      const file = new Uint8Array(rng.int(0, 64)).map(() => rng.int(0, 255));
      // Half with a believable header length, so that the JSON parser sees the noise.
      if (trial % 2 === 0 && file.length >= 8) new DataView(file.buffer).setBigUint64(0, BigInt(rng.int(0, file.length - 8)), true);
      expectOnlyFormatErrors(read(file), `random bytes ${trial}, seed ${rng.seed}`);
    }
  });
});
