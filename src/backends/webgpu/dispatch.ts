/** Encoding one kernel launch: bind buffers and a uniform block, dispatch a grid. */
import type { GpuContext } from './context.js';
import threadIndexSource from '../../../shaders/thread_index.wgsl?raw';
import { type Kernel, type StorageDecls, type UniformDecls, variantStorage } from './pipelines.js';
import type { ShaderDefines } from './preprocess.js';

/** Workgroups one dispatch can run along a folded dimension: the per-dimension limit squared. */
export function maxFoldedGroups(ctx: GpuContext): number {
  return ctx.limits.maxComputeWorkgroupsPerDimension ** 2;
}

/**
 * `groups` workgroups along one dimension as [x, folds], x * folds >= groups with both within
 * the per-dimension limit (folds = 1 when x alone can hold them). Shaders rebuild the group's
 * index as fold * num_workgroups.x + x (thread_index.wgsl, conv_tile.wgsl) and return past the
 * end, since x * folds may exceed `groups` by up to folds - 1.
 */
export function foldGroups(ctx: GpuContext, groups: number, what: string): [number, number] {
  const maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1];
  const folds = Math.ceil(groups / maxPerDim);
  if (folds > maxPerDim) {
    throw new RangeError(`${what}: needs ${groups} workgroups, more than this device's ${maxPerDim} x ${maxPerDim} in one dispatch`);
  }
  return [Math.ceil(groups / folds), folds];
}

/**
 * Workgroup counts covering `invocations` threads of `workgroupSize`, folded into y when x
 * would pass the per-dimension limit. Shaders rebuild the linear index from
 * workgroup_id and num_workgroups (see shaders/README.md).
 */
export function grid1d(ctx: GpuContext, invocations: number, workgroupSize: number): [number, number] {
  return foldGroups(ctx, Math.ceil(invocations / workgroupSize), `a launch of ${invocations} invocations`);
}

export interface Launch {
  pipeline: GPUComputePipeline;
  /** buffers[i] is bound at binding i of group 0; a hole is a binding the variant lacks. */
  buffers: (GPUBuffer | undefined)[];
  workgroups: readonly [number, number] | readonly [number, number, number];
  /** Buffers made for this launch alone (uniforms), released once it is submitted. */
  transient?: GPUBuffer[];
}

/** A launch with its bind group made: what an executor keeps to encode again and again. */
export interface PreparedLaunch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: Launch['workgroups'];
}

export function prepareLaunch(ctx: GpuContext, { pipeline, buffers, workgroups }: Launch): PreparedLaunch {
  const entries: GPUBindGroupEntry[] = [];
  buffers.forEach((buffer, binding) => buffer && entries.push({ binding, resource: { buffer } }));
  const bindGroup = ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  return { pipeline, bindGroup, workgroups };
}

/** Encodes one launch as a compute pass (`timestampWrites`: the profiler's GPU timestamps of the pass). */
export function encodePrepared(
  encoder: GPUCommandEncoder,
  { pipeline, bindGroup, workgroups }: PreparedLaunch,
  timestampWrites?: GPUComputePassTimestampWrites,
): void {
  const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : {});
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2] ?? 1);
  pass.end();
}

export function encodeLaunch(ctx: GpuContext, encoder: GPUCommandEncoder, launch: Launch): void {
  encodePrepared(encoder, prepareLaunch(ctx, launch));
}

/** Encodes launches into one command buffer, submits it, and reports GPU errors as exceptions. */
export async function submitLaunches(ctx: GpuContext, label: string, launches: Launch[]): Promise<void> {
  await ctx.checked(label, () => {
    const encoder = ctx.device.createCommandEncoder({ label });
    for (const launch of launches) encodeLaunch(ctx, encoder, launch);
    ctx.device.queue.submit([encoder.finish()]);
  });
  // Safe right after submit: WebGPU frees a destroyed buffer once queued work is done with it.
  for (const launch of launches) for (const buffer of launch.transient ?? []) buffer.destroy();
}

/** The buffers of a launch by binding name: those of every variant required, those of some variants optional. */
export type BuffersOf<S extends StorageDecls> = { [K in keyof S as S[K] extends { when: string } ? never : K]: GPUBuffer } & {
  [K in keyof S as S[K] extends { when: string } ? K : never]?: GPUBuffer | undefined;
};
/** The uniform block of a launch by field name. */
export type ParamsOf<U extends UniformDecls> = { [K in keyof U]: number };

export interface KernelCall<S extends StorageDecls, U extends UniformDecls> {
  kernel: Kernel<S, U>;
  defines?: ShaderDefines;
  buffers: BuffersOf<S>;
  params: ParamsOf<U>;
}

/** Buffers by binding number from buffers by name; every binding the variant has must be given, and only those. */
export function bindByName(
  kernel: Kernel,
  defines: ShaderDefines,
  buffers: Readonly<Record<string, GPUBuffer | undefined>>,
): (GPUBuffer | undefined)[] {
  const { file, interface: io } = kernel;
  for (const name of Object.keys(buffers)) {
    if (!(name in io.storage)) throw new Error(`${file}: no binding named ${name} (it has ${Object.keys(io.storage).join(', ')})`);
  }
  const bound = variantStorage(file, io, defines);
  for (const [name, { when }] of Object.entries(io.storage)) {
    if (buffers[name] !== undefined && !bound.some((b) => b.name === name)) {
      throw new Error(`${file}: binding ${name} is given, but this variant lacks it (${when} is false)`);
    }
  }
  const entries: (GPUBuffer | undefined)[] = [];
  for (const { name, binding } of bound) {
    const buffer = buffers[name];
    if (!buffer) throw new Error(`${file}: binding ${name} is missing`);
    entries[binding] = buffer;
  }
  return entries;
}

const INTEGER_RANGE = { u32: [0, 2 ** 32 - 1], i32: [-(2 ** 31), 2 ** 31 - 1] } as const;

/** The uniform block's bytes from its fields by name, padded to WebGPU's 16-byte granularity. */
export function uniformBytes(kernel: Kernel, params: Readonly<Record<string, number>>): ArrayBuffer {
  const { file, interface: io } = kernel;
  for (const name of Object.keys(params)) {
    if (!(name in io.uniforms)) throw new Error(`${file}: no uniform named ${name} (it has ${Object.keys(io.uniforms).join(', ')})`);
  }
  const fields = Object.entries(io.uniforms);
  const view = new DataView(new ArrayBuffer(Math.ceil(fields.length / 4) * 16));
  fields.forEach(([name, type], i) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${file}: uniform ${name} is missing`);
    if (type === 'f32') return view.setFloat32(4 * i, value, true);
    const [min, max] = INTEGER_RANGE[type];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`${file}: uniform ${name} (${type}) cannot hold ${value}`);
    }
    if (type === 'i32') view.setInt32(4 * i, value, true);
    else view.setUint32(4 * i, value, true);
  });
  return view.buffer;
}

/**
 * The launch of a kernel over `workgroups`, its buffers and uniforms given by name (checked
 * before anything is compiled or allocated); the uniform block is a buffer of its own.
 */
export async function kernelLaunch<S extends StorageDecls, U extends UniformDecls>(
  ctx: GpuContext,
  { kernel, defines = {}, buffers, params }: KernelCall<S, U>,
  workgroups: Launch['workgroups'],
): Promise<Launch> {
  const storage = bindByName(kernel, defines, buffers);
  const bytes = uniformBytes(kernel, params);
  const pipeline = await ctx.pipelines.get({ kernel, defines });
  const uniform = ctx.device.createBuffer({
    label: `${kernel.file} params`,
    size: bytes.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  ctx.device.queue.writeBuffer(uniform, 0, bytes);
  storage[0] = uniform;
  return { pipeline, buffers: storage, workgroups, transient: [uniform] };
}

export interface Launch1d<S extends StorageDecls, U extends UniformDecls> extends KernelCall<S, U> {
  /** One invocation each. */
  invocations: number;
}

/** Workgroup size of the one-dimensional kernels (element-wise, packing, pooling). */
export const WORKGROUP_SIZE_1D = 64;
const THREAD_INDEX = { file: 'thread_index.wgsl', source: threadIndexSource };

/**
 * The launch of a kernel with one invocation per element: WORKGROUP_SIZE_1D threads per
 * group, a grid folded into 2-D past the per-dimension limit, which the kernel undoes with
 * threadIndex() from thread_index.wgsl (included for it).
 */
export async function launch1d<S extends StorageDecls, U extends UniformDecls>(ctx: GpuContext, call: Launch1d<S, U>): Promise<Launch> {
  const kernel = { ...call.kernel, includes: [THREAD_INDEX, ...(call.kernel.includes ?? [])] };
  const defines = { ...call.defines, WORKGROUP_SIZE: WORKGROUP_SIZE_1D };
  return kernelLaunch(ctx, { ...call, kernel, defines }, grid1d(ctx, call.invocations, WORKGROUP_SIZE_1D));
}
