/**
 * Hugging Face safetensors files, the weights of model-format.md: an 8-byte little-endian
 * header length N, N bytes of JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}`
 * (offsets relative to the data section), then the raw little-endian data.
 *
 * What the rest of xnornet sees is only F32 and U32 (`weight_bits`), the dtypes written too.
 * F16 and F64 (numpy's default float) are read and converted to float32 here: F16 exactly
 * (subnormals, infinities and NaN included: the weight checks reject non-finite values), F64
 * rounded to nearest, and a finite F64 beyond float32's range is an error here. A tensor named
 * `*.num_batches_tracked` (PyTorch's I64 batchnorm bookkeeping) is checked like any other entry
 * and then dropped, whatever its dtype, so that a state_dict saved as is loads: this is the one
 * place that ignores it. Every other dtype (BF16, I64, I32, U8, ...) is an error naming the tensor.
 */
import { assertValidShape, formatShape, shapeSize } from '../tensor/tensor.js';
import { ModelFormatError } from './errors.js';
import type { StoredTensor } from './types.js';

const LENGTH_FIELD_BYTES = 8;
/** The Python library's limit too: a longer header means a corrupt (or hostile) file. */
const MAX_HEADER_BYTES = 100_000_000;
/** The Python library pads the header with spaces to this, so that the data starts aligned. */
const HEADER_ALIGN = 8;
const SPACE = 0x20;
const METADATA_KEY = '__metadata__';
/** PyTorch's batchnorm step counter: not a weight, read past (model-format.md). */
const IGNORED_SUFFIX = '.num_batches_tracked';

/** Bytes per element of every dtype of the safetensors format, so that any entry's size can be checked. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};
/** The dtypes read into a StoredTensor: F16 and F64 become F32. */
type ReadDtype = StoredTensor['dtype'] | 'F16' | 'F64';
const READ_DTYPES: readonly string[] = ['F32', 'F16', 'F64', 'U32'] satisfies ReadDtype[];
const ACCEPTED = 'xnornet reads F32, F16 and F64 (converted to float32) and U32';

/** A header entry that has passed every check that needs only itself and the data size. */
interface TensorEntry {
  name: string;
  /** Any safetensors dtype; only READ_DTYPES get past parseEntry unless the tensor is ignored. */
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Every problem with `bytes` becomes a ModelFormatError naming `file`; no other error escapes. */
export function readSafetensors(bytes: Uint8Array, file: string): Map<string, StoredTensor> {
  const headerLength = readHeaderLength(bytes, file);
  const dataStart = LENGTH_FIELD_BYTES + headerLength;
  const header = parseHeaderJson(bytes.subarray(LENGTH_FIELD_BYTES, dataStart), file);
  const data = bytes.subarray(dataStart);
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) checkMetadata(value, file);
    else entries.push(parseEntry(name, value, data.length, file));
  }
  checkNoOverlap(entries, file);
  const kept = entries.filter((entry) => !isIgnored(entry.name));
  return new Map(kept.map((entry) => [entry.name, copyTensor(entry, data, file)]));
}

function isIgnored(name: string): boolean {
  return name.endsWith(IGNORED_SUFFIX);
}

function readHeaderLength(bytes: Uint8Array, file: string): number {
  if (bytes.length < LENGTH_FIELD_BYTES) {
    throw new ModelFormatError(file, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new ModelFormatError(file, `header length ${length} is absurd (more than ${MAX_HEADER_BYTES} bytes)`);
  }
  const available = bytes.length - LENGTH_FIELD_BYTES;
  if (Number(length) > available) {
    throw new ModelFormatError(file, `header length ${length} is larger than the file (${available} bytes follow the length field)`);
  }
  return Number(length);
}

function parseHeaderJson(headerBytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new ModelFormatError(file, 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(file, `header is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(header)) throw new ModelFormatError(file, `header is not a JSON object: ${preview(header)}`);
  return header;
}

function checkMetadata(metadata: unknown, file: string): void {
  if (!isObject(metadata) || !Object.values(metadata).every((value) => typeof value === 'string')) {
    throw new ModelFormatError(file, `"${METADATA_KEY}" must be an object of strings, got ${preview(metadata)}`);
  }
}

function parseEntry(name: string, value: unknown, dataLength: number, file: string): TensorEntry {
  const tensor = `tensor ${JSON.stringify(name)}`;
  if (!isObject(value)) throw new ModelFormatError(file, `entry of ${tensor} is not an object: ${preview(value)}`);
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(value, key)) throw new ModelFormatError(file, `${tensor} lacks "${key}"`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  const known = typeof dtype === 'string' && Object.hasOwn(DTYPE_BYTES, dtype);
  if (!known || !(READ_DTYPES.includes(dtype) || isIgnored(name))) {
    throw new ModelFormatError(file, `dtype ${preview(dtype)} of ${tensor} is not supported (${ACCEPTED})`);
  }
  if (!isIndexList(shape)) {
    throw new ModelFormatError(file, `shape of ${tensor} must be an array of non-negative integers, got ${preview(shape)}`);
  }
  if (!isIndexList(offsets) || offsets.length !== 2 || offsets[0]! > offsets[1]!) {
    throw new ModelFormatError(
      file,
      `data_offsets of ${tensor} must be two non-negative integers [begin, end] with begin <= end, got ${preview(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw new ModelFormatError(file, `data of ${tensor} ends at byte ${end}, beyond the ${dataLength}-byte data section`);
  }
  // A product too large to be exact is also far larger than any byte length that got this far.
  const needed = shapeSize(shape) * DTYPE_BYTES[dtype]!;
  if (end - begin !== needed) {
    throw new ModelFormatError(file, `${tensor} has ${end - begin} bytes of data but ${dtype} shape ${formatShape(shape)} needs ${needed}`);
  }
  return { name, dtype, shape, begin, end };
}

/** Sorted by start, any overlap shows up between neighbours. Empty tensors overlap nothing. */
function checkNoOverlap(entries: readonly TensorEntry[], file: string): void {
  const ranges = entries.filter((entry) => entry.end > entry.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    const [a, b] = [ranges[i - 1]!, ranges[i]!];
    if (b.begin < a.end) {
      throw new ModelFormatError(
        file,
        `tensors ${JSON.stringify(a.name)} (bytes ${a.begin}..${a.end}) and ${JSON.stringify(b.name)} ` +
          `(bytes ${b.begin}..${b.end}) overlap`,
      );
    }
  }
}

/**
 * A fresh, aligned copy: the data may sit at any offset in the file. (Not `slice`: on a Node
 * Buffer it makes no copy.) The file is little-endian, as is every platform WebGPU runs on.
 */
function copyTensor({ name, dtype, shape, begin, end }: TensorEntry, data: Uint8Array, file: string): StoredTensor {
  const buffer = new Uint8Array(data.subarray(begin, end)).buffer;
  switch (dtype as ReadDtype) {
    case 'F32':
      return { dtype: 'F32', shape, data: new Float32Array(buffer) };
    case 'U32':
      return { dtype: 'U32', shape, data: new Uint32Array(buffer) };
    case 'F16':
      return { dtype: 'F32', shape, data: Float32Array.from(new Uint16Array(buffer), halfToFloat) };
    case 'F64':
      return { dtype: 'F32', shape, data: f64ToF32(new Float64Array(buffer), name, file) };
  }
}

const HALF_MANTISSA = 2 ** 10;

/** An IEEE 754 binary16 bit pattern's value; every one, subnormals too, is exact in float32. */
function halfToFloat(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  let magnitude: number;
  if (exponent === 0x1f) magnitude = mantissa === 0 ? Infinity : NaN;
  else if (exponent === 0) magnitude = mantissa * 2 ** -24;
  else magnitude = (HALF_MANTISSA + mantissa) * 2 ** (exponent - 25);
  return bits & 0x8000 ? -magnitude : magnitude;
}

/** Rounded to nearest float32; a finite value that becomes infinite is an error, infinities and NaN stay for the weight checks. */
function f64ToF32(values: Float64Array, name: string, file: string): Float32Array {
  const out = Float32Array.from(values);
  const bad = out.findIndex((v, i) => !Number.isFinite(v) && Number.isFinite(values[i]));
  if (bad >= 0) {
    throw new ModelFormatError(file, `element ${bad} of F64 tensor ${JSON.stringify(name)} is ${values[bad]}, beyond the range of float32`);
  }
  return out;
}

/**
 * The tensors laid out contiguously in insertion order, the header padded with spaces to a
 * multiple of 8 bytes as the Python `safetensors` library writes it.
 */
export function writeSafetensors(tensors: ReadonlyMap<string, StoredTensor>, metadata?: Record<string, string>): Uint8Array {
  // No prototype, so that a tensor named "__proto__" becomes a key like any other.
  const header = Object.create(null) as Record<string, unknown>;
  if (metadata !== undefined) header[METADATA_KEY] = metadata;
  let dataLength = 0;
  for (const [name, tensor] of tensors) {
    checkStoredTensor(name, tensor);
    const begin = dataLength;
    dataLength += tensor.data.byteLength;
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [begin, dataLength] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / HEADER_ALIGN) * HEADER_ALIGN;
  const out = new Uint8Array(LENGTH_FIELD_BYTES + headerLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, LENGTH_FIELD_BYTES);
  out.fill(SPACE, LENGTH_FIELD_BYTES + json.length, LENGTH_FIELD_BYTES + headerLength);
  let offset = LENGTH_FIELD_BYTES + headerLength;
  for (const { data } of tensors.values()) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    offset += data.byteLength;
  }
  return out;
}

function checkStoredTensor(name: string, { dtype, shape, data }: StoredTensor): void {
  const tensor = `tensor ${JSON.stringify(name)}`;
  if (name === METADATA_KEY) throw new Error(`${tensor}: the name is reserved for the file's metadata`);
  const arrayType = dtype === 'F32' ? Float32Array : Uint32Array;
  if (!(data instanceof arrayType)) {
    throw new Error(`${tensor}: dtype ${dtype} needs a ${arrayType.name}, got a ${data.constructor.name}`);
  }
  assertValidShape(shape, tensor);
  if (data.length !== shapeSize(shape)) {
    throw new Error(`${tensor} has ${data.length} elements but shape ${formatShape(shape)} needs ${shapeSize(shape)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndexList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((x) => Number.isSafeInteger(x) && x >= 0);
}

/** A value from the header, short enough for a one-line message. */
function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
