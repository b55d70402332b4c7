/**
 * The GPU child of bench/peers.ts: the one process of the benchmark that holds a WebGPU
 * device (a live Dawn device keeps a polling thread busy, so the CPU rows run in processes
 * without one, before this child starts). One GpuContext, on the adapter xnornet finds by
 * itself (src/backends/webgpu/node-gpu.ts: the first Dawn offers, else SwiftShader), serves
 *   - xnornet's WebGPU executor, on the float and the XNOR models;
 *   - TF.js's WebGPU backend (bench/peers/tfjs.ts, the same graphs as its wasm rows), given
 *     that context's GPUDevice: the same adapter and the same device, not one of its own.
 * The parent builds engines here, asks for their outputs to check them, and times them round
 * by round (bench/peers/child.ts).
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import { createContext, type GpuContext } from '../../src/backends/webgpu/context.js';
import { WebGpuExecutor } from '../../src/backends/webgpu/executor.js';
import type { Model } from '../../src/model/model.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadZooModel } from '../../src/zoo/index.js';
import { type ChildReplyBody, type ChildRequest, serve, timeRuns } from './child.js';
import { modelWeightBytes } from './memory.js';
import type { TfjsEngine, TfjsNetwork } from './tfjs.js';

export const GPU_ENGINES = ['xnornet', 'tfjs'] as const;
export type GpuEngine = (typeof GPU_ENGINES)[number];

interface Built {
  output(): Promise<ChildReplyBody>;
  run(): Promise<unknown>;
}

export function serveGpuChild(): void {
  let ctx: GpuContext | undefined;
  let tfjs: TfjsEngine | undefined;
  const models = new Map<string, Model>();
  const executors = new Map<string, WebGpuExecutor>();
  const networks = new Map<string, TfjsNetwork>();
  const built = new Map<string, Built>();
  const fail = (message: string): never => {
    throw new Error(message);
  };
  const modelOf = (name: string) => models.get(name) ?? models.set(name, loadZooModel(name)).get(name)!;

  const build = async (request: Extract<ChildRequest, { op: 'build' }>): Promise<ChildReplyBody> => {
    const model = modelOf(request.model);
    const input = new Tensor(request.input, request.shape);
    const batch = request.shape[0]!;
    const mode = request.model.endsWith('-xnor') ? 'xnor' : 'float';
    if (request.engine === 'xnornet') {
      const gpu = ctx ?? fail('not started');
      const executor =
        executors.get(request.model) ??
        executors.set(request.model, new WebGpuExecutor(gpu, model.graph, model.weights)).get(request.model)!;
      const run = async () => (await executor.run(input)).values().next().value!.data;
      built.set(request.key, { output: async () => ({ data: await run() }), run });
      return {
        weightBytes: modelWeightBytes(model, mode),
        activationBytes: (await executor.stats(batch)).activationBytes,
        activationHow: "the WebGPU executor's buffer pool",
      };
    }
    if (request.engine === 'tfjs') {
      const engine = tfjs ?? fail('TF.js WebGPU did not start');
      const network = networks.get(request.model) ?? networks.set(request.model, engine.build(model)).get(request.model)!;
      const prepared: TfCore.Tensor = network.prepare(input);
      built.set(request.key, {
        // The check run also counts TF.js's tensor bytes (a run of ResNet-18 on SwiftShader is long).
        output: async () => {
          const { outputs, peakActivationBytes } = await network.runMeasured(prepared);
          return { data: outputs[0]!, activationBytes: peakActivationBytes, activationHow: "TF.js's tensor bytes (tf.memory())" };
        },
        run: () => network.run(prepared),
      });
      return { weightBytes: network.weightBytes };
    }
    return fail(`no GPU engine "${request.engine}"`);
  };

  serve(async (request): Promise<ChildReplyBody> => {
    switch (request.op) {
      case 'start': {
        ctx = await createContext();
        const engines: ChildReplyBody['engines'] = { xnornet: { description: `xnornet WebGPU executor on ${ctx.adapterName}` } };
        try {
          const { createTfjsWebGpu } = await import('./tfjs.js');
          tfjs = await createTfjsWebGpu({ gpu: ctx.gpu, device: ctx.device, adapterInfo: ctx.adapter, adapterName: ctx.adapterName });
          engines['tfjs'] = { description: tfjs.description };
        } catch (err) {
          engines['tfjs'] = { error: (err as Error).message };
        }
        return { engines };
      }
      case 'build':
        return build(request);
      case 'output':
        return (built.get(request.key) ?? fail(`no engine "${request.key}"`)).output();
      case 'time': {
        const { run } = built.get(request.key) ?? fail(`no engine "${request.key}"`);
        return { times: await timeRuns(run, request.runs) };
      }
      case 'close':
        networks.forEach((n) => n.dispose());
        executors.forEach((e) => e.destroy());
        ctx?.destroy();
        return {};
    }
  });
}
