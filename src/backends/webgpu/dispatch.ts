/** Encoding one kernel launch: bind buffers and a uniform block, dispatch a grid. */
import type { GpuContext } from './context.js';
import threadIndexSource from '../../../shaders/thread_index.wgsl?raw';
import type { KernelSource } from './pipelines.js';
import type { ShaderDefines } from './preprocess.js';

/**
 * Workgroup counts covering `invocations` threads of `workgroupSize`, folded into y when x
 * would pass the per-dimension limit. Shaders rebuild the linear index from
 * workgroup_id and num_workgroups (see shaders/README.md).
 */
export function grid1d(ctx: GpuContext, invocations: number, workgroupSize: number): [number, number] {
  const groups = Math.ceil(invocations / workgroupSize);
  const maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim) throw new RangeError(`a launch of ${invocations} invocations exceeds this device's dispatch limits`);
  return [Math.ceil(groups / y), y];
}

/** A uniform buffer holding `values` as u32, padded to WebGPU's 16-byte granularity. */
export function uniformBuffer(ctx: GpuContext, values: readonly number[], label: string): GPUBuffer {
  const words = new Uint32Array(Math.ceil(values.length / 4) * 4);
  words.set(values);
  const buffer = ctx.device.createBuffer({ label, size: words.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  ctx.device.queue.writeBuffer(buffer, 0, words);
  return buffer;
}

export interface Launch {
  pipeline: GPUComputePipeline;
  /** buffers[i] is bound at binding i of group 0; a hole is a binding the variant lacks. */
  buffers: (GPUBuffer | undefined)[];
  /** Buffers zeroed before the dispatch (outputs the kernel ORs bits into). */
  clear?: GPUBuffer[];
  workgroups: readonly [number, number] | readonly [number, number, number];
  /** Buffers made for this launch alone (uniforms), released once it is submitted. */
  transient?: GPUBuffer[];
}

/** A launch with its bind group made: what an executor keeps to encode again and again. */
export interface PreparedLaunch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: Launch['workgroups'];
  clear: GPUBuffer[];
}

export function prepareLaunch(ctx: GpuContext, { pipeline, buffers, workgroups, clear = [] }: Launch): PreparedLaunch {
  const entries: GPUBindGroupEntry[] = [];
  buffers.forEach((buffer, binding) => buffer && entries.push({ binding, resource: { buffer } }));
  const bindGroup = ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  return { pipeline, bindGroup, workgroups, clear };
}

export function encodePrepared(encoder: GPUCommandEncoder, { pipeline, bindGroup, workgroups, clear }: PreparedLaunch): void {
  for (const buffer of clear) encoder.clearBuffer(buffer);
  const pass = encoder.beginComputePass();
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

/** The u32 bit pattern of a float32, for float fields of a uniform block. */
export function f32Bits(value: number): number {
  return new Uint32Array(new Float32Array([value]).buffer)[0]!;
}

export interface Launch1d {
  kernel: KernelSource;
  defines?: ShaderDefines;
  /** The uniform block at binding 0, as u32 words (floats through f32Bits). */
  params: number[];
  /** Bindings 1, 2, ...; a hole is a binding the variant lacks. */
  buffers: (GPUBuffer | undefined)[];
  /** One invocation each. */
  invocations: number;
}

/** Workgroup size of the one-dimensional kernels (element-wise, packing, pooling). */
export const WORKGROUP_SIZE_1D = 64;
const THREAD_INDEX = { file: 'thread_index.wgsl', source: threadIndexSource };

/**
 * The launch of a kernel with one invocation per element: WORKGROUP_SIZE_1D threads per
 * group, uniforms at binding 0, a grid folded into 2-D past the per-dimension limit, which
 * the kernel undoes with threadIndex() from thread_index.wgsl (included for it).
 */
export async function launch1d(ctx: GpuContext, spec: Launch1d): Promise<Launch> {
  const kernel = { ...spec.kernel, includes: [THREAD_INDEX, ...(spec.kernel.includes ?? [])] };
  const pipeline = await ctx.pipelines.get({ kernel, defines: { ...spec.defines, WORKGROUP_SIZE: WORKGROUP_SIZE_1D } });
  const params = uniformBuffer(ctx, spec.params, `${spec.kernel.file} params`);
  return {
    pipeline,
    buffers: [params, ...spec.buffers],
    workgroups: grid1d(ctx, spec.invocations, WORKGROUP_SIZE_1D),
    transient: [params],
  };
}
