/** `xnornet run <model> <input.npy> -o <out.npy>`: inference on a batch from a .npy file. */
import { writeFile } from 'node:fs/promises';
import { checkInput, withBatchAxis } from '../../model/input.js';
import { readNpy, writeNpy } from '../../model/npy.js';
import { loadModel } from '../../runner/load.js';
import { type Runner, createRunner } from '../../runner/runner.js';
import { Tensor, concatBatches, formatShape, shapeSize } from '../../tensor/tensor.js';
import { RUN_OPTIONS, UsageError, parseCommand, positiveInt, runOptions } from '../args.js';
import { FileError, STDOUT, checkOutputFile, readInput } from '../files.js';
import type { Io } from '../io.js';

export const usage = `xnornet run <model.json | zoo:NAME> <input.npy> -o <out.npy | -> [--backend webgpu|cpu|reference]
       [--threads T] [--batch N] [--outputs NODE,NODE...] [--json]

Runs the model on input.npy (float32 [N, C, H, W] or [N, F]; a single sample without the N
axis is taken as N = 1) and writes the output as float32 .npy ("-o -": to standard output).
Backends: webgpu (default), cpu (packed bits, Wasm SIMD, T worker threads, default all
cores), reference (the plain CPU float reference). --batch N runs N samples at a time
(default: all at once). --outputs names the nodes to write (per-layer outputs) instead of
the model's outputs; with several outputs each goes to out.<node>.npy. --json prints what
was written and the times as JSON.`;

/** Time a run may take before progress is shown (XNORNET_PROGRESS_AFTER_MS changes it, e.g. to see it on short runs). */
const PROGRESS_AFTER_MS = Number(process.env['XNORNET_PROGRESS_AFTER_MS'] ?? 2_000);
/** A first run shorter than this is repeated once, to report a warm time too. */
const REPEAT_BELOW_MS = 5_000;

interface Timing {
  /** The first batch: shader compilation, weight upload and caches included. */
  firstMs: number;
  /** Median time of a batch once warm. */
  warmMs: number;
}

/** Runs `input` in chunks of `batch` samples and concatenates the outputs along dimension 0. */
async function runInBatches(
  runner: Runner,
  input: Tensor<Float32Array>,
  batch: number,
  progress: (line: string) => void,
): Promise<{ outputs: Map<string, Tensor<Float32Array>>; timing: Timing }> {
  const n = input.shape[0]!;
  const per = input.size / n;
  const chunks: Map<string, Tensor<Float32Array>>[] = [];
  const times: number[] = [];
  const started = performance.now();
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const chunk = new Tensor(input.data.subarray(start * per, (start + count) * per), [count, ...input.shape.slice(1)]);
    const t0 = performance.now();
    chunks.push(await runner.run(chunk));
    times.push(performance.now() - t0);
    if (performance.now() - started > PROGRESS_AFTER_MS)
      progress(`${start + count}/${n} samples, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  if (times.length === 1 && times[0]! < REPEAT_BELOW_MS) {
    const t0 = performance.now();
    await runner.run(input.shape[0] === batch ? input : new Tensor(input.data.subarray(0, batch * per), [batch, ...input.shape.slice(1)]));
    times.push(performance.now() - t0);
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  const timing = { firstMs: times[0]!, warmMs: warm.length > 0 ? warm[Math.floor(warm.length / 2)]! : times[0]! };
  const outputs = new Map([...chunks[0]!.keys()].map((name) => [name, concatBatches(chunks.map((c) => c.get(name)!))]));
  return { outputs, timing };
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { output: { type: 'string', short: 'o' }, batch: { type: 'string' }, json: { type: 'boolean' }, ...RUN_OPTIONS },
    ['<model>', '<input.npy>'],
  );
  if (!values.output) throw new UsageError('-o <out.npy> is required ("-o -" writes to standard output)');
  if (values.output === STDOUT && values.json) throw new UsageError('--json prints to standard output; it cannot go with "-o -"');
  // With the data on standard output, every message goes to standard error.
  const log = values.output === STDOUT ? io.error : io.log;
  const { backend, options } = runOptions(values, io.error);
  const [modelSource, inputPath] = positionals as [string, string];
  await checkOutputFile(values.output);
  const model = await loadModel(modelSource);
  const read = readNpy(await readInput(inputPath), inputPath);
  const input = withBatchAxis(model.graph, read);
  if (input !== read) io.error(`note: ${inputPath} is one sample ${formatShape(read.shape)} without a batch axis; running it as [1, ...]`);
  checkInput(model.graph, input);
  const batch = positiveInt(values.batch, input.shape[0]!, '--batch');
  const runner = await createRunner(model, backend, options);
  try {
    const { outputs, timing } = await runInBatches(runner, input, Math.min(batch, input.shape[0]!), io.progress);
    const written: { node: string; shape: number[]; path: string }[] = [];
    for (const [name, tensor] of outputs) {
      if (values.output === STDOUT && outputs.size > 1) throw new UsageError(`"-o -" takes one output; the run has ${outputs.size}`);
      const path = outputs.size === 1 ? values.output : values.output.replace(/(\.npy)?$/, `.${name}.npy`);
      if (path === STDOUT) io.writeStdout(writeNpy(tensor));
      else await writeFile(path, writeNpy(tensor)).catch((err) => Promise.reject(FileError.from(err, path)));
      written.push({ node: name, shape: [...tensor.shape], path });
    }
    const summary = {
      model: model.source,
      backend: runner.description,
      samples: input.shape[0]!,
      batch,
      outputs: written,
      firstRunMs: timing.firstMs,
      warmBatchMs: timing.warmMs,
    };
    if (values.json) {
      io.log(JSON.stringify(summary, null, 2));
      return 0;
    }
    for (const w of written) log(`${w.node}: ${formatShape(w.shape)} -> ${w.path === STDOUT ? 'standard output' : w.path}`);
    log(
      `${input.shape[0]} sample(s) on ${runner.description}: first run ${timing.firstMs.toFixed(1)} ms (with shader compilation and ` +
        `weight upload), warm ${timing.warmMs.toFixed(1)} ms per batch of ${Math.min(batch, input.shape[0]!)} ` +
        `(${(timing.warmMs / Math.min(batch, input.shape[0]!)).toFixed(2)} ms/sample; ${shapeSize(input.shape.slice(1))} values each)`,
    );
    if (runner.cpuEmulated) log('note: this WebGPU adapter emulates a GPU on the CPU; --backend cpu is faster on this machine');
  } finally {
    runner.close();
  }
  return 0;
}
