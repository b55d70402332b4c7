/**
 * Image files for `xnornet predict` (Node only): PNG and JPEG, told apart by their first bytes
 * (not by the file name), decoded by the pngjs and jpeg-js libraries into the `ImageData` shape
 * (RGBA, 4 bytes per pixel) that `imageToInput` takes. Anything else is one line naming the file.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageLike } from '../runner/classify.js';
import { readInput } from './files.js';

/** An image file that cannot be decoded: one line naming the file. */
export class ImageFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ImageFileError';
  }
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0) => prefix.every((b, i) => bytes[at + i] === b);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
const NPY_SIGNATURE = [0x93, ...ascii('NUMPY')];

/** Formats xnornet does not read, recognised only to say what the file is. */
const OTHER_FORMATS: [name: string, test: (bytes: Uint8Array) => boolean][] = [
  ['a GIF image', (b) => startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))],
  ['a WebP image', (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)],
  ['a BMP image', (b) => startsWith(b, ascii('BM'))],
  ['a TIFF image', (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])],
  ['an HEIF/AVIF image', (b) => startsWith(b, ascii('ftyp'), 4)],
];

const READS = 'xnornet reads PNG and JPEG images, and uint8 or float32 .npy files';

export type InputKind = 'png' | 'jpeg' | 'npy';

/** What the file's first bytes say it is, or undefined for anything xnornet does not read. */
export function inputKind(bytes: Uint8Array): InputKind | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, JPEG_SIGNATURE)) return 'jpeg';
  if (startsWith(bytes, NPY_SIGNATURE)) return 'npy';
  return undefined;
}

/** The error for a file that is neither PNG, JPEG nor .npy, saying what it looks like. */
export function unsupportedFile(bytes: Uint8Array, file: string): ImageFileError {
  if (bytes.length === 0) return new ImageFileError(file, `the file is empty; ${READS}`);
  const other = OTHER_FORMATS.find(([, test]) => test(bytes));
  if (other) return new ImageFileError(file, `${other[0]}, which xnornet does not read; ${READS} (convert it to PNG)`);
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return new ImageFileError(file, `not a PNG or JPEG image (it starts with the bytes ${head}); ${READS}`);
}

function decodeWith(file: string, format: string, decode: () => ImageLike): ImageLike {
  try {
    return decode();
  } catch (err) {
    let reason = err instanceof Error ? err.message : String(err);
    // pngjs's words for running out of data.
    if (/read requests waiting|read requests waitng|unexpected end/i.test(reason)) reason = 'the data ends early';
    throw new ImageFileError(file, `cannot decode it as ${format} (${reason}); is the file damaged or cut short?`);
  }
}

/** A PNG or JPEG file's bytes (told apart by their signature) as RGBA pixels. */
export function decodeImage(bytes: Uint8Array, file: string): ImageLike {
  const kind = inputKind(bytes);
  if (kind === 'png') {
    return decodeWith(file, 'PNG', () => {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    });
  }
  if (kind === 'jpeg') {
    return decodeWith(file, 'JPEG', () => {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return { width: image.width, height: image.height, data: image.data };
    });
  }
  if (kind === 'npy') throw new ImageFileError(file, 'an .npy file, not an image (xnornet predict reads it as pixels or inputs)');
  throw unsupportedFile(bytes, file);
}

/** Reads and decodes a PNG or JPEG file. */
export async function readImage(path: string): Promise<ImageLike> {
  return decodeImage(await readInput(path), path);
}
