/// <reference types="@webgpu/types" preserve="true" />
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
export * as reference from './ops/reference.js';
export { type ConvGeometry, type ConvSpec, convGeometry } from './ops/conv.js';
export type { Activation, Affine, Epilogue } from './ops/epilogue.js';
export { type NodeAttrs, type OpName, OP_NAMES, opOf } from './ops/registry.js';
export type { OpDef } from './ops/op.js';
export { type Plan, type Step, planGraph } from './plan/plan.js';
export {
  type AdapterDescription,
  type CreateContextOptions,
  GpuContext,
  GpuDeviceLostError,
  GpuOperationError,
  createContext,
  withContext,
} from './backends/webgpu/context.js';
export { GpuTensor } from './backends/webgpu/gpu-tensor.js';
export { type Launch, submitLaunches } from './backends/webgpu/dispatch.js';
export * from './backends/webgpu/kernels/index.js';
export { ohwiFromOihw } from './tensor/layout.js';
export { ModelFormatError } from './model/errors.js';
export { type Graph, type GraphNode, buildGraph } from './model/graph.js';
export { type Model, type ModelFiles, modelFromFiles } from './model/model.js';
export { loadModel } from './runner/load.js';
export { type Profile, type ProfileOptions, type ProfiledStep, profileModel } from './runner/profile.js';
export type { ModelJson, ModelNode, StoredTensor } from './model/types.js';
export { readSafetensors, writeSafetensors } from './model/safetensors.js';
export { readNpy, writeNpy } from './model/npy.js';
export { packedTensors } from './model/save.js';
export { layerCosts, totalCost } from './model/costs.js';
export { InputShapeError, InputValueError } from './model/input.js';
export { runReference } from './backends/reference.js';
export { SampleTooLargeError, WebGpuExecutor } from './backends/webgpu/executor.js';
export { type Agreement, agreement } from './runner/compare.js';
export { loadZooModel, zooModel, zooNames } from './zoo/index.js';
export { CpuExecutor } from './backends/cpu/executor.js';
export { type Backend, type Runner, BACKENDS, createRunner } from './runner/runner.js';
export {
  type CanvasLike,
  type Classification,
  type ClassifierModel,
  type ClassifyOptions,
  type ImageLike,
  type ImageSource,
  type ImageToInputOptions,
  type Pixels,
  type Preprocess,
  classify,
  imageToInput,
  pixelsToInput,
  preprocessOf,
  topClasses,
} from './runner/classify.js';
export { type CpuThreadPoolOptions, createCpuThreadPool } from './backends/cpu/platform-thread-pool.js';
export type { CpuThreadPool } from './backends/cpu/thread-pool.js';
export type { ConvKernels, FTensor, Floats, OpTraining, TrainContext, TrainParams } from './ops/training.js';
export { referenceConvKernels } from './ops/conv-kernels-reference.js';
export { type TrainBackend, type TrainingSetup, TrainingSession } from './train/session.js';
export type { BatchProgress, EpochRecord, Evaluation, TrainHooks, TrainOptions } from './train/trainer.js';
export type { OptimizerName, OptimizerOptions, OptimizerState, Schedule, ScheduleName } from './train/optimizer.js';
export { Network, type Precision } from './train/network.js';
export { softmaxCrossEntropy } from './train/loss.js';
export { type ClassifierResult, runClassifier } from './train/evaluate.js';
export { type LabelledImages, type Split, checkLabels, subset } from './train/data/dataset.js';
export { DATASET_NAMES, type DatasetName, loadDataset } from './train/data/index.js';
export { shiftAugment } from './train/data/augment.js';
