/** xnornet's public API. */
export { Tensor, type DType, shapeSize } from './tensor/tensor.js';
export {
  BITS_PER_WORD,
  type PackedWeights,
  computeAlpha,
  packActivations,
  packWeights,
  sign,
  unpackActivations,
  unpackWeights,
  wordsFor,
} from './tensor/bits.js';
export * as reference from './reference/index.js';
export {
  type AdapterDescription,
  type CreateContextOptions,
  GpuContext,
  GpuDeviceLostError,
  GpuOperationError,
  createContext,
  withContext,
} from './webgpu/context.js';
export { GpuTensor } from './webgpu/gpu-tensor.js';
export { type Launch, submitLaunches } from './webgpu/dispatch.js';
export * from './webgpu/kernels/index.js';
export { ohwiFromOihw } from './tensor/layout.js';
