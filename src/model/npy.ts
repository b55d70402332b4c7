/**
 * NumPy .npy files, the CLI's inputs and outputs (model-format.md): the magic "\x93NUMPY", a
 * version, a little-endian header length (2 bytes in version 1, 4 in versions 2 and 3), a
 * Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, then the
 * data. xnornet reads little-endian float32 and float64 (NumPy's default, converted) in C order;
 * `readNpyArray` also reads uint8 (raw image pixels, for `xnornet predict`) as bytes, and
 * `readNpyIntegers` reads any of NumPy's integer dtypes, either byte order (class labels, for
 * `xnornet train`), as int32.
 */
import { Tensor, formatShape, shapeSize } from '../tensor/tensor.js';
import { ModelFormatError } from './errors.js';

const MAGIC = [0x93, ...new TextEncoder().encode('NUMPY')];
const VERSION_BYTES = 2;
const PREAMBLE_BYTES = MAGIC.length + VERSION_BYTES;

/** Per major version: the size of the header-length field and the header's encoding. */
const VERSIONS = new Map([
  [1, { lengthBytes: 2, encoding: 'latin1' }],
  [2, { lengthBytes: 4, encoding: 'latin1' }],
  [3, { lengthBytes: 4, encoding: 'utf-8' }],
]);

const ITEM_BYTES = { '<f4': 4, '<f8': 8, '|u1': 1 } as const;
type Descr = keyof typeof ITEM_BYTES;
/** One byte has no byte order: NumPy writes '|u1', other writers may write these. */
const UINT8_ALIASES = new Set(['|u1', '<u1', '>u1', 'u1']);
const SUPPORTED = "(xnornet reads '<f4' and '<f8')";
const SUPPORTED_ARRAY = "(xnornet reads '<f4', '<f8' and '|u1')";
const SUPPORTED_INTEGERS = "(xnornet reads '|i1', '|u1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8' and their '>' big-endian forms)";
/** Byte order ('|' or none only for one byte), signedness, size. */
const INTEGER_DESCR = /^([<>|]?)([iu])([1248])$/;

/** What `readNpyArray` reads: floats as float32, uint8 as the file's bytes. */
export type NpyArray =
  | { dtype: 'float32'; tensor: Tensor<Float32Array> }
  | { dtype: 'uint8'; shape: number[]; /** A fresh copy of the file's bytes, in C order. */ data: Uint8Array };

/** NumPy aligns the data to this, so that files can be memory-mapped. */
const DATA_ALIGN = 64;
/** NumPy leaves room for the first dimension to grow to this many digits in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** Deeper nesting than any header needs; the bound keeps a hostile header off the stack limit. */
const MAX_NESTING = 16;

/**
 * A float32 or float64 file as float32. Every problem with `bytes` becomes a ModelFormatError
 * naming `file`; no other error escapes. A uint8 file is an error here (its bytes are pixels,
 * not model inputs): `readNpyArray` reads it.
 */
export function readNpy(bytes: Uint8Array, file: string): Tensor<Float32Array> {
  // checkHeader rejects uint8 files when told to, so this is the float32 case.
  return (parseNpy(bytes, file, false) as Extract<NpyArray, { dtype: 'float32' }>).tensor;
}

/** Like `readNpy`, and uint8 files ('|u1') too, whose data comes back as raw bytes. */
export function readNpyArray(bytes: Uint8Array, file: string): NpyArray {
  return parseNpy(bytes, file, true);
}

/**
 * An integer file (any of NumPy's integer dtypes, either byte order) as int32, for class labels.
 * Float files and values outside int32 are ModelFormatErrors naming `file`.
 */
export function readNpyIntegers(bytes: Uint8Array, file: string): { shape: number[]; data: Int32Array } {
  const { type, shape, data } = parseFile(bytes, file, (descr) => integerType(descr, file));
  return { shape, data: toInt32(data, type, file) };
}

function parseNpy(bytes: Uint8Array, file: string, uint8: boolean): NpyArray {
  const { type, shape, data } = parseFile(bytes, file, (descr) => arrayType(descr, file, uint8));
  if (type.descr === '|u1') return { dtype: 'uint8', shape, data: new Uint8Array(data) };
  return { dtype: 'float32', tensor: new Tensor(toFloat32(data, type.descr), shape) };
}

/** A dtype a reader takes: its (normalised) descr and item size. */
interface DataType {
  descr: string;
  itemBytes: number;
}

/** The header checked (the dtype by `dtypeOf`, which throws on one the reader does not take) and the data's bytes. */
function parseFile<T extends DataType>(
  bytes: Uint8Array,
  file: string,
  dtypeOf: (descr: PyValue) => T,
): { type: T; shape: number[]; data: Uint8Array } {
  const { headerText, dataStart } = readHeaderText(bytes, file);
  const { type, shape } = checkHeader(new LiteralParser(headerText, file).parse(), file, dtypeOf);
  const data = bytes.subarray(dataStart);
  // A product too large to be exact is also far larger than any file.
  const needed = shapeSize(shape) * type.itemBytes;
  if (data.length !== needed) {
    throw new ModelFormatError(file, `data is ${data.length} bytes but shape ${formatShape(shape)} of '${type.descr}' needs ${needed}`);
  }
  return { type, shape, data };
}

function readHeaderText(bytes: Uint8Array, file: string): { headerText: string; dataStart: number } {
  if (bytes.length < PREAMBLE_BYTES) {
    throw new ModelFormatError(file, `file is ${bytes.length} bytes, too short for an .npy file`);
  }
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new ModelFormatError(file, 'not an .npy file (it does not start with "\\x93NUMPY")');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [major, minor] = [view.getUint8(MAGIC.length), view.getUint8(MAGIC.length + 1)];
  const version = minor === 0 ? VERSIONS.get(major) : undefined;
  if (version === undefined) {
    throw new ModelFormatError(file, `.npy version ${major}.${minor} is not supported (xnornet reads 1.0, 2.0 and 3.0)`);
  }
  const headerStart = PREAMBLE_BYTES + version.lengthBytes;
  if (bytes.length < headerStart) {
    throw new ModelFormatError(file, `file is ${bytes.length} bytes, too short for an .npy ${major}.0 header`);
  }
  const headerLength = version.lengthBytes === 2 ? view.getUint16(PREAMBLE_BYTES, true) : view.getUint32(PREAMBLE_BYTES, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw new ModelFormatError(
      file,
      `header length ${headerLength} is larger than the file (${bytes.length - headerStart} bytes follow the length field)`,
    );
  }
  try {
    const headerText = new TextDecoder(version.encoding, { fatal: true }).decode(bytes.subarray(headerStart, dataStart));
    return { headerText, dataStart };
  } catch {
    throw new ModelFormatError(file, `header is not valid ${version.encoding}`);
  }
}

function checkHeader<T>(header: PyValue, file: string, dtypeOf: (descr: PyValue) => T): { type: T; shape: number[] } {
  if (!(header instanceof Map)) throw new ModelFormatError(file, `header is not a dict: ${pyRepr(header)}`);
  const field = (key: string): PyValue => {
    if (!header.has(key)) throw new ModelFormatError(file, `header lacks '${key}'`);
    return header.get(key)!;
  };
  const [rawDescr, fortranOrder, shape] = [field('descr'), field('fortran_order'), field('shape')];
  const type = dtypeOf(rawDescr);
  if (fortranOrder === true) {
    throw new ModelFormatError(file, 'fortran_order is True; xnornet reads C order (save np.ascontiguousarray(x))');
  }
  if (fortranOrder !== false) {
    throw new ModelFormatError(file, `fortran_order must be True or False, got ${pyRepr(fortranOrder)}`);
  }
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0)) {
    throw new ModelFormatError(file, `shape must be a tuple of non-negative integers, got ${pyRepr(shape)}`);
  }
  return { type, shape: shape as number[] };
}

/** The float dtypes, and uint8 when `uint8` (readNpyArray). */
function arrayType(rawDescr: PyValue, file: string, uint8: boolean): { descr: Descr; itemBytes: number } {
  const descr = typeof rawDescr === 'string' && UINT8_ALIASES.has(rawDescr) ? '|u1' : rawDescr;
  if (descr === '|u1' && !uint8) {
    throw new ModelFormatError(
      file,
      `dtype ${pyRepr(rawDescr)} (uint8) is not supported here ${SUPPORTED}: uint8 pixels go to 'xnornet predict', which applies the model's preprocess`,
    );
  }
  if (typeof descr !== 'string' || !Object.hasOwn(ITEM_BYTES, descr)) {
    const endian = typeof descr === 'string' && descr.startsWith('>') ? 'big-endian ' : '';
    throw new ModelFormatError(file, `${endian}dtype ${pyRepr(descr)} is not supported ${uint8 ? SUPPORTED_ARRAY : SUPPORTED}`);
  }
  return { descr: descr as Descr, itemBytes: ITEM_BYTES[descr as Descr] };
}

interface IntegerType extends DataType {
  /** 'i1', 'u4', ...: the descr without its byte order. */
  kind: string;
  littleEndian: boolean;
}

function integerType(descr: PyValue, file: string): IntegerType {
  const match = typeof descr === 'string' ? INTEGER_DESCR.exec(descr) : null;
  const itemBytes = Number(match?.[3]);
  // Several bytes need a byte order: NumPy never writes '|i4' or a bare 'i4'.
  if (match === null || (itemBytes > 1 && match[1] !== '<' && match[1] !== '>')) {
    throw new ModelFormatError(file, `dtype ${pyRepr(descr)} is not an integer dtype ${SUPPORTED_INTEGERS}`);
  }
  return { descr: descr as string, itemBytes, kind: `${match[2]}${match[3]}`, littleEndian: match[1] !== '>' };
}

/**
 * A fresh, aligned copy (not `slice`: on a Node Buffer it makes no copy). The file is
 * little-endian, as is every platform WebGPU runs on.
 */
function toFloat32(data: Uint8Array, descr: '<f4' | '<f8'): Float32Array {
  const buffer = new Uint8Array(data).buffer;
  return descr === '<f4' ? new Float32Array(buffer) : new Float32Array(new Float64Array(buffer));
}

/** DataView's reader for each integer kind (the descr without its byte order). */
const INTEGER_READERS: Record<string, (view: DataView, at: number, littleEndian: boolean) => number | bigint> = {
  i1: (view, at) => view.getInt8(at),
  u1: (view, at) => view.getUint8(at),
  i2: (view, at, le) => view.getInt16(at, le),
  u2: (view, at, le) => view.getUint16(at, le),
  i4: (view, at, le) => view.getInt32(at, le),
  u4: (view, at, le) => view.getUint32(at, le),
  i8: (view, at, le) => view.getBigInt64(at, le),
  u8: (view, at, le) => view.getBigUint64(at, le),
};

/** Each value checked to fit int32 (labels are small, but a uint32 or int64 file may hold anything). */
function toInt32(data: Uint8Array, type: IntegerType, file: string): Int32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const { itemBytes, littleEndian } = type;
  const read = INTEGER_READERS[type.kind]!;
  const out = new Int32Array(data.length / itemBytes);
  for (let i = 0; i < out.length; i++) {
    const value = read(view, i * itemBytes, littleEndian);
    if (value < -0x80000000 || value > 0x7fffffff) {
      throw new ModelFormatError(file, `value ${value} at index ${i} is outside int32 (-2147483648..2147483647)`);
    }
    out[i] = Number(value);
  }
  return out;
}

/** Version 1.0, '<f4', C order, with NumPy's header byte for byte (numpy.lib.format). */
export function writeNpy(t: Tensor<Float32Array>): Uint8Array {
  const header = headerBytes(t.shape);
  const out = new Uint8Array(header.length + t.data.byteLength);
  out.set(header);
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), header.length);
  return out;
}

function headerBytes(shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${pythonTuple(shape)}, }`;
  const first = shape[0];
  const growthRoom = first === undefined ? 0 : GROWTH_AXIS_MAX_DIGITS - String(first).length;
  const lengthBytes = 2;
  // Like NumPy, a header that would end exactly aligned still gets a full block of padding.
  const unpadded = PREAMBLE_BYTES + lengthBytes + dict.length + growthRoom + 1;
  const text = dict + ' '.repeat(growthRoom + DATA_ALIGN - (unpadded % DATA_ALIGN)) + '\n';
  if (text.length > 0xffff) throw new RangeError(`writeNpy: shape of rank ${shape.length} is too long for an .npy 1.0 header`);
  const out = new Uint8Array(PREAMBLE_BYTES + lengthBytes + text.length);
  out.set(MAGIC);
  out[MAGIC.length] = 1; // version 1.0
  new DataView(out.buffer).setUint16(PREAMBLE_BYTES, text.length, true);
  out.set(new TextEncoder().encode(text), PREAMBLE_BYTES + lengthBytes);
  return out;
}

/** Python's repr of a tuple: (), (5,), (2, 3). */
function pythonTuple(items: readonly (number | string)[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** The values of a header's Python literal: a dict is a Map, a tuple or list an array. */
type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

function pyRepr(value: PyValue): string {
  let text: string;
  if (typeof value === 'string') text = `'${value}'`;
  else if (typeof value === 'boolean') text = value ? 'True' : 'False';
  else if (value === null) text = 'None';
  else if (Array.isArray(value)) text = pythonTuple(value.map(pyRepr));
  else if (value instanceof Map) text = `{${[...value].map(([k, v]) => `'${k}': ${pyRepr(v)}`).join(', ')}}`;
  else text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The Python literals .npy headers are made of: dicts with string keys, tuples, lists,
 * strings, integers (with Python 2's `L` suffix), True, False and None. Never `eval`.
 */
class LiteralParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  parse(): PyValue {
    const value = this.value(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('unexpected text after the dict');
    return value;
  }

  private value(depth: number): PyValue {
    if (depth > MAX_NESTING) this.fail('nested too deeply');
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.sequence(')', depth);
    if (c === '[') return this.sequence(']', depth);
    if (c === "'" || c === '"') return this.string(c);
    return this.word();
  }

  private dict(depth: number): Map<string, PyValue> {
    const dict = new Map<string, PyValue>();
    this.items('}', () => {
      const key = this.value(depth + 1);
      if (typeof key !== 'string') this.fail('dict keys must be strings');
      this.skipSpace();
      this.expect(':');
      dict.set(key, this.value(depth + 1));
    });
    return dict;
  }

  private sequence(close: string, depth: number): PyValue[] {
    const items: PyValue[] = [];
    this.items(close, () => items.push(this.value(depth + 1)));
    return items;
  }

  /** Comma-separated items between brackets, a trailing comma allowed as in Python. */
  private items(close: string, item: () => void): void {
    this.pos++; // the opening bracket
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) break;
      item();
      this.skipSpace();
      if (this.text[this.pos] === close) break;
      this.expect(',');
    }
    this.pos++;
  }

  /** An escape keeps the escaped character: no header needs more than \' and \\. */
  private string(quote: string): string {
    let out = '';
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === quote) {
        this.pos = i + 1;
        return out;
      }
      if (c === '\\') i++;
      out += this.text[i] ?? '';
    }
    return this.fail('unterminated string');
  }

  private word(): PyValue {
    const match = /True|False|None|[+-]?\d+L?/y;
    match.lastIndex = this.pos;
    const word = match.exec(this.text)?.[0];
    if (word === undefined) return this.fail(`expected a value but found ${this.describeNext()}`);
    this.pos += word.length;
    if (word === 'True' || word === 'False') return word === 'True';
    if (word === 'None') return null;
    return Number(word.replace('L', ''));
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) this.fail(`expected '${c}' but found ${this.describeNext()}`);
    this.pos++;
  }

  private skipSpace(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private describeNext(): string {
    const c = this.text[this.pos];
    return c === undefined ? 'the end of the header' : `'${c}'`;
  }

  private fail(message: string): never {
    const excerpt = this.text.length > 80 ? `${this.text.slice(0, 77)}...` : this.text;
    throw new ModelFormatError(this.file, `malformed header ${JSON.stringify(excerpt)}: ${message} at character ${this.pos}`);
  }
}
