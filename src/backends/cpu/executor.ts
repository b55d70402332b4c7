/**
 * Runs a model on the CPU: the plan's steps (src/plan/plan.ts, the fusions every backend
 * shares), each executed over typed arrays. The convolutions go to a thread pool
 * (thread-pool.ts): XNOR layers on packed bits; float and BWN layers (weights +-1, alpha in the
 * epilogue) through the float conv kernel (BWN: the input added or subtracted), which reads
 * the NCHW input zero-padded into NHWC. The steps between them (steps.ts) go to the pool too,
 * split where they are large. Values live in shared memory where the pool shares it, so that
 * workers write them in place.
 */
import type { Graph } from '../../model/graph.js';
import { checkInput } from '../../model/input.js';
import type { ModelWeights } from '../../model/weights.js';
import { outputPixels } from '../../ops/conv.js';
import { softmax } from '../../ops/softmax.js';
import { type ConvStep, type Plan, type Ref, type Step, type StepTime, planGraph } from '../../plan/plan.js';
import { unpackWeights } from '../../tensor/bits.js';
import { ohwiFromOihw } from '../../tensor/layout.js';
import { type AnyTypedArray, Tensor, shapeSize } from '../../tensor/tensor.js';
import { type PreparedWeights, paddedImage, paddedImageLength } from './float-conv.js';
import type { CpuThreadPool, RowsType } from './thread-pool.js';

interface Scratch {
  dots: Int32Array;
  sums: Float32Array;
  image: Float32Array;
}

export class CpuExecutor {
  private readonly plans = new Map<number, { plan: Plan; values: AnyTypedArray[] }>();
  /** Weights of float and BWN layers in the float kernel's layout, made once per layer. */
  private readonly floatWeights = new Map<string, PreparedWeights>();
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

  /** Runs a batch and times each step of the plan (wall time on the calling thread, workers' shares included). */
  profile(input: Tensor<Float32Array>): Promise<StepTime[]> {
    const times: StepTime[] = [];
    const result = this.queue.then(() => this.runNow(input, times)).then(() => times);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow(input: Tensor<Float32Array>, times?: StepTime[]): Promise<Map<string, Tensor<Float32Array>>> {
    const batch = checkInput(this.graph, input);
    let planned = this.plans.get(batch);
    if (!planned) {
      const plan = planGraph(this.graph, this.weights, batch);
      const values = plan.values.map((v) =>
        v.dtype === 'float32' ? this.pool.sharedArray(Float32Array, v.elements) : this.pool.sharedArray(Uint32Array, v.elements),
      );
      planned = { plan, values };
      this.plans.set(batch, planned);
    }
    const { plan, values } = planned;
    values[plan.input.value]!.set(input.data);
    const f32 = (r: Ref) => values[r.value] as Float32Array;
    for (const step of plan.steps) {
      const started = performance.now();
      await this.runStep(step, f32, (r) => values[r.value] as Uint32Array);
      times?.push({ kind: step.kind, nodes: step.nodes, output: step.output.shape, ms: performance.now() - started });
    }
    return new Map([...plan.outputs].map(([name, r]) => [name, new Tensor(f32(r).slice(0, shapeSize(r.shape)), r.shape)]));
  }

  private async runStep(step: Step, f32: (r: Ref) => Float32Array, u32: (r: Ref) => Uint32Array): Promise<void> {
    switch (step.kind) {
      case 'pack': {
        const [affine, meanAbs] = [step.affine, step.meanAbs && f32(step.meanAbs)];
        const shape = step.input.shape as [number, number, number, number];
        return this.pool.step({
          op: 'pack',
          x: f32(step.input),
          shape,
          bits: u32(step.output),
          ...(affine && { affine }),
          ...(meanAbs && { meanAbs }),
        });
      }
      case 'xnorConv': {
        const { conv, epilogue } = step;
        const node = step.nodes[0]!;
        const weights = this.xnorWeights.get(node) ?? this.xnorWeights.set(node, this.pool.shared(step.weights.bits.data)).get(node)!;
        const dots = await this.pool.xnorConv(conv, u32(step.input), weights, this.scratchOf('dots', outputPixels(conv) * conv.cout));
        const meanAbs = step.meanAbs && f32(step.meanAbs);
        return this.pool.step({ op: 'epilogue', sums: dots, conv, epilogue, out: f32(step.output), ...(meanAbs && { meanAbs }) });
      }
      case 'conv': {
        const { conv, epilogue } = step;
        const image = paddedImage(conv, f32(step.input), this.scratchOf('image', paddedImageLength(conv)));
        const sums = await this.pool.floatConv(conv, image, this.weightsOf(step), this.scratchOf('sums', outputPixels(conv) * conv.cout));
        return this.pool.step({ op: 'epilogue', sums, conv, epilogue, out: f32(step.output) });
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
          shape: step.input.shape as [number, number, number, number],
          kind: step.pool,
          window: step.window,
          out: f32(step.output),
        });
      case 'softmax': {
        const x = new Tensor(f32(step.input).subarray(0, shapeSize(step.input.shape)), step.input.shape);
        return void f32(step.output).set(softmax(x).data);
      }
    }
  }

  /** The first `size` values of a scratch array, grown (in shared memory) when too short. */
  private scratchOf<K extends keyof Scratch>(key: K, size: number): Scratch[K] {
    const current = this.scratch[key];
    if (current.length < size) this.scratch[key] = this.pool.sharedArray(current.constructor as RowsType<Scratch[K]>, size);
    return this.scratch[key].subarray(0, size) as Scratch[K];
  }

  /** A float layer's weights, or a BWN layer's signs (alpha stays in the epilogue), laid out for the pool's float kernels once. */
  private weightsOf({ nodes: [node], conv, weights }: ConvStep): PreparedWeights {
    let prepared = this.floatWeights.get(node!);
    if (!prepared) {
      const oihw = weights.kind === 'float' ? weights.weight : unpackWeights(weights.packed);
      prepared = this.pool.prepareFloat(conv, ohwiFromOihw(oihw).data, weights.kind === 'binary');
      this.floatWeights.set(node!, prepared);
    }
    return prepared;
  }
}
