/**
 * `xnornet selfcheck`: names the WebGPU adapter and runs one kernel round trip (GPU sign
 * packing against the host packer). The main job until the executor exists.
 */
import { parseCommand } from '../args.js';
import type { Io } from '../io.js';
import { packActivations } from '../../tensor/bits.js';
import { Tensor } from '../../tensor/tensor.js';
import { createRng, seedFromEnv } from '../../util/random.js';
import { withContext } from '../../backends/webgpu/context.js';
import { GpuTensor } from '../../backends/webgpu/gpu-tensor.js';
import { packSigns } from '../../backends/webgpu/kernels/pack-signs.js';

const SHAPE = [4, 257, 31, 29] as const;

export const usage = `xnornet selfcheck

Creates a WebGPU device (SwiftShader when no GPU exists), prints the adapter and runs the
sign-packing kernel against the host packer. XNORNET_SEED=<n> replays a run.`;

export async function run(args: string[], io: Io): Promise<number> {
  parseCommand(args, {}, []);
  return (await selfcheck(io.log)) ? 0 : 1;
}

export async function selfcheck(log: (line: string) => void): Promise<boolean> {
  const started = performance.now();
  return withContext(async (ctx) => {
    log(`adapter: ${ctx.adapterName}`);
    const { maxStorageBufferBindingSize, maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup } = ctx.limits;
    log(
      `limits: storage buffer ${maxStorageBufferBindingSize} B, workgroup storage ${maxComputeWorkgroupStorageSize} B, ` +
        `${maxComputeInvocationsPerWorkgroup} invocations per workgroup`,
    );
    const seed = seedFromEnv();
    const rng = createRng(seed);
    const x = Tensor.zeros(SHAPE);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    const input = GpuTensor.upload(ctx, x, 'selfcheck input');
    const kernelStart = performance.now();
    const packed = await packSigns(ctx, input);
    const gpuBits = (await packed.read()).data;
    const kernelMs = performance.now() - kernelStart;
    const hostBits = packActivations(x).data;
    let mismatches = 0;
    for (let i = 0; i < hostBits.length; i++) if (gpuBits[i] !== hostBits[i]) mismatches++;
    input.destroy();
    packed.destroy();
    log(
      `pack_signs round trip on [${SHAPE.join(', ')}] (seed ${seed}): ${hostBits.length} words, ` +
        (mismatches === 0 ? 'bit-exact with the host packer' : `${mismatches} words DIFFER from the host packer`) +
        ` (${kernelMs.toFixed(1)} ms incl. compile and readback; ${(performance.now() - started).toFixed(0)} ms total)`,
    );
    return mismatches === 0;
  });
}
