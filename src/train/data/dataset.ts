/**
 * What every training data source returns: images in NCHW float32 with their integer labels,
 * either raw pixels (the model's preprocess is applied per batch, after augmentation) or values
 * already preprocessed (--images X.npy).
 */
export interface LabelledImages {
  /** NCHW float32 [count, ...shape]: raw pixel values 0..255 when `pixels` is true, else already preprocessed. */
  images: Float32Array;
  shape: [number, number, number]; // [C, H, W]
  labels: Int32Array; // [count], each in 0..classes-1
  count: number;
  pixels: boolean;
  /** Class names when the source knows them (Fashion-MNIST's 10 names; MNIST '0'..'9'). */
  classNames: string[] | undefined;
  /** Where it came from, for messages and model cards: e.g. "Fashion-MNIST train (/usr/share/datasets/fashion-mnist)". */
  description: string;
}

export interface Split {
  train: LabelledImages;
  test: LabelledImages;
}

/** The samples at `indices`, in that order (copies: the result does not share memory with `data`). */
export function subset(data: LabelledImages, indices: ArrayLike<number>): LabelledImages {
  const per = data.shape[0] * data.shape[1] * data.shape[2];
  const images = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= data.count) {
      throw new RangeError(`subset of ${data.description}: index ${i} (position ${k}) is outside 0..${data.count - 1}`);
    }
    images.set(data.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = data.labels[i]!;
  }
  return { ...data, images, labels, count: indices.length };
}

/** Throws a RangeError naming `what`, the index and the value of the first label outside 0..classes-1. */
export function checkLabels(data: LabelledImages, classes: number, what: string = data.description): void {
  for (let i = 0; i < data.count; i++) {
    const label = data.labels[i]!;
    if (label < 0 || label >= classes) {
      throw new RangeError(`${what}: label ${label} at index ${i} is outside 0..${classes - 1} (the model has ${classes} classes)`);
    }
  }
}
