/** Host tensors: a typed array plus a shape. Activations at the API are NCHW float32. */

export type DType = 'float32' | 'uint32' | 'int32';

export interface TypedArrayOf {
  float32: Float32Array;
  uint32: Uint32Array;
  int32: Int32Array;
}

export type AnyTypedArray = TypedArrayOf[DType];

export type DTypeOf<A extends AnyTypedArray> = A extends Float32Array ? 'float32' : A extends Uint32Array ? 'uint32' : 'int32';

const constructors = {
  float32: Float32Array,
  uint32: Uint32Array,
  int32: Int32Array,
} as const;

export function allocate<D extends DType>(dtype: D, length: number): TypedArrayOf[D] {
  return new constructors[dtype](length) as TypedArrayOf[D];
}

export function dtypeOf(data: AnyTypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof Int32Array) return 'int32';
  throw new TypeError('tensor data must be a Float32Array, Uint32Array or Int32Array');
}

export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function assertValidShape(shape: readonly number[], what = 'tensor'): void {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new RangeError(`${what}: invalid shape ${formatShape(shape)} (dimensions must be non-negative integers)`);
    }
  }
}

/** The type parameter is the array type, so `new Tensor(new Float32Array(n), shape)` infers it. */
export class Tensor<A extends AnyTypedArray = AnyTypedArray> {
  readonly dtype: DTypeOf<A>;
  readonly shape: readonly number[];
  readonly data: A;

  constructor(data: A, shape: readonly number[]) {
    assertValidShape(shape);
    if (data.length !== shapeSize(shape)) {
      throw new RangeError(`tensor data has ${data.length} elements but shape ${formatShape(shape)} needs ${shapeSize(shape)}`);
    }
    this.dtype = dtypeOf(data) as DTypeOf<A>;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  static zeros<D extends DType = 'float32'>(shape: readonly number[], dtype: D = 'float32' as D): Tensor<TypedArrayOf[D]> {
    assertValidShape(shape);
    return new Tensor(allocate(dtype, shapeSize(shape)), shape);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Same data, new shape (sizes must agree). */
  reshape(shape: readonly number[]): Tensor<A> {
    return new Tensor(this.data, shape);
  }
}

/** The four dimensions of an NCHW tensor, with a clear error for any other rank. */
export function nchwDims(t: Tensor, what: string): [n: number, c: number, h: number, w: number] {
  if (t.rank !== 4) throw new RangeError(`${what}: expected an NCHW tensor of rank 4, got shape ${formatShape(t.shape)}`);
  return t.shape as unknown as [number, number, number, number];
}

/** A [N, F] matrix's dimensions, with a clear error for any other rank. */
export function matrixDims(t: Tensor, what: string): [rows: number, cols: number] {
  if (t.rank !== 2) throw new RangeError(`${what}: expected a rank-2 tensor [N, F], got shape ${formatShape(t.shape)}`);
  return t.shape as unknown as [number, number];
}

/** Batches [n_i, ...rest] joined along dimension 0 into one [sum n_i, ...rest]. */
export function concatBatches(parts: readonly Tensor<Float32Array>[]): Tensor<Float32Array> {
  if (parts.length === 1) return parts[0]!;
  const data = new Float32Array(parts.reduce((s, p) => s + p.size, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.size;
  }
  return new Tensor(data, [parts.reduce((s, p) => s + p.shape[0]!, 0), ...parts[0]!.shape.slice(1)]);
}
