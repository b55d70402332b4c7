/** Timing of GPU launches and table printing, shared by the benchmarks. */
import type { GpuContext } from '../src/backends/webgpu/context.js';
import { type Launch, encodeLaunch } from '../src/backends/webgpu/dispatch.js';

/** Wall time of `reps` back-to-back copies of `launches` in one submission, per copy. */
async function timeOnce(ctx: GpuContext, launches: Launch[], reps: number): Promise<number> {
  const started = performance.now();
  const encoder = ctx.device.createCommandEncoder();
  for (let r = 0; r < reps; r++) for (const launch of launches) encodeLaunch(ctx, encoder, launch);
  ctx.device.queue.submit([encoder.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
  return (performance.now() - started) / reps;
}

export interface Timed {
  label: string;
  launches: Launch[];
}

/**
 * Median milliseconds per run of each entry. Entries are measured in interleaved rounds, so
 * slow drifts of a noisy machine hit all of them alike. Each sample lasts at least
 * `minSampleMs` (short kernels are repeated within one submission).
 */
export async function medianMs(ctx: GpuContext, entries: Timed[], rounds: number, minSampleMs = 250): Promise<Map<string, number>> {
  const reps = new Map<string, number>();
  for (const entry of entries) {
    const warm = await timeOnce(ctx, entry.launches, 1); // also compiles and first-touches memory
    reps.set(entry.label, Math.max(1, Math.ceil(minSampleMs / Math.max(warm, 0.01))));
  }
  const samples = new Map<string, number[]>(entries.map((e) => [e.label, []]));
  for (let round = 0; round < rounds; round++) {
    for (const entry of entries) samples.get(entry.label)!.push(await timeOnce(ctx, entry.launches, reps.get(entry.label)!));
  }
  return new Map(
    [...samples].map(([label, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return [label, sorted[Math.floor(sorted.length / 2)]!];
    }),
  );
}
