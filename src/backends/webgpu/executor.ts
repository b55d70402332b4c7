/**
 * Runs a model on a GpuContext: plans the graph once per batch size (src/plan/plan.ts) and
 * adapts the plan to the kernels (float-input convs read an NHWC4 copy of their input and
 * OHWI4 weights), gives each intermediate value a pooled buffer for its lifetime, compiles
 * and binds every launch once, and then submits one command buffer per inference.
 */
import type { Graph } from '../../model/graph.js';
import { batchOf } from '../../model/input.js';
import type { ModelWeights } from '../../model/weights.js';
import type { Affine } from '../../ops/epilogue.js';
import { type ConvStep, type Plan, type Ref, type Step, type ValueInfo, planGraph, stepRefs } from '../../plan/plan.js';
import type { PackedWeights } from '../../tensor/bits.js';
import { ohwiFromOihw } from '../../tensor/layout.js';
import { Tensor, shapeSize } from '../../tensor/tensor.js';
import type { GpuContext } from './context.js';
import { type Launch, type PreparedLaunch, encodePrepared, prepareLaunch } from './dispatch.js';
import { GpuTensor } from './gpu-tensor.js';
import { conv2dLaunch } from './kernels/conv2d.js';
import { packSignsLaunch } from './kernels/pack-signs.js';
import { pointwiseLaunch } from './kernels/pointwise.js';
import { poolLaunch } from './kernels/pool.js';
import { softmaxLaunch } from './kernels/softmax.js';
import { nhwc4Shape, toNhwc4Launch } from './kernels/to-nhwc4.js';
import { xnorConvLaunch } from './kernels/xnor-conv.js';

const BYTES = 4;
const shapeBytes = (shape: readonly number[]) => BYTES * shapeSize(shape);

/** A plan step as the GPU kernels take it: a float-input conv reads the NHWC4 copy that an added step writes. */
type GpuStep = Exclude<Step, ConvStep> | { kind: 'nhwc4'; nodes: string[]; input: Ref; output: Ref } | (ConvStep & { nhwc4: Ref });

interface Lowered {
  steps: GpuStep[];
  values: ValueInfo[];
  input: Ref;
  outputs: Map<string, Ref>;
}

/** The plan with an NHWC4 copy before each float-input conv. */
function forGpu(plan: Plan): Lowered {
  const values = [...plan.values];
  const steps = plan.steps.flatMap((step): GpuStep[] => {
    if (step.kind !== 'conv') return [step];
    const shape = nhwc4Shape(step.input.shape as [number, number, number, number]);
    values.push({ dtype: 'float32', elements: shapeSize(shape) });
    const nhwc4 = { value: values.length - 1, shape };
    return [
      { kind: 'nhwc4', nodes: [], input: step.input, output: nhwc4 },
      { ...step, nhwc4 },
    ];
  });
  return { steps, values, input: plan.input, outputs: plan.outputs };
}

function refsOf(step: GpuStep): { reads: Ref[]; writes: Ref[] } {
  if (step.kind === 'nhwc4') return { reads: [step.input], writes: [step.output] };
  if (step.kind === 'conv') return { reads: [step.nhwc4], writes: [step.output] };
  return stepRefs(step);
}

/** Packed weights as the kernels take them: [Cout, kh, kw, words], a linear layer's as 1x1 filters. */
function filterBits({ bits }: PackedWeights): Tensor<Uint32Array> {
  return bits.rank === 2 ? bits.reshape([bits.shape[0]!, 1, 1, bits.shape[1]!]) : bits;
}

interface GpuPlan {
  lowered: Lowered;
  /** The buffer each value lives in. */
  valueBuffers: GPUBuffer[];
  /** All activation buffers (values share them when their lifetimes do not overlap). */
  pool: GPUBuffer[];
  prepared: PreparedLaunch[];
  /** Uniform buffers of the launches, alive as long as the plan. */
  uniforms: GPUBuffer[];
}

export interface PlanStats {
  batch: number;
  /** Bytes of all activation buffers: the peak, since a buffer is shared by values whose lifetimes do not overlap. */
  activationBytes: number;
  /** What the activations would take with one buffer each. */
  unpooledActivationBytes: number;
  launches: number;
}

/** Which steps write and read each value: the lifetimes the buffer pool works from. */
function lifetimes(lowered: Lowered): { first: number[]; last: number[] } {
  const first = lowered.values.map(() => Infinity);
  const last = lowered.values.map(() => -1);
  first[lowered.input.value] = -1;
  lowered.steps.forEach((s, i) => {
    const { reads, writes } = refsOf(s);
    for (const ref of writes) first[ref.value] = Math.min(first[ref.value]!, i);
    for (const ref of [...reads, ...writes]) last[ref.value] = Math.max(last[ref.value]!, i);
  });
  for (const ref of lowered.outputs.values()) last[ref.value] = Infinity;
  return { first, last };
}

export class WebGpuExecutor {
  private readonly plans = new Map<number, Promise<GpuPlan>>();
  /** Weights and epilogue vectors on the GPU, by node and role: shared by the plans of all batch sizes. */
  private readonly constants = new Map<string, GpuTensor>();
  private destroyed = false;

  constructor(
    readonly ctx: GpuContext,
    readonly graph: Graph,
    private readonly weights: ModelWeights,
  ) {}

  /** Runs a batch [N, ...input.shape] and returns the outputs on the host, by node name. */
  async run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>> {
    // The outputs are copied into mappable buffers in the same submission as the work.
    const staged = await this.submit(input, (name, shape) =>
      this.ctx.device.createBuffer({
        label: `${this.graph.name} readback ${name}`,
        size: Math.max(BYTES, shapeBytes(shape)),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
    );
    const out = new Map<string, Tensor<Float32Array>>();
    try {
      for (const [name, { target, shape }] of staged) {
        await target.mapAsync(GPUMapMode.READ);
        out.set(name, new Tensor(new Float32Array(target.getMappedRange(0, shapeBytes(shape)).slice(0)), shape));
        target.unmap();
      }
    } finally {
      for (const { target } of staged.values()) target.destroy();
    }
    return out;
  }

  /**
   * Runs a batch and keeps the outputs on the GPU, in new tensors the caller owns (destroy
   * them when done). Concurrent runs are safe: each enqueues its input, work and output copies
   * in one go, and the queue runs them in order.
   */
  async runOnGpu(input: Tensor<Float32Array>): Promise<Map<string, GpuTensor<'float32'>>> {
    const staged = await this.submit(input, (name, shape) =>
      GpuTensor.empty(this.ctx, 'float32', shape, `${this.graph.name} output ${name}`),
    );
    return new Map([...staged].map(([name, { target }]) => [name, target]));
  }

  /** Writes the input, encodes every launch and a copy of each output into `makeTarget(...)`, submits once. */
  private async submit<T extends GPUBuffer | GpuTensor>(
    input: Tensor<Float32Array>,
    makeTarget: (name: string, shape: readonly number[]) => T,
  ): Promise<Map<string, { target: T; shape: readonly number[] }>> {
    if (this.destroyed) throw new Error(`${this.graph.name}: this executor was destroyed`);
    const batch = batchOf(this.graph, input.shape);
    const plan = await this.plan(batch);
    const { device } = this.ctx;
    return this.ctx.checked(`running ${this.graph.name}`, () => {
      device.queue.writeBuffer(
        plan.valueBuffers[plan.lowered.input.value]!,
        0,
        input.data.buffer,
        input.data.byteOffset,
        input.data.byteLength,
      );
      const encoder = device.createCommandEncoder({ label: this.graph.name });
      for (const launch of plan.prepared) encodePrepared(encoder, launch);
      const staged = new Map<string, { target: T; shape: readonly number[] }>();
      for (const [name, ref] of plan.lowered.outputs) {
        const target = makeTarget(name, ref.shape);
        const buffer = target instanceof GpuTensor ? target.buffer : (target as GPUBuffer);
        encoder.copyBufferToBuffer(plan.valueBuffers[ref.value]!, 0, buffer, 0, shapeBytes(ref.shape));
        staged.set(name, { target, shape: ref.shape });
      }
      device.queue.submit([encoder.finish()]);
      return staged;
    });
  }

  /** Buffer and launch counts of the plan for a batch size (building it if needed). */
  async stats(batch: number): Promise<PlanStats> {
    const plan = await this.plan(batch);
    return {
      batch,
      activationBytes: plan.pool.reduce((sum, b) => sum + b.size, 0),
      unpooledActivationBytes: plan.lowered.values.reduce((sum, v) => sum + v.elements * BYTES, 0),
      launches: plan.prepared.length,
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const t of this.constants.values()) t.destroy();
    for (const plan of this.plans.values()) {
      void plan.then((p) => [...p.pool, ...p.uniforms].forEach((b) => b.destroy())).catch(() => undefined);
    }
  }

  private plan(batch: number): Promise<GpuPlan> {
    let plan = this.plans.get(batch);
    if (!plan) {
      plan = this.buildPlan(batch);
      this.plans.set(batch, plan);
      plan.catch(() => this.plans.delete(batch));
    }
    return plan;
  }

  private async buildPlan(batch: number): Promise<GpuPlan> {
    const lowered = forGpu(planGraph(this.graph, this.weights, batch));
    const { valueBuffers, pool } = this.assignBuffers(lowered);
    const view = (ref: Ref) => GpuTensor.view(this.ctx, valueBuffers[ref.value]!, lowered.values[ref.value]!.dtype, ref.shape);
    const launches: Launch[] = [];
    for (const step of lowered.steps) launches.push(await this.launch(step, view));
    return {
      lowered,
      valueBuffers,
      pool,
      prepared: launches.map((l) => prepareLaunch(this.ctx, l)),
      uniforms: launches.flatMap((l) => l.transient ?? []),
    };
  }

  /** Greedy best-fit pooling: a value takes the smallest free buffer that fits, freed after its last reader. */
  private assignBuffers(lowered: Lowered): { valueBuffers: GPUBuffer[]; pool: GPUBuffer[] } {
    const { first, last } = lifetimes(lowered);
    const valueBuffers: GPUBuffer[] = [];
    const pool: GPUBuffer[] = [];
    const free: GPUBuffer[] = [];
    const take = (value: number) => {
      const bytes = Math.max(BYTES, lowered.values[value]!.elements * BYTES);
      const fit = free.filter((b) => b.size >= bytes).sort((a, b) => a.size - b.size)[0];
      if (fit) {
        free.splice(free.indexOf(fit), 1);
        return fit;
      }
      const buffer = GpuTensor.empty(this.ctx, 'float32', [bytes / BYTES], `${this.graph.name} activations ${pool.length}`).buffer;
      pool.push(buffer);
      return buffer;
    };
    for (let step = -1; step < lowered.steps.length; step++) {
      lowered.values.forEach((_, v) => {
        if (first[v] === step) valueBuffers[v] = take(v);
      });
      lowered.values.forEach((_, v) => {
        if (last[v] === step) free.push(valueBuffers[v]!);
      });
    }
    return { valueBuffers, pool };
  }

  /** A weight or epilogue tensor, uploaded once per node and role. */
  private constant(key: string, make: () => Tensor): GpuTensor {
    let t = this.constants.get(key);
    if (!t) {
      t = GpuTensor.upload(this.ctx, make(), key);
      this.constants.set(key, t);
    }
    return t;
  }

  private affine(key: string, affine: Affine): { scale: GpuTensor; shift: GpuTensor } {
    return {
      scale: this.constant(`${key}.scale`, () => new Tensor(affine.scale, [affine.scale.length])),
      shift: this.constant(`${key}.shift`, () => new Tensor(affine.shift, [affine.shift.length])),
    };
  }

  private async launch(step: GpuStep, view: (ref: Ref) => GpuTensor): Promise<Launch> {
    const key = step.nodes.join('+');
    switch (step.kind) {
      case 'pack':
        return packSignsLaunch(this.ctx, {
          input: view(step.input),
          output: view(step.output),
          affine: step.affine ? this.affine(`${key}.pack`, step.affine) : undefined,
          meanAbs: step.meanAbs ? view(step.meanAbs) : undefined,
        });
      case 'nhwc4':
        return toNhwc4Launch(this.ctx, view(step.input), view(step.output));
      case 'xnorConv':
        return xnorConvLaunch(this.ctx, {
          input: view(step.input),
          inChannels: step.conv.cin,
          weights: this.constant(`${key}.weight_bits`, () => filterBits(step.weights)),
          ...this.affine(key, step.epilogue),
          meanAbs: step.meanAbs ? view(step.meanAbs) : undefined,
          stride: step.conv.stride,
          padding: step.conv.padding,
          relu: step.epilogue.relu,
          output: view(step.output),
        });
      case 'conv': {
        const { conv, weights } = step;
        return conv2dLaunch(this.ctx, {
          input: view(step.nhwc4),
          inputShape: [conv.n, conv.cin, conv.h, conv.w],
          weights: this.constant(`${key}.weights`, () =>
            weights.kind === 'binary' ? filterBits(weights.packed) : ohwiFromOihw(weights.weight, 4),
          ),
          ...this.affine(key, step.epilogue),
          stride: conv.stride,
          padding: conv.padding,
          relu: step.epilogue.relu,
          output: view(step.output),
        });
      }
      case 'pointwise':
        return pointwiseLaunch(this.ctx, {
          input: view(step.input),
          output: view(step.output),
          add: step.add ? view(step.add) : undefined,
          affine: step.affine ? this.affine(`${key}.affine`, step.affine) : undefined,
          activation: step.activation,
        });
      case 'pool':
        return poolLaunch(this.ctx, step.pool, view(step.input), view(step.output), step.window);
      case 'softmax':
        return softmaxLaunch(this.ctx, view(step.input), view(step.output));
    }
  }
}
