/** A tensor whose data lives in a GPUBuffer, with upload and readback. */
import {
  type AnyTypedArray,
  type DType,
  type DTypeOf,
  Tensor,
  type TypedArrayOf,
  allocate,
  assertValidShape,
  formatShape,
  shapeSize,
} from '../../tensor/tensor.js';
import type { GpuContext } from './context.js';

const BYTES_PER_ELEMENT = 4;

export class GpuTensor<D extends DType = DType> {
  private released = false;

  private constructor(
    readonly ctx: GpuContext,
    readonly buffer: GPUBuffer,
    readonly dtype: D,
    readonly shape: readonly number[],
    /** False for a view of a buffer someone else owns: destroy() then leaves the buffer alone. */
    private readonly owned = true,
  ) {}

  /** A tensor over the start of an existing buffer (e.g. one an executor reuses for many values). */
  static view<D extends DType>(ctx: GpuContext, buffer: GPUBuffer, dtype: D, shape: readonly number[]): GpuTensor<D> {
    const bytes = shapeSize(shape) * BYTES_PER_ELEMENT;
    if (bytes > buffer.size)
      throw new RangeError(`${buffer.label}: ${formatShape(shape)} needs ${bytes} bytes, the buffer has ${buffer.size}`);
    return new GpuTensor(ctx, buffer, dtype, Object.freeze([...shape]), false);
  }

  /** An uninitialised tensor (kernels write it). */
  static empty<D extends DType>(ctx: GpuContext, dtype: D, shape: readonly number[], label = 'tensor'): GpuTensor<D> {
    ctx.assertUsable();
    assertValidShape(shape, label);
    const bytes = shapeSize(shape) * BYTES_PER_ELEMENT;
    const limit = Math.min(ctx.limits.maxBufferSize, ctx.limits.maxStorageBufferBindingSize);
    if (bytes > limit) {
      throw new RangeError(
        `${label}: ${dtype} ${formatShape(shape)} needs ${bytes} bytes, more than this device's limit of ${limit} bytes per buffer`,
      );
    }
    const buffer = ctx.device.createBuffer({
      label,
      // WebGPU rejects zero-sized bindings, so an empty tensor still gets one word.
      size: Math.max(BYTES_PER_ELEMENT, bytes),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    return new GpuTensor(ctx, buffer, dtype, Object.freeze([...shape]));
  }

  static upload<A extends AnyTypedArray>(ctx: GpuContext, tensor: Tensor<A>, label = 'tensor'): GpuTensor<DTypeOf<A>> {
    const gpuTensor = GpuTensor.empty(ctx, tensor.dtype, tensor.shape, label);
    ctx.device.queue.writeBuffer(gpuTensor.buffer, 0, tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    return gpuTensor;
  }

  get size(): number {
    return shapeSize(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get byteLength(): number {
    return this.size * BYTES_PER_ELEMENT;
  }

  /** Copies the data back to the host. */
  async read(): Promise<Tensor<TypedArrayOf[D]>> {
    if (this.released) throw new Error(`${this.buffer.label}: read after destroy()`);
    const { device } = this.ctx;
    const bytes = this.byteLength;
    const host = allocate(this.dtype, this.size);
    if (bytes === 0) return new Tensor(host, this.shape);
    await this.ctx.checked(`reading ${this.buffer.label}`, async () => {
      const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      try {
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(this.buffer, 0, staging, 0, bytes);
        device.queue.submit([encoder.finish()]);
        await staging.mapAsync(GPUMapMode.READ);
        new Uint8Array(host.buffer).set(new Uint8Array(staging.getMappedRange()));
        staging.unmap();
      } finally {
        staging.destroy();
      }
    });
    return new Tensor(host, this.shape);
  }

  destroy(): void {
    this.released = true;
    if (this.owned) this.buffer.destroy();
  }
}
