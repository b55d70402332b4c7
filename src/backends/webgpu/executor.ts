/**
 * Runs a model on a GpuContext: plans the graph once per batch size (src/plan/plan.ts) and
 * adapts the plan to the kernels (float-input convs read an NHWC4 copy of their input and
 * OHWI4 weights), gives each intermediate value a pooled buffer for its lifetime, compiles
 * and binds every launch once, and then submits one command buffer per inference.
 *
 * A batch whose values would not fit the device's buffers (maxStorageBufferBindingSize,
 * maxBufferSize) or one folded dispatch runs in chunks of the largest batch that fits
 * (maxBatch), one submission each, into outputs concatenated along dimension 0; the chunk
 * size's plan is kept, the last chunk's goes into one slot that the next size replaces.
 */
import type { Graph } from '../../model/graph.js';
import { checkInput } from '../../model/input.js';
import type { ModelWeights } from '../../model/weights.js';
import type { Affine } from '../../ops/epilogue.js';
import { type ConvStep, type Plan, type Ref, type Step, type StepTime, type ValueInfo, planGraph, stepRefs } from '../../plan/plan.js';
import type { PackedWeights } from '../../tensor/bits.js';
import { ohwiFromOihw, patchRowsFromOihw } from '../../tensor/layout.js';
import type { WindowParams } from '../../ops/window.js';
import { Tensor, formatShape, shapeSize } from '../../tensor/tensor.js';
import type { GpuContext } from './context.js';
import { type Launch, type PreparedLaunch, WORKGROUP_SIZE_1D, encodePrepared, maxFoldedGroups, prepareLaunch } from './dispatch.js';
import { GpuTensor } from './gpu-tensor.js';
import { conv2dLaunch } from './kernels/conv2d.js';
import { MIN_CONV_WG_M } from './kernels/conv-geometry.js';
import { packSignsLaunch } from './kernels/pack-signs.js';
import { pointwiseLaunch } from './kernels/pointwise.js';
import { poolLaunch } from './kernels/pool.js';
import { softmaxLaunch } from './kernels/softmax.js';
import { nhwc4Shape, toNhwc4Launch } from './kernels/to-nhwc4.js';
import { xnorConvLaunch } from './kernels/xnor-conv.js';

const BYTES = 4;
const shapeBytes = (shape: readonly number[]) => BYTES * shapeSize(shape);

/** A plan step as the GPU kernels take it: a float-input conv reads the NHWC4 copy that an added step writes. */
type GpuStep =
  | Exclude<Step, ConvStep>
  | { kind: 'nhwc4'; nodes: string[]; input: Ref; output: Ref; patches?: WindowParams }
  | (ConvStep & { nhwc4: Ref; patches: boolean });

interface Lowered {
  steps: GpuStep[];
  values: ValueInfo[];
  input: Ref;
  outputs: Map<string, Ref>;
}

/**
 * Whether a float conv reads its input's patches rather than its pixels: with under 4 input
 * channels (a first layer's 1 or 3) the pixel layout would fill 1 or 3 lanes of each vec4 and
 * the conv would walk kh*kw taps of one load each; the patches fill every lane and leave one
 * tap. They take about kh*kw / stride^2 times the input's memory, little for so few channels.
 */
function readsPatches(step: ConvStep): boolean {
  return step.weights.kind === 'float' && step.conv.cin < 4 && step.conv.kh * step.conv.kw > 1;
}

/** The plan with an NHWC4 copy (of the pixels, or of the patches) before each float-input conv. */
function forGpu(plan: Plan): Lowered {
  const values = [...plan.values];
  const steps = plan.steps.flatMap((step): GpuStep[] => {
    if (step.kind !== 'conv') return [step];
    const { kh, kw, stride, padding } = step.conv;
    const patches = readsPatches(step) ? { kernel: [kh, kw] as const, stride, padding } : undefined;
    const shape = nhwc4Shape(step.input.shape, patches);
    values.push({ dtype: 'float32', elements: shapeSize(shape) });
    const nhwc4 = { value: values.length - 1, shape };
    return [
      { kind: 'nhwc4', nodes: [], input: step.input, output: nhwc4, patches },
      { ...step, nhwc4, patches: patches !== undefined },
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

/** Frees a plan's buffers (WebGPU keeps them until submitted work is done with them). */
function freePlan(plan: Promise<GpuPlan>): void {
  void plan.then((p) => [...p.pool, ...p.uniforms].forEach((b) => b.destroy())).catch(() => undefined);
}

/** One sample of a model needs a buffer or a dispatch larger than the device allows. */
export class SampleTooLargeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'SampleTooLargeError';
  }
}

/** Samples [start, start + count) of a batch, run as one submission. */
interface Chunk {
  start: number;
  count: number;
}

/** A plan held by a run: release() once its work is submitted. */
interface PlanLease {
  plan: Promise<GpuPlan>;
  release(): void;
}

/** The one plan kept for the last part of a chunked batch: replaced when another size is needed, freed once unused. */
interface RemainderPlan {
  batch: number;
  plan: Promise<GpuPlan>;
  users: number;
  evicted: boolean;
}

/**
 * The shaders index buffers with u32, and a folded grid overshoots its count a little: values
 * are kept under 2^31 elements.
 */
const INDEX_LIMIT = 2 ** 31;

/** What a value of the plan holds, for errors: the node (or fused nodes) whose step writes it (or reads the bits it packs), and its shape. */
function describeValue(lowered: Lowered, value: number): { what: string; shape: readonly number[] } {
  if (value === lowered.input.value) return { what: 'the input', shape: lowered.input.shape };
  const writer = lowered.steps.findIndex((s) => refsOf(s).writes.some((r) => r.value === value));
  const step = lowered.steps[writer];
  if (!step) return { what: `value ${value}`, shape: [] };
  const { shape } = refsOf(step).writes.find((r) => r.value === value)!;
  if (step.kind === 'nhwc4') {
    return { what: `the NHWC4 copy of the ${step.patches ? 'patches' : 'input'} of ${lowered.steps[writer + 1]?.nodes.join('+')}`, shape };
  }
  if (step.kind === 'pack') {
    const reader = lowered.steps.slice(writer + 1).find((s) => refsOf(s).reads.some((r) => r.value === value));
    return { what: `${step.meanAbs?.value === value ? 'mean |x|' : 'the sign bits'} of the input of ${reader?.nodes.join('+')}`, shape };
  }
  return { what: `the output of ${step.nodes.join('+')}`, shape };
}

export class WebGpuExecutor {
  /** Plans kept for the executor's life: batch sizes run whole, and the chunk size of chunked batches. */
  private readonly plans = new Map<number, Promise<GpuPlan>>();
  private remainder: RemainderPlan | undefined;
  /** The largest batch that fits the device in one submission (see maxBatch). */
  private batchLimit: number | undefined;
  /** Weights and epilogue vectors on the GPU, by node and role: shared by the plans of all batch sizes. */
  private readonly constants = new Map<string, GpuTensor>();
  private destroyed = false;

  constructor(
    readonly ctx: GpuContext,
    readonly graph: Graph,
    private readonly weights: ModelWeights,
  ) {}

  /**
   * Runs a batch [N, ...input.shape] and returns the outputs on the host, by node name. A
   * batch too large for the device's buffers runs in chunks (see maxBatch); the outputs are
   * the chunks' outputs concatenated along dimension 0.
   */
  async run(input: Tensor<Float32Array>): Promise<Map<string, Tensor<Float32Array>>> {
    // Each chunk's outputs are copied into mappable buffers in the same submission as its work.
    const staged: { name: string; chunk: Chunk; target: GPUBuffer; shape: readonly number[] }[] = [];
    try {
      const batch = await this.execute(input, (encoder, outputs, chunk) => {
        for (const { name, source, shape } of outputs) {
          const target = this.ctx.device.createBuffer({
            label: `${this.graph.name} readback ${name}`,
            size: Math.max(BYTES, shapeBytes(shape)),
            usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
          });
          staged.push({ name, chunk, target, shape });
          encoder.copyBufferToBuffer(source, 0, target, 0, shapeBytes(shape));
        }
      });
      await Promise.all(staged.map(({ target }) => target.mapAsync(GPUMapMode.READ)));
      const out = new Map<string, Tensor<Float32Array>>();
      for (const { name, chunk, target, shape } of staged) {
        const data = new Float32Array(target.getMappedRange(0, shapeBytes(shape)));
        if (chunk.count === batch) {
          out.set(name, new Tensor(data.slice(0), shape));
          continue;
        }
        const row = shapeSize(shape) / chunk.count;
        if (!out.has(name)) out.set(name, new Tensor(new Float32Array(batch * row), [batch, ...shape.slice(1)]));
        out.get(name)!.data.set(data, chunk.start * row);
      }
      return out;
    } finally {
      for (const { target } of staged) target.destroy();
    }
  }

  /**
   * Runs a batch and keeps the outputs on the GPU, in new tensors the caller owns (destroy
   * them when done); a chunked batch's chunks write their rows of them. Concurrent runs are
   * safe: each chunk enqueues its input, work and output copies in one go, and the queue runs
   * them in order.
   */
  async runOnGpu(input: Tensor<Float32Array>): Promise<Map<string, GpuTensor<'float32'>>> {
    const targets = new Map<string, GpuTensor<'float32'>>();
    try {
      await this.execute(input, (encoder, outputs, chunk, batch) => {
        for (const { name, source, shape } of outputs) {
          let target = targets.get(name);
          if (!target) {
            // Made while encoding the first chunk, before anything is submitted: an output too large throws first.
            target = GpuTensor.empty(this.ctx, 'float32', [batch, ...shape.slice(1)], `${this.graph.name} output ${name}`);
            targets.set(name, target);
          }
          const rowBytes = shapeBytes(shape) / chunk.count;
          encoder.copyBufferToBuffer(source, 0, target.buffer, chunk.start * rowBytes, shapeBytes(shape));
        }
      });
    } catch (err) {
      for (const t of targets.values()) t.destroy();
      throw err;
    }
    return targets;
  }

  /**
   * Runs the batch in chunks that fit the device (one chunk when it fits whole): for each,
   * writes its samples into the plan's input, encodes every launch and `copyOut` (the outputs
   * of the chunk, shaped [chunk.count, ...]), and submits once. Returns the batch size.
   */
  private async execute(
    input: Tensor<Float32Array>,
    copyOut: (
      encoder: GPUCommandEncoder,
      outputs: { name: string; source: GPUBuffer; shape: readonly number[] }[],
      chunk: Chunk,
      batch: number,
    ) => void,
  ): Promise<number> {
    if (this.destroyed) throw new Error(`${this.graph.name}: this executor was destroyed`);
    const batch = checkInput(this.graph, input);
    const chunks = this.chunks(batch);
    const leases = new Map<number, PlanLease>();
    for (const { count } of chunks) if (!leases.has(count)) leases.set(count, this.lease(count, count === chunks[0]!.count));
    try {
      const plans = new Map<number, GpuPlan>();
      for (const [count, lease] of leases) plans.set(count, await lease.plan);
      const sampleBytes = input.data.byteLength / batch;
      const { device } = this.ctx;
      await this.ctx.checked(`running ${this.graph.name}`, () => {
        for (const chunk of chunks) {
          const plan = plans.get(chunk.count)!;
          device.queue.writeBuffer(
            plan.valueBuffers[plan.lowered.input.value]!,
            0,
            input.data.buffer,
            input.data.byteOffset + chunk.start * sampleBytes,
            chunk.count * sampleBytes,
          );
          const encoder = device.createCommandEncoder({ label: this.graph.name });
          for (const launch of plan.prepared) encodePrepared(encoder, launch);
          const outputs = [...plan.lowered.outputs].map(([name, ref]) => {
            if (ref.shape[0] !== chunk.count)
              throw new Error(`${this.graph.name}: output ${name} ${formatShape(ref.shape)} has no batch axis`);
            return { name, source: plan.valueBuffers[ref.value]!, shape: ref.shape };
          });
          copyOut(encoder, outputs, chunk, batch);
          device.queue.submit([encoder.finish()]);
        }
      });
    } finally {
      for (const lease of leases.values()) lease.release();
    }
    return batch;
  }

  /**
   * Runs a batch (one that fits a single submission) and times each launch: with GPU
   * timestamps where the device has them (`ctx.timestamps`), else the wall time of each
   * launch submitted alone and awaited (dispatch overhead included).
   */
  async profile(input: Tensor<Float32Array>): Promise<StepTime[]> {
    if (this.destroyed) throw new Error(`${this.graph.name}: this executor was destroyed`);
    const batch = checkInput(this.graph, input);
    if (batch > this.maxBatch()) throw new RangeError(`${this.graph.name}: profile a batch of at most ${this.maxBatch()} on this device`);
    const lease = this.lease(batch, true);
    try {
      const plan = await lease.plan;
      const { device } = this.ctx;
      device.queue.writeBuffer(
        plan.valueBuffers[plan.lowered.input.value]!,
        0,
        input.data.buffer,
        input.data.byteOffset,
        input.data.byteLength,
      );
      const times = this.ctx.timestamps ? await this.gpuTimes(plan) : await this.wallTimes(plan);
      return plan.lowered.steps.map((step, i) => ({ kind: step.kind, nodes: step.nodes, output: step.output.shape, ms: times[i]! }));
    } finally {
      lease.release();
    }
  }

  /** Each launch's GPU time from the timestamps written at the start and end of its pass, ms. */
  private async gpuTimes(plan: GpuPlan): Promise<number[]> {
    const { device } = this.ctx;
    const count = plan.prepared.length * 2;
    const querySet = device.createQuerySet({ type: 'timestamp', count });
    const resolved = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const readback = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      await this.ctx.checked(`profiling ${this.graph.name}`, () => {
        const encoder = device.createCommandEncoder({ label: `${this.graph.name} profile` });
        plan.prepared.forEach((launch, i) =>
          encodePrepared(encoder, launch, { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 }),
        );
        encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
        encoder.copyBufferToBuffer(resolved, 0, readback, 0, count * 8);
        device.queue.submit([encoder.finish()]);
      });
      await readback.mapAsync(GPUMapMode.READ);
      const ns = new BigInt64Array(readback.getMappedRange().slice(0));
      return plan.prepared.map((_, i) => Number(ns[2 * i + 1]! - ns[2 * i]!) / 1e6);
    } finally {
      querySet.destroy();
      resolved.destroy();
      readback.destroy();
    }
  }

  /** Each launch submitted alone and awaited: wall time, ms. */
  private async wallTimes(plan: GpuPlan): Promise<number[]> {
    const { device } = this.ctx;
    const times: number[] = [];
    for (const launch of plan.prepared) {
      const started = performance.now();
      await this.ctx.checked(`profiling ${this.graph.name}`, () => {
        const encoder = device.createCommandEncoder();
        encodePrepared(encoder, launch);
        device.queue.submit([encoder.finish()]);
      });
      await device.queue.onSubmittedWorkDone();
      times.push(performance.now() - started);
    }
    return times;
  }

  /**
   * The largest batch the device runs in one submission: every value of the plan (activations,
   * the input, the outputs, the NHWC4 copies) must fit one buffer (maxStorageBufferBindingSize
   * and maxBufferSize) and one folded dispatch. A value's size is linear in the batch, so the
   * plans for 1 and 2 samples give it. Throws a SampleTooLargeError naming the value when one
   * sample does not fit.
   */
  maxBatch(): number {
    if (this.batchLimit !== undefined) return this.batchLimit;
    const one = forGpu(planGraph(this.graph, this.weights, 1));
    const two = forGpu(planGraph(this.graph, this.weights, 2));
    const { maxStorageBufferBindingSize, maxBufferSize, maxComputeWorkgroupsPerDimension } = this.ctx.limits;
    const bufferBytes = Math.min(maxStorageBufferBindingSize, maxBufferSize);
    // A launch runs at most one invocation per element of a value it reads or writes (a conv
    // one per 4 output pixels), in workgroups of at least this many along the folded dimension.
    const perGroup = Math.min(WORKGROUP_SIZE_1D, 4 * MIN_CONV_WG_M);
    const dispatchElements = maxFoldedGroups(this.ctx) * perGroup;
    const maxElements = Math.min(Math.floor(bufferBytes / BYTES), dispatchElements, INDEX_LIMIT);
    let limit = Infinity;
    one.values.forEach((value, i) => {
      if (value.elements > maxElements) {
        const { what: held, shape } = describeValue(one, i);
        const what = `${this.graph.name}: one sample does not fit this device: ${held} (${value.dtype} ${formatShape(shape)})`;
        if (value.elements * BYTES > bufferBytes) {
          throw new SampleTooLargeError(
            `${what} needs ${value.elements * BYTES} bytes, more than its limit of ${bufferBytes} bytes per buffer ` +
              `(maxStorageBufferBindingSize ${maxStorageBufferBindingSize}, maxBufferSize ${maxBufferSize})`,
          );
        }
        throw new SampleTooLargeError(
          `${what} needs ${value.elements} invocations, more than one dispatch holds ` +
            `(${dispatchElements}: maxComputeWorkgroupsPerDimension ${maxComputeWorkgroupsPerDimension} squared x ${perGroup})`,
        );
      }
      const perSample = two.values[i]!.elements - value.elements;
      if (perSample > 0) limit = Math.min(limit, Math.floor((maxElements - (value.elements - perSample)) / perSample));
    });
    this.batchLimit = Math.max(1, Math.min(limit, Number.MAX_SAFE_INTEGER));
    return this.batchLimit;
  }

  /** The chunks of a batch: as many of the largest batch that fits as it takes, then the rest. */
  private chunks(batch: number): Chunk[] {
    const size = this.maxBatch();
    const chunks: Chunk[] = [];
    for (let start = 0; start < batch; start += size) chunks.push({ start, count: Math.min(size, batch - start) });
    return chunks;
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
    for (const plan of this.plans.values()) freePlan(plan);
    if (this.remainder) freePlan(this.remainder.plan);
  }

  /** A plan kept for the executor's life. */
  private plan(batch: number): Promise<GpuPlan> {
    let plan = this.plans.get(batch);
    if (!plan) {
      plan = this.buildPlan(batch);
      this.plans.set(batch, plan);
      plan.catch(() => this.plans.delete(batch));
    }
    return plan;
  }

  /**
   * The plan for `batch`, kept (`keep`: a batch run whole, a chunk size) or else in the one
   * remainder slot, so that chunked batches of many sizes build one plan each but keep none.
   * A plan leaving the slot is freed once the runs holding it have submitted their work.
   */
  private lease(batch: number, keep: boolean): PlanLease {
    const kept = this.plans.get(batch);
    if (kept || keep) return { plan: kept ?? this.plan(batch), release: () => undefined };
    let slot = this.remainder;
    if (slot?.batch !== batch) {
      if (slot) {
        slot.evicted = true;
        if (slot.users === 0) freePlan(slot.plan);
      }
      const entry: RemainderPlan = { batch, plan: this.buildPlan(batch), users: 0, evicted: false };
      entry.plan.catch(() => {
        if (this.remainder === entry) this.remainder = undefined;
      });
      this.remainder = slot = entry;
    }
    const entry = slot;
    entry.users++;
    return {
      plan: entry.plan,
      release: () => {
        entry.users--;
        if (entry.evicted && entry.users === 0) freePlan(entry.plan);
      },
    };
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
        return toNhwc4Launch(this.ctx, view(step.input), view(step.output), step.patches);
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
        if (step.patches && weights.kind === 'float') {
          // A 1x1 conv over the patches, each output pixel's window as its K = kh*kw*Cin channels.
          return conv2dLaunch(this.ctx, {
            input: view(step.nhwc4),
            inputShape: [conv.n, conv.kh * conv.kw * conv.cin, conv.ho, conv.wo],
            weights: this.constant(`${key}.patch_weights`, () => patchRowsFromOihw(weights.weight, 4)),
            ...this.affine(key, step.epilogue),
            stride: [1, 1],
            padding: [0, 0],
            relu: step.epilogue.relu,
            output: view(step.output),
          });
        }
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
