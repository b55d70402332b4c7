/**
 * A user's own data as two .npy files (Node: reads files), for `--images X.npy --labels Y.npy`:
 * images [N, C, H, W] float32 or float64, already preprocessed (or uint8, taken as raw pixels
 * to which the model's preprocess is applied), and labels [N] of any NumPy integer dtype.
 */
import { readFileSync } from 'node:fs';
import { ModelFormatError, fileProblem } from '../../model/errors.js';
import { readNpyArray, readNpyIntegers } from '../../model/npy.js';
import type { LabelledImages } from './dataset.js';

export function loadNpyData(imagesFile: string, labelsFile: string): LabelledImages {
  const array = readNpyArray(read(imagesFile), imagesFile);
  const [shape, images] = array.dtype === 'uint8' ? [array.shape, Float32Array.from(array.data)] : [array.tensor.shape, array.tensor.data];
  if (shape.length !== 4) {
    throw new ModelFormatError(imagesFile, `images must be [N, C, H, W] (rank 4), got shape [${shape.join(', ')}]`);
  }
  const labels = readNpyIntegers(read(labelsFile), labelsFile);
  if (labels.shape.length !== 1) {
    throw new ModelFormatError(labelsFile, `labels must be [N] (rank 1), got shape [${labels.shape.join(', ')}]`);
  }
  const [count, c, h, w] = shape as [number, number, number, number];
  if (labels.shape[0] !== count) {
    throw new ModelFormatError(labelsFile, `holds ${labels.shape[0]} labels but ${imagesFile} holds ${count} images`);
  }
  const negative = labels.data.findIndex((label) => label < 0);
  if (negative >= 0) {
    throw new ModelFormatError(
      labelsFile,
      `label ${labels.data[negative]} at index ${negative} is negative (labels are classes 0, 1, ...)`,
    );
  }
  return {
    images,
    shape: [c, h, w],
    labels: labels.data,
    count,
    pixels: array.dtype === 'uint8',
    classNames: undefined,
    description: `${imagesFile} with labels ${labelsFile}`,
  };
}

function read(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ModelFormatError(file, fileProblem(err));
  }
}
