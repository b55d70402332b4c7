/**
 * The IDX format of (Fashion-)MNIST: a big-endian magic 0x0000TTDD (TT the element type, 0x08
 * for uint8; DD the number of dimensions), DD big-endian uint32 sizes, then the elements in C
 * order. Pure (bytes in, arrays out), so it works in a browser too.
 */
import { ModelFormatError } from '../../model/errors.js';

const IMAGES_MAGIC = 0x00000803; // uint8 [N, rows, cols]
const LABELS_MAGIC = 0x00000801; // uint8 [N]
const GZIP_MAGIC = 0x1f8b;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols pixels (a view of the input bytes). */
  pixels: Uint8Array;
}

/** Images [N, rows, cols] of uint8 (magic 0x00000803). Every problem is a ModelFormatError naming `file`. */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const { dims, data } = parseIdx(bytes, file, IMAGES_MAGIC, 'images');
  const [count, rows, cols] = dims as [number, number, number];
  return { count, rows, cols, pixels: data };
}

/** Labels [N] of uint8 (magic 0x00000801). Every problem is a ModelFormatError naming `file`. */
export function parseIdxLabels(bytes: Uint8Array, file: string): Uint8Array {
  return parseIdx(bytes, file, LABELS_MAGIC, 'labels').data;
}

function parseIdx(bytes: Uint8Array, file: string, magic: number, what: string): { dims: number[]; data: Uint8Array } {
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 2 && view.getUint16(0) === GZIP_MAGIC) {
    throw new ModelFormatError(file, 'is gzip-compressed; gunzip it first');
  }
  if (bytes.length < 4) throw new ModelFormatError(file, `file is ${bytes.length} bytes, too short for an IDX file`);
  const found = view.getUint32(0);
  if (found !== magic) {
    throw new ModelFormatError(
      file,
      `magic number ${hex(found)} is not that of IDX uint8 ${what} (${hex(magic)}): ${describeMagic(found)}`,
    );
  }
  if (bytes.length < headerBytes) {
    throw new ModelFormatError(file, `file is ${bytes.length} bytes, too short for an IDX ${what} header (${headerBytes} bytes)`);
  }
  const dims = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d));
  const needed = dims.reduce((a, b) => a * b, 1);
  const data = bytes.subarray(headerBytes);
  if (data.length !== needed) {
    const problem = data.length < needed ? 'truncated' : 'longer than its header says';
    throw new ModelFormatError(
      file,
      `${problem}: ${what} of shape [${dims.join(', ')}] need ${needed} bytes after the header, the file has ${data.length}`,
    );
  }
  return { dims, data };
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** What a wrong magic is, so that a swapped images/labels pair or a foreign file reads plainly. */
function describeMagic(magic: number): string {
  if (magic === IMAGES_MAGIC) return 'this is an images file';
  if (magic === LABELS_MAGIC) return 'this is a labels file';
  if (magic >>> 16 === 0) return `an IDX file of type 0x${((magic >>> 8) & 0xff).toString(16)} with ${magic & 0xff} dimension(s)`;
  return 'not an IDX file';
}

/** An images file and its labels file as LabelledImages' fields (pixels 0..255, shape [1, rows, cols]). */
export function idxLabelledImages(
  images: { bytes: Uint8Array; file: string },
  labels: { bytes: Uint8Array; file: string },
): { images: Float32Array; shape: [number, number, number]; labels: Int32Array; count: number } {
  const parsed = parseIdxImages(images.bytes, images.file);
  const labelBytes = parseIdxLabels(labels.bytes, labels.file);
  if (labelBytes.length !== parsed.count) {
    throw new ModelFormatError(labels.file, `holds ${labelBytes.length} labels but ${images.file} holds ${parsed.count} images`);
  }
  return {
    images: Float32Array.from(parsed.pixels),
    shape: [1, parsed.rows, parsed.cols],
    labels: Int32Array.from(labelBytes),
    count: parsed.count,
  };
}
