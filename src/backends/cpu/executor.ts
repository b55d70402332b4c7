/**
 * Runs a model on the CPU: the same lowered steps as the WebGPU executor (../webgpu/lower.ts,
 * so the same fusions), each executed over typed arrays. The convolutions go to a thread pool
 * (src/backends/cpu/thread-pool.ts): XNOR layers on packed bits; float and BWN layers (weights +-1,
 * alpha in the epilogue) through the float conv kernel (BWN: the input added or subtracted),
 * which reads the NCHW input directly, so the GPU's NHWC4 conversion steps are skipped. The
 * steps between them (src/backends/cpu/steps.ts) go to the pool too, split where they are large. Values
 * live in shared memory where the pool shares it, so that workers write them in place.
 */
import type { Graph } from '../../model/graph.js';
import type { ModelWeights } from '../../model/weights.js';
import * as ref from '../../reference/index.js';
import { type PreparedWeights, paddedImage, paddedImageLength } from './float-conv.js';
import { type XnorConvGeometry, outputPixels } from './geometry.js';
import type { CpuThreadPool, RowsType } from './thread-pool.js';
import { unpackWeights } from '../../tensor/bits.js';
import { ohwiFromOihw } from '../../tensor/layout.js';
import { type AnyTypedArray, Tensor } from '../../tensor/tensor.js';
import { batchOf } from '../../model/input.js';
import { type Lowered, type Ref, type Step, lower } from '../../plan/plan.js';
import { type ConvShape } from './steps.js';

type NCHW = [number, number, number, number];

interface Scratch {
  dots: Int32Array;
  sums: Float32Array;
  image: Float32Array;
}

export class CpuExecutor {
  private readonly plans = new Map<number, { lowered: Lowered; values: AnyTypedArray[] }>();
  /** Weights of float and BWN layers in the float kernel's layout, made once per layer. */
  private readonly floatWeights = new Map<string, PreparedWeights>();
  /** The NCHW value each (skipped) NHWC4 conversion would have read, by its output value. */
  private readonly nhwc4Sources = new Map<number, Ref>();
  /** Runs are serialised: a plan's buffers serve one run at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Packed weights of XNOR layers where the workers read them in place (CpuThreadPool.shared). */
  private readonly xnorWeights = new Map<string, Uint32Array>();
  /** Scratch arrays reused by every conv (runs are serialised), from the pool's sharedArray. */
  private readonly scratch: Scratch = { dots: new Int32Array(0), sums: new Float32Array(0), image: new Float32Array(0) };

  constructor(
    readonly graph: Graph,
    private readonly weights: ModelWeights,
    private readonly pool: CpuThreadPool,
  ) {}

  run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>> {
    const result = this.queue.then(() => this.runNow(input));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>> {
    const batch = batchOf(this.graph, input.shape);
    let plan = this.plans.get(batch);
    if (!plan) {
      const lowered = lower(this.graph, this.weights, batch);
      // The NHWC4 copies are for the GPU kernels only: no memory for them here.
      const skipped = new Set(lowered.steps.flatMap((s) => (s.kind === 'nhwc4' ? [s.output.value] : [])));
      const values = lowered.values.map((v, i) => {
        const length = skipped.has(i) ? 0 : v.elements;
        return v.dtype === 'float32' ? this.pool.sharedArray(Float32Array, length) : this.pool.sharedArray(Uint32Array, length);
      });
      plan = { lowered, values };
      this.plans.set(batch, plan);
    }
    const { lowered, values } = plan;
    values[lowered.input.value]!.set(input.data);
    const f32 = (r: Ref) => values[r.value] as Float32Array;
    for (const step of lowered.steps) await this.runStep(step, f32, (r) => values[r.value] as Uint32Array);
    return new Map(
      [...lowered.outputs].map(([name, r]) => {
        const size = r.shape.reduce((a, b) => a * b, 1);
        return [name, new Tensor(f32(r).slice(0, size), r.shape)];
      }),
    );
  }

  private async runStep(step: Step, f32: (r: Ref) => Float32Array, u32: (r: Ref) => Uint32Array): Promise<void> {
    switch (step.kind) {
      case 'pack': {
        const [affine, meanAbs] = [step.affine, step.meanAbs && f32(step.meanAbs)];
        const shape = step.input.shape as NCHW;
        return this.pool.step({
          op: 'pack',
          x: f32(step.input),
          shape,
          bits: u32(step.output),
          ...(affine && { affine }),
          ...(meanAbs && { meanAbs }),
        });
      }
      case 'nhwc4':
        return void this.nhwc4Sources.set(step.output.value, step.input);
      case 'xnorConv': {
        const [n, h, w] = step.input.shape as NCHW;
        const shape = convShape([n, step.inChannels, h, w], step.output.shape as NCHW, step.window);
        const g = xnorGeometry(shape);
        const node = step.nodes[0]!;
        const weights = this.xnorWeights.get(node) ?? this.xnorWeights.set(node, this.pool.shared(step.weights.bits.data)).get(node)!;
        const dots = await this.pool.xnorConv(g, u32(step.input), weights, this.scratchOf('dots', outputPixels(g) * g.cout));
        const meanAbs = step.meanAbs && f32(step.meanAbs);
        const { epilogue, relu } = step;
        return this.pool.step({ op: 'epilogue', sums: dots, shape, epilogue, relu, out: f32(step.output), ...(meanAbs && { meanAbs }) });
      }
      case 'conv': {
        const shape = convShape(step.inputShape, step.output.shape as NCHW, step.window);
        const g = xnorGeometry(shape);
        const image = paddedImage(g, f32(this.nhwc4Sources.get(step.input.value)!), this.scratchOf('image', paddedImageLength(g)));
        const sums = await this.pool.floatConv(
          g,
          image,
          this.weightsOf(step.nodes[0]!, g),
          this.scratchOf('sums', outputPixels(g) * g.cout),
        );
        return this.pool.step({ op: 'epilogue', sums, shape, epilogue: step.epilogue, relu: step.relu, out: f32(step.output) });
      }
      case 'pointwise': {
        const { affine, activation } = step;
        const add = step.add && f32(step.add);
        const [x, shape, out] = [f32(step.input), [...step.input.shape], f32(step.output)];
        return this.pool.step({ op: 'pointwise', x, shape, activation, out, ...(affine && { affine }), ...(add && { add }) });
      }
      case 'pool':
        return this.pool.step({
          op: 'pool',
          x: f32(step.input),
          shape: step.input.shape as NCHW,
          kind: step.pool,
          window: step.window,
          out: f32(step.output),
        });
      case 'softmax':
        return void f32(step.output).set(ref.softmax(new Tensor(f32(step.input).subarray(0, elements(step.input)), step.input.shape)).data);
    }
  }

  /** The first `size` values of a scratch array, grown (in shared memory) when too short. */
  private scratchOf<K extends keyof Scratch>(key: K, size: number): Scratch[K] {
    const current = this.scratch[key];
    if (current.length < size) this.scratch[key] = this.pool.sharedArray(current.constructor as RowsType<Scratch[K]>, size);
    return this.scratch[key].subarray(0, size) as Scratch[K];
  }

  /** A float layer's weights, or a BWN layer's signs (alpha stays in the epilogue), prepared for the pool's float kernels. */
  private weightsOf(node: string, g: XnorConvGeometry): PreparedWeights {
    let prepared = this.floatWeights.get(node);
    if (!prepared) {
      const w = this.weights.get(node);
      if (w?.kind === 'float') prepared = this.pool.prepareFloat(g, ohwiFromOihw(w.weight).data, false);
      else if (w?.kind === 'binary') prepared = this.pool.prepareFloat(g, ohwiFromOihw(unpackWeights(w.packed)).data, true);
      else throw new Error(`node "${node}": no conv weights were resolved for it`);
      this.floatWeights.set(node, prepared);
    }
    return prepared;
  }
}

const elements = (r: Ref) => r.shape.reduce((a, b) => a * b, 1);

function convShape(input: NCHW, output: NCHW, window: Extract<Step, { kind: 'conv' }>['window']): ConvShape {
  return { input, cout: output[1], window, ho: output[2], wo: output[3] };
}

/** The src/backends/cpu kernels' description of a conv. */
export function xnorGeometry({ input: [n, cin, h, w], cout, window, ho, wo }: ConvShape): XnorConvGeometry {
  return {
    n,
    cin,
    h,
    w,
    cout,
    kh: window.kernel[0],
    kw: window.kernel[1],
    stride: [...window.stride],
    padding: [...window.padding],
    ho,
    wo,
  };
}
