/**
 * Training from the library: a network, its optimiser and a backend's kernels, with the
 * models a run produces. Runs in Node and in a browser (no file access here; src/train/files.ts
 * writes and reads a run's folder in Node).
 * - `deployable()`: the trained model as inference runs it, binary layers packed;
 * - `checkpoint()`: the latent float weights and batchnorm statistics under PyTorch's names, a
 *   model in the standard format (runnable, and a starting point for more training);
 * - `optimizerState()`: what --resume needs besides the checkpoint.
 */
import { createCpuThreadPool } from '../backends/cpu/platform-thread-pool.js';
import type { CpuThreadPool } from '../backends/cpu/thread-pool.js';
import { type GpuContext, createContext } from '../backends/webgpu/context.js';
import { createGpuGemm } from '../backends/webgpu/gemm.js';
import { gemmConvKernels } from '../backends/train-kernels.js';
import { type Model, modelFromFiles } from '../model/model.js';
import { packedTensors } from '../model/save.js';
import { writeSafetensors } from '../model/safetensors.js';
import type { ModelJson, StoredTensor } from '../model/types.js';
import { referenceConvKernels } from '../ops/conv-kernels-reference.js';
import type { ConvKernels } from '../ops/training.js';
import { createRng } from '../util/random.js';
import type { LabelledImages } from './data/dataset.js';
import { initialiseLikePyTorch } from './init.js';
import { Network } from './network.js';
import { Optimizer, type OptimizerOptions, type OptimizerState } from './optimizer.js';
import { type EpochRecord, type Evaluation, type TrainHooks, type TrainOptions, evaluate, train } from './trainer.js';

/**
 * Where training runs: the cpu backend (float32, Wasm SIMD GEMMs), WebGPU (float32, WGSL
 * GEMMs; the other steps on the CPU) or the float64 reference (slow; for checks).
 */
export type TrainBackend = 'cpu' | 'webgpu' | 'reference';

export interface TrainingSetup {
  /** The starting model: its graph, and its weights unless `initialise` is set. */
  model: Model;
  /** Start from PyTorch's default initialisation (seeded by options.seed) instead of the model's weights. */
  initialise: boolean;
  backend: TrainBackend;
  optimizer: OptimizerOptions;
  options: TrainOptions;
  /** model.json fields of the trained model: its name, labels and preprocess. */
  describe?: Pick<ModelJson, 'name' | 'labels' | 'preprocess'>;
  /** webgpu: the device to train on (default: a new context on the adapter xnornet finds). */
  gpu?: GpuContext;
  /** cpu: threads that split each GEMM (default 1, so that a run's arithmetic is the same everywhere; the results are identical for any count). */
  threads?: number;
}

interface Kernels {
  kernels: ConvKernels;
  description: string;
  /** What the session made, and so releases on close(). */
  owned: { close(): unknown } | undefined;
}

async function kernelsFor({ backend, gpu, threads = 1 }: TrainingSetup): Promise<Kernels> {
  if (backend === 'reference') return { kernels: referenceConvKernels, description: 'float64 reference loops', owned: undefined };
  if (backend === 'cpu') {
    const pool: CpuThreadPool = await createCpuThreadPool({ threads });
    const gemm = { description: `cpu backend, float32 ${pool.kernel} GEMM, ${pool.threads} thread(s)`, run: pool.gemm.bind(pool) };
    const alloc = (length: number) => pool.sharedArray(Float32Array, length);
    return { kernels: gemmConvKernels(gemm, alloc), description: gemm.description, owned: pool };
  }
  const context = gpu ?? (await createContext());
  const owned = gpu ? undefined : { close: () => context.destroy() };
  const gemm = createGpuGemm(context);
  return { kernels: gemmConvKernels(gemm), description: gemm.description, owned };
}

export class TrainingSession {
  /** Epochs completed (more after a resume). */
  epochsDone = 0;
  readonly curve: EpochRecord[] = [];

  private constructor(
    readonly network: Network,
    readonly optimizer: Optimizer,
    readonly kernels: ConvKernels,
    readonly setup: TrainingSetup,
    /** The kernels, in words, for progress lines and curve.json. */
    readonly description: string,
    private readonly owned: { close(): unknown } | undefined,
  ) {}

  static async create(setup: TrainingSetup): Promise<TrainingSession> {
    const json = { ...setup.model.graph.json, ...setup.describe };
    const model = setup.describe ? { ...setup.model, graph: { ...setup.model.graph, json } } : setup.model;
    const network = new Network(model, setup.backend === 'reference' ? 'float64' : 'float32');
    if (setup.initialise) initialiseLikePyTorch(network, createRng(setup.options.seed));
    const { kernels, description, owned } = await kernelsFor(setup);
    return new TrainingSession(network, new Optimizer(network, setup.optimizer), kernels, setup, description, owned);
  }

  /** Trains the remaining epochs; resolves with the records of those it completed. */
  async train(data: { train: LabelledImages; test: LabelledImages | undefined }, hooks: TrainHooks = {}): Promise<EpochRecord[]> {
    const onEpoch = async (record: EpochRecord) => {
      this.epochsDone = record.epoch;
      this.curve.push(record);
      await hooks.onEpoch?.(record);
    };
    return train(this.network, this.optimizer, this.kernels, data, this.setup.options, { ...hooks, onEpoch }, this.epochsDone);
  }

  evaluate(data: LabelledImages): Promise<Evaluation> {
    return evaluate(this.network, data, this.kernels);
  }

  /** Continues a run: the optimiser's buffers, the epochs done and their records. */
  resume(state: OptimizerState, curve: readonly EpochRecord[]): void {
    this.optimizer.restore(state);
    this.curve.splice(0, this.curve.length, ...curve);
    this.epochsDone = curve.length;
  }

  private modelWith(
    tensors: ReadonlyMap<string, StoredTensor>,
    weights: string,
  ): { json: ModelJson; tensors: ReadonlyMap<string, StoredTensor> } {
    return { json: { ...this.network.json(), weights }, tensors };
  }

  /** The checkpoint: float tensors (latent weights, batchnorm statistics) under PyTorch's names. */
  checkpoint(weightsFile = 'checkpoint.safetensors'): { json: ModelJson; tensors: ReadonlyMap<string, StoredTensor> } {
    return this.modelWith(this.network.tensors(), weightsFile);
  }

  /** The deployable model: the checkpoint with every binary layer packed (weight_bits + alpha). */
  deployable(weightsFile = 'model.safetensors'): { json: ModelJson; tensors: ReadonlyMap<string, StoredTensor> } {
    const { json, tensors } = this.checkpoint(weightsFile);
    const model: Model = modelFromFiles({ json, weights: writeSafetensors(tensors), source: json.name ?? 'trained model' });
    return { json, tensors: packedTensors(model) };
  }

  optimizerState(): OptimizerState {
    return this.optimizer.state();
  }

  /** Releases what the session made: the cpu backend's threads, or a GPU context it created. */
  close(): void {
    void this.owned?.close();
  }
}
