import { describe, expect, it } from 'vitest';
import { readNpy, readNpyArray, writeNpy } from '../src/model/npy.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectOnlyFormatErrors, mutateBytes, formatErrorOf } from './helpers/fuzz.js';
import { randomTensor, testRng } from './helpers/random.js';

const FILE = 'input.npy';
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const F4_2X3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

/** An .npy file built byte by byte: magic, version, header length (2 or 4 bytes), header, data. */
function npyFile(header: string, data: ArrayLike<number> = [], major = 1): Uint8Array {
  const text = new TextEncoder().encode(header);
  const length = major === 1 ? [text.length & 0xff, text.length >> 8] : [text.length & 0xff, text.length >> 8, 0, 0];
  return new Uint8Array([...MAGIC, major, 0, ...length, ...text, ...Array.from(data)]);
}

function f4Bytes(values: number[]): number[] {
  return [...new Uint8Array(new Float32Array(values).buffer)];
}

function expectFormatError(file: Uint8Array, ...words: string[]): void {
  const err = formatErrorOf(() => readNpy(file, FILE));
  expect(err.file).toBe(FILE);
  for (const word of words) expect(err.message).toContain(word);
  expect(err.message.startsWith(`${FILE}: `)).toBe(true);
}

/** Bit patterns, so that -0 and every float compare exactly. */
const bits = (data: Float32Array) => [...new Uint32Array(data.buffer, data.byteOffset, data.length)];

describe('writeNpy', () => {
  it('writes the bytes NumPy writes for np.arange(6, dtype="<f4").reshape(2, 3)', () => {
    // NumPy leaves 20 spaces for the first dimension to grow, then pads to 128 bytes in all.
    const header = F4_2X3 + ' '.repeat(58) + '\n';
    const expected = [...MAGIC, 1, 0, 118, 0, ...new TextEncoder().encode(header), ...f4Bytes([0, 1, 2, 3, 4, 5])];
    const written = writeNpy(new Tensor(new Float32Array([0, 1, 2, 3, 4, 5]), [2, 3]));
    expect([...written]).toEqual(expected);
    expect(written.length).toBe(128 + 24);
  });

  it('writes the header NumPy writes for other shapes, the data starting at a multiple of 64', () => {
    // [shape, header as NumPy 2.4 writes it, spaces before its '\n', total header bytes]
    const cases: [number[], string, number, number][] = [
      [[], '()', 62, 128],
      [[5], '(5,)', 60, 128],
      [[0, 3], '(0, 3)', 58, 128],
      [[1234567, 0], '(1234567, 0)', 52, 128],
      // Already aligned at 128 without padding: NumPy still adds a full 64 bytes.
      [[...Array(13).fill(1), 100], `(${'1, '.repeat(13)}100)`, 84, 192],
      [[...Array(13).fill(1), 1000], `(${'1, '.repeat(13)}1000)`, 83, 192],
    ];
    for (const [shape, tuple, spaces, total] of cases) {
      const header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }${' '.repeat(spaces)}\n`;
      const written = writeNpy(Tensor.zeros(shape));
      expect(header.length + 10, `shape [${shape}]`).toBe(total);
      expect([...written.subarray(0, total)], `shape [${shape}]`).toEqual([...npyFile(header)]);
      expect(written.length, `shape [${shape}]`).toBe(total + 4 * Tensor.zeros(shape).size);
    }
  });

  it('round-trips random tensors of several shapes through readNpy', () => {
    const rng = testRng();
    for (const shape of [[2, 3], [0, 3], [1], [], [2, 3, 4, 5], [7]]) {
      const t = randomTensor(rng, shape);
      const back = readNpy(writeNpy(t), FILE);
      expect(back.shape, `shape [${shape}] seed ${rng.seed}`).toEqual(shape);
      expect(bits(back.data), `shape [${shape}] seed ${rng.seed}`).toEqual(bits(t.data));
    }
  });

  it('writes only the elements of a view, not its whole buffer', () => {
    const view = new Float32Array([9, 1, 2, 9]).subarray(1, 3);
    expect([...readNpy(writeNpy(new Tensor(view, [2])), FILE).data]).toEqual([1, 2]);
  });
});

describe('readNpy', () => {
  it('converts a hand-built <f8 file to float32', () => {
    const values = [1.5, -2, 1e-3, 3.4e39];
    const data = new Uint8Array(new Float64Array(values).buffer);
    const t = readNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }\n", data), FILE);
    expect(t.shape).toEqual([2, 2]);
    expect([...t.data]).toEqual([1.5, -2, Math.fround(1e-3), Infinity]);
  });

  it('reads a 0-d array as shape [] and an empty one as shape [0, 3]', () => {
    const scalar = readNpy(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", f4Bytes([2.5])), FILE);
    expect([scalar.shape, [...scalar.data]]).toEqual([[], [2.5]]);
    const empty = readNpy(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }\n"), FILE);
    expect([empty.shape, empty.size]).toEqual([[0, 3], 0]);
  });

  it('parses headers with keys in any order, other quotes and spacing, and versions 2.0 and 3.0', () => {
    const data = f4Bytes([1, 2, 3, 4, 5, 6]);
    const headers = [
      F4_2X3,
      "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
      '{"descr":"<f4","fortran_order":False,"shape":(2,3,),}',
      "  {  'fortran_order' :False ,\t'shape' : ( 2 , 3 ) , 'descr' : '<f4' ,  }  \n",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", // Python 2's NumPy
      "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], 'extra': {'a': (None, [True])}}",
    ];
    for (const [major, header] of [...headers.map((h) => [1, h] as const), [2, F4_2X3] as const, [3, F4_2X3] as const]) {
      const t = readNpy(npyFile(header, data, major), FILE);
      expect(t.shape, `version ${major}: ${header}`).toEqual([2, 3]);
      expect([...t.data], `version ${major}: ${header}`).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('decodes data at any offset into a fresh array', () => {
    const file = npyFile(F4_2X3, f4Bytes([1, 2, 3, 4, 5, 6]));
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    const t = readNpy(shifted.subarray(3), FILE);
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 6]);
    t.data[0] = 0;
    expect(readNpy(shifted.subarray(3), FILE).data[0]).toBe(1);
  });

  it('copies out of a small Node Buffer, whose memory is part of a shared pool', () => {
    const t = readNpy(Buffer.from(writeNpy(new Tensor(new Float32Array([3, -4]), [2]))), FILE);
    expect([t.data.buffer.byteLength, ...t.data]).toEqual([8, 3, -4]);
  });

  it('rejects a file that is too short or not an .npy file', () => {
    expectFormatError(new Uint8Array([0x93, 0x4e]), '2 bytes, too short for an .npy file');
    expectFormatError(new TextEncoder().encode('PK\x03\x04 zip file'), 'not an .npy file');
    expectFormatError(new Uint8Array([...MAGIC, 2, 0, 5, 0]), '10 bytes, too short for an .npy 2.0 header');
  });

  it('rejects unknown versions', () => {
    for (const [major, minor] of [
      [0, 0],
      [4, 0],
      [1, 1],
      [255, 3],
    ] as const) {
      const file = npyFile(F4_2X3, f4Bytes([1, 2, 3, 4, 5, 6]));
      [file[6], file[7]] = [major, minor];
      expectFormatError(file, `.npy version ${major}.${minor} is not supported`);
    }
  });

  it('rejects a header length that runs past the end of the file', () => {
    const file = npyFile(F4_2X3);
    file[8] = 200;
    expectFormatError(file, 'header length 200 is larger than the file (59 bytes follow the length field)');
  });

  it('rejects a version 3.0 header that is not UTF-8', () => {
    const file = npyFile(F4_2X3, f4Bytes([1, 2, 3, 4, 5, 6]), 3);
    file[14] = 0xff;
    expectFormatError(file, 'header is not valid utf-8');
  });

  it('rejects malformed header literals, saying what and where', () => {
    const cases: [string, string][] = [
      ['', 'expected a value but found the end of the header at character 0'],
      ["{'descr': '<f4'", "expected ',' but found the end of the header"],
      ["{'descr': '<f4', 'shape': (2, 3)} junk", 'unexpected text after the dict'],
      ["{'descr' '<f4'}", "expected ':' but found '''"],
      ["{'descr: '<f4'}", "expected ':' but found '<'"],
      ["{'descr': '<f4}", 'unterminated string'],
      ["{'shape': (2.5, 3)}", "expected ',' but found '.'"],
      ["{'descr': np.float32}", "expected a value but found 'n'"],
      ['{(1,): 2}', 'dict keys must be strings'],
      ['{,}', "expected a value but found ','"],
      [`{'shape': ${'('.repeat(100)}`, 'nested too deeply'],
    ];
    for (const [header, words] of cases) expectFormatError(npyFile(header), 'malformed header', words);
  });

  it('rejects a header that is not a dict or lacks a key', () => {
    expectFormatError(npyFile("('<f4', False, (2, 3))"), "header is not a dict: ('<f4', False, (2, 3))");
    for (const key of ['descr', 'fortran_order', 'shape']) {
      const header = F4_2X3.replace(`'${key}'`, "'other'");
      expectFormatError(npyFile(header, f4Bytes([1, 2, 3, 4, 5, 6])), `header lacks '${key}'`);
    }
  });

  it('rejects big-endian data and other dtypes, naming the dtype', () => {
    const cases: [string, string][] = [
      ["'>f4'", "big-endian dtype '>f4' is not supported (xnornet reads '<f4' and '<f8')"],
      ["'>f8'", "big-endian dtype '>f8' is not supported"],
      ["'<i4'", "dtype '<i4' is not supported"],
      ["'|i1'", "dtype '|i1' is not supported"],
      ["'<f2'", "dtype '<f2' is not supported"],
      ["[('x', '<f4')]", "dtype (('x', '<f4'),) is not supported"],
      ['None', 'dtype None is not supported'],
    ];
    for (const [descr, message] of cases) {
      expectFormatError(npyFile(F4_2X3.replace("'<f4'", descr), new Uint8Array(24)), message);
    }
  });

  it('rejects Fortran order and a fortran_order that is not a bool', () => {
    expectFormatError(npyFile(F4_2X3.replace('False', 'True'), f4Bytes([1, 2, 3, 4, 5, 6])), 'fortran_order is True');
    expectFormatError(npyFile(F4_2X3.replace('False', "'no'")), "fortran_order must be True or False, got 'no'");
  });

  it('rejects a shape that is not a tuple of non-negative integers', () => {
    for (const [shape, found] of [
      ['(-1, 3)', '(-1, 3)'],
      ["('2', 3)", "('2', 3)"],
      ['6', '6'],
      ['(None,)', '(None,)'],
      ['(99999999999999999999,)', '(100000000000000000000,)'],
    ]) {
      expectFormatError(npyFile(F4_2X3.replace('(2, 3)', shape!)), `shape must be a tuple of non-negative integers, got ${found}`);
    }
  });

  it('rejects data of the wrong length', () => {
    expectFormatError(npyFile(F4_2X3, f4Bytes([1, 2, 3, 4, 5])), "data is 20 bytes but shape [2, 3] of '<f4' needs 24");
    expectFormatError(npyFile(F4_2X3, f4Bytes([1, 2, 3, 4, 5, 6, 7])), 'data is 28 bytes');
    expectFormatError(npyFile(F4_2X3.replace('<f4', '<f8'), f4Bytes([1, 2, 3, 4, 5, 6])), "of '<f8' needs 48");
    expectFormatError(npyFile(F4_2X3.replace('(2, 3)', '(1000000000, 1000000000, 1000000000)')), 'data is 0 bytes');
  });
});

describe('readNpy on damaged files', () => {
  const read = (file: Uint8Array) => () => readNpy(file, FILE);
  const rng = testRng();
  const valid = writeNpy(randomTensor(rng, [2, 3]));
  /** Characters that turn a header into another well-formed one more often than random bytes do. */
  const interesting = new TextEncoder().encode('0123456789-L\'"(){}[],: <>f48TrueFalsNon');

  it('throws only ModelFormatError for every truncation of a valid file', () => {
    for (let length = 0; length <= valid.length; length++) {
      expectOnlyFormatErrors(read(valid.subarray(0, length)), `prefix of ${length} bytes, seed ${rng.seed}`);
    }
  });

  it('throws only ModelFormatError for random mutations of a valid file', () => {
    for (let trial = 0; trial < 500; trial++) {
      // Mostly within the preamble and the header's dict, where the parser is.
      const file = mutateBytes(rng, valid, interesting, 81);
      expectOnlyFormatErrors(read(file), `mutation ${trial}, seed ${rng.seed}`);
    }
  });

  it('throws only ModelFormatError for random bytes', () => {
    for (let trial = 0; trial < 300; trial++) {
      const file = new Uint8Array(rng.int(0, 64)).map(() => rng.int(0, 255));
      // Half with a valid preamble, so that the header parser sees the noise.
      if (trial % 2 === 0 && file.length >= 10) file.set([...MAGIC, 1, 0, rng.int(0, file.length - 10), 0]);
      expectOnlyFormatErrors(read(file), `random bytes ${trial}, seed ${rng.seed}`);
    }
  });
});

describe('readNpyArray (uint8 pixels)', () => {
  const U1_2X2 = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }\n";

  it("reads a uint8 file ('|u1', as NumPy writes it, or '<u1', '>u1', 'u1') as its raw bytes", () => {
    for (const descr of ['|u1', '<u1', '>u1', 'u1']) {
      const file = npyFile(U1_2X2.replace('|u1', descr), [0, 7, 128, 255]);
      const array = readNpyArray(file, FILE);
      expect(array, descr).toEqual({ dtype: 'uint8', shape: [2, 2], data: new Uint8Array([0, 7, 128, 255]) });
    }
  });

  it('returns a fresh copy of the bytes, and reads [N, C, H, W] pixels in C order', () => {
    const pixels = Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i * 10);
    const file = npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 2, 2), }", pixels);
    const array = readNpyArray(file, FILE);
    if (array.dtype !== 'uint8') throw new Error('expected uint8');
    expect([array.shape, [...array.data]]).toEqual([[2, 3, 2, 2], pixels]);
    array.data[0] = 99;
    expect(file[file.length - pixels.length]).toBe(0);
  });

  it('reads float files as readNpy does', () => {
    const t = new Tensor(new Float32Array([1.5, -2, 3, 4]), [2, 2]);
    const array = readNpyArray(writeNpy(t), FILE);
    if (array.dtype !== 'float32') throw new Error('expected float32');
    expect([array.tensor.shape, [...array.tensor.data]]).toEqual([
      [2, 2],
      [1.5, -2, 3, 4],
    ]);
  });

  it('readNpy still takes only floats: a uint8 file is one clear line pointing to xnornet predict', () => {
    expectFormatError(
      npyFile(U1_2X2, [0, 1, 2, 3]),
      "dtype '|u1' (uint8) is not supported here (xnornet reads '<f4' and '<f8')",
      'xnornet predict',
    );
  });

  it('rejects uint8 data of the wrong length and other dtypes, listing uint8 among those it reads', () => {
    const err = formatErrorOf(() => readNpyArray(npyFile(U1_2X2, [1, 2, 3]), FILE));
    expect(err.message).toBe(`${FILE}: data is 3 bytes but shape [2, 2] of '|u1' needs 4`);
    const other = formatErrorOf(() => readNpyArray(npyFile(U1_2X2.replace('|u1', '<i2'), new Uint8Array(8)), FILE));
    expect(other.message).toBe(`${FILE}: dtype '<i2' is not supported (xnornet reads '<f4', '<f8' and '|u1')`);
  });

  it('throws only ModelFormatError for every truncation of a valid uint8 file', () => {
    const valid = npyFile(U1_2X2, [0, 1, 2, 3]);
    for (let length = 0; length <= valid.length; length++) {
      expectOnlyFormatErrors(() => readNpyArray(valid.subarray(0, length), FILE), `prefix of ${length} bytes`);
    }
  });
});
