/** Encoding one kernel launch: bind buffers and a uniform block, dispatch a grid. */
import type { GpuContext } from './context.js';

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
  /** Buffers in binding order 0, 1, 2, ... of group 0. */
  buffers: GPUBuffer[];
  workgroups: readonly [number, number] | readonly [number, number, number];
  /** Buffers made for this launch alone (uniforms), released once it is submitted. */
  transient?: GPUBuffer[];
}

export function encodeLaunch(ctx: GpuContext, encoder: GPUCommandEncoder, { pipeline, buffers, workgroups }: Launch): void {
  const bindGroup = ctx.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2] ?? 1);
  pass.end();
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
