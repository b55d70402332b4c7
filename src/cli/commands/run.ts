/** `xnornet run <model> <input.npy> -o <out.npy>`: inference on a batch from a .npy file. */
import { readFile, writeFile } from 'node:fs/promises';
import { type Runner, createRunner, parseBackend } from '../../runner/runner.js';
import { loadModel } from '../../runner/load.js';
import { readNpy, writeNpy } from '../../model/npy.js';
import { Tensor } from '../../tensor/tensor.js';
import { UsageError, parseCommand, positiveInt } from '../args.js';

export const usage = `xnornet run <model.json | zoo:NAME> <input.npy> -o <out.npy> [--backend webgpu|cpu|reference] [--batch N] [--threads T]

Runs the model on input.npy (float32 [N, C, H, W] or [N, F]) and writes the output as
float32 .npy. Backends: webgpu (default), cpu (packed bits, Wasm SIMD, T worker threads,
default all cores), reference (the plain CPU float reference). --batch N runs N samples at a
time (default: all at once). A model with several outputs writes out.<node>.npy for each.`;

/** Runs `input` in chunks of `batch` samples and concatenates the outputs along dimension 0. */
async function runInBatches(runner: Runner, input: Tensor<Float32Array>, batch: number): Promise<Map<string, Tensor<Float32Array>>> {
  const n = input.shape[0]!;
  const per = input.size / n;
  const chunks: Map<string, Tensor<Float32Array>>[] = [];
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    chunks.push(await runner.run(new Tensor(input.data.slice(start * per, (start + count) * per), [count, ...input.shape.slice(1)])));
  }
  const out = new Map<string, Tensor<Float32Array>>();
  for (const name of chunks[0]!.keys()) {
    const parts = chunks.map((c) => c.get(name)!);
    const data = new Float32Array(parts.reduce((s, p) => s + p.size, 0));
    let offset = 0;
    for (const p of parts) {
      data.set(p.data, offset);
      offset += p.size;
    }
    out.set(name, new Tensor(data, [n, ...parts[0]!.shape.slice(1)]));
  }
  return out;
}

export async function run(args: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { output: { type: 'string', short: 'o' }, backend: { type: 'string' }, batch: { type: 'string' }, threads: { type: 'string' } },
    ['<model>', '<input.npy>'],
  );
  if (!values.output) throw new UsageError('-o <out.npy> is required');
  const [modelSource, inputPath] = positionals as [string, string];
  const backend = parseBackend(values.backend ?? 'webgpu');
  const model = await loadModel(modelSource);
  const input = readNpy(new Uint8Array(await readFile(inputPath)), inputPath);
  const batch = positiveInt(values.batch, input.shape[0] ?? 1, '--batch');
  const threads = values.threads === undefined ? {} : { threads: positiveInt(values.threads, 1, '--threads') };
  const runner = await createRunner(model, backend, threads);
  try {
    const started = performance.now();
    const outputs = await runInBatches(runner, input, batch);
    const ms = performance.now() - started;
    for (const [name, tensor] of outputs) {
      const path = outputs.size === 1 ? values.output : values.output.replace(/(\.npy)?$/, `.${name}.npy`);
      await writeFile(path, writeNpy(tensor));
      log(`${name}: [${tensor.shape.join(', ')}] -> ${path}`);
    }
    log(`${input.shape[0]} sample(s) in ${ms.toFixed(1)} ms on ${runner.description}`);
  } finally {
    runner.close();
  }
  return 0;
}
