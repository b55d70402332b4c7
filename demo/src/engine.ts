/**
 * The demo's models and runners: the shipped models (and one trained in the tab), each run on
 * WebGPU or on the cpu backend through the library's runners, created once and reused.
 */
import {
  type Backend,
  type Classification,
  type Model,
  type Runner,
  type Tensor,
  createContext,
  createRunner,
  layerCosts,
  loadModel,
  modelFromFiles,
  topClasses,
  totalCost,
} from '../../src/index.js';
import type { DemoManifestEntry } from './manifest.js';

export type DemoBackend = Extract<Backend, 'webgpu' | 'cpu'>;

export interface GpuProbe {
  available: boolean;
  /** The adapter's name, or why WebGPU cannot be used. */
  detail: string;
  /** The adapter emulates a GPU on the CPU (SwiftShader): the cpu backend is faster there. */
  emulated: boolean;
}

/** Whether this page can use WebGPU: an adapter and a device, which the library asks for. */
export async function probeWebGpu(): Promise<GpuProbe> {
  try {
    const context = await createContext();
    const detail = context.adapterName;
    const emulated = context.adapter.isFallbackAdapter || /swiftshader/i.test(detail);
    context.destroy();
    return { available: true, detail, emulated };
  } catch (err) {
    return { available: false, detail: (err as Error).message.replace(/^xnornet: /, ''), emulated: false };
  }
}

export interface DemoModel {
  entry: DemoManifestEntry;
  model: Model;
}

export interface Prediction {
  classes: Classification[][];
  ms: number;
  description: string;
}

/** Runs one call at a time on a runner: a debounced drawing and a gallery may ask together. */
class Queued {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(readonly runner: Runner) {}
  run(input: Tensor<Float32Array>): Promise<{ outputs: Map<string, Tensor<Float32Array>>; ms: number }> {
    const result = this.tail.then(async () => {
      const started = performance.now();
      const outputs = await this.runner.run(input);
      return { outputs, ms: performance.now() - started };
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class Engine {
  readonly models = new Map<string, DemoModel>();
  private readonly runners = new Map<string, Promise<Queued>>();

  constructor(readonly gpu: GpuProbe) {}

  static async create(): Promise<Engine> {
    const engine = new Engine(await probeWebGpu());
    const response = await fetch(new URL('models/manifest.json', document.baseURI));
    if (!response.ok) throw new Error(`models/manifest.json: HTTP ${response.status}`);
    const manifest = (await response.json()) as DemoManifestEntry[];
    await Promise.all(
      manifest.map(async (entry) => {
        const model = await loadModel(new URL(`models/${entry.name}/model.json`, document.baseURI));
        engine.models.set(entry.name, { entry, model });
      }),
    );
    return engine;
  }

  /** The shipped model of `mode` trained on `dataset`, or undefined when none is shipped. */
  find(dataset: string, mode: string): DemoModel | undefined {
    return [...this.models.values()].find((m) => m.entry.dataset === dataset && m.entry.mode === mode);
  }

  /** Adds (or replaces) a model from its files, e.g. one trained in the tab. */
  add(name: string, mode: DemoManifestEntry['mode'], dataset: string, json: unknown, weights: Uint8Array, accuracy?: number): DemoModel {
    for (const key of this.runners.keys()) if (key.startsWith(`${name}|`)) this.close(key);
    const model = modelFromFiles({ json, weights, source: name });
    const cost = totalCost(layerCosts(model.graph));
    const entry: DemoManifestEntry = {
      name,
      mode,
      dataset,
      accuracy,
      testSamples: undefined,
      floatBytes: cost.floatBytes,
      packedBytes: cost.packedBytes,
      fileBytes: weights.byteLength,
    };
    const added = { entry, model };
    this.models.set(name, added);
    return added;
  }

  private close(key: string): void {
    void this.runners.get(key)?.then((q) => q.runner.close());
    this.runners.delete(key);
  }

  private runner(demo: DemoModel, backend: DemoBackend, outputs?: string[]): Promise<Queued> {
    const key = `${demo.entry.name}|${backend}|${outputs?.join(',') ?? ''}`;
    let runner = this.runners.get(key);
    if (!runner) {
      runner = createRunner(demo.model, backend, outputs ? { outputs } : {}).then((r) => new Queued(r));
      runner.catch(() => this.runners.delete(key));
      this.runners.set(key, runner);
    }
    return runner;
  }

  /** The top classes of each sample of `input` ([N, C, H, W], preprocessed). */
  async predict(demo: DemoModel, backend: DemoBackend, input: Tensor<Float32Array>, topK = 10): Promise<Prediction> {
    const queued = await this.runner(demo, backend);
    const { outputs, ms } = await queued.run(input);
    const output = outputs.get(demo.model.graph.outputs.at(-1)!)!;
    return { classes: topClasses(demo.model, output, topK), ms, description: queued.runner.description };
  }

  /** Every node's output for `input`: the per-layer outputs the library returns when asked for them. */
  async layerOutputs(demo: DemoModel, backend: DemoBackend, input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>> {
    const queued = await this.runner(
      demo,
      backend,
      demo.model.graph.nodes.map((n) => n.name),
    );
    return (await queued.run(input)).outputs;
  }
}
