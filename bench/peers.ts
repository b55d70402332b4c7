/**
 * `npm run bench:peers` (and the end of `npm run bench:models`): the zoo's LeNet-5 and
 * ResNet-18 (224x224) on the float engines people already use, with the same weights, next to
 * xnornet on the float and the XNOR version of each architecture: on the CPU, and on WebGPU.
 *   --quick        fewer rounds and runs (CPU rows 2 x 2 runs instead of 5 x 4; see WebGPU below)
 *   --json FILE    {machine, threads, notes, rows, goals, throughput}: rows {engine, kind, device,
 *                  description, model, mode, batch, runs, medianMs, p90Ms, imagesPerSecond,
 *                  weightBytes, activationBytes, activationHow, check: {maxAbsDiff,
 *                  maxAbsReference, tolerance, sameArgmax, samples, passed}}; goals {goal,
 *                  batch, xnornetMs, peerMs, ratio, atLeast, result}; throughput {goal,
 *                  imagesPerSecond, result} (XNOR LeNet-5 on WebGPU at batch 256)
 *   --threads N    threads for every CPU engine (default 2)
 *   --skip-gpu     no WebGPU rows (no GPU child)
 *   --models a,b   only these architectures (lenet5, resnet18; default both)
 * Peers (devDependencies; one that is not installed or does not start is skipped with a note):
 *   CPU, all in this process (no WebGPU device in it), but for TF.js with threads forced:
 *   - ONNX Runtime for Node, CPU execution provider, intraOpNumThreads = N: the model exported
 *     to ONNX by bench/peers/onnx-export.ts;
 *   - ONNX Runtime Web (bench/peers/ort-web.ts), wasm execution provider, in Node, on the same
 *     ONNX bytes: its threaded-SIMD build with numThreads = N (the row says whether its
 *     workers started);
 *   - TF.js on its wasm backend (XNNPACK), built from the same tensors by bench/peers/tfjs.ts:
 *     as TF.js runs in Node (threads off there, and capped at cores / 2), and, in a child
 *     process that this one drives round by round, with its threaded-SIMD build forced on at
 *     N threads (TF.js allows one wasm module per process);
 *   WebGPU, in one child process that holds the device (bench/peers/gpu-child.ts), started
 *   after every CPU row is timed and the CPU engines closed:
 *   - xnornet's WebGPU executor, float and XNOR models;
 *   - TF.js's WebGPU backend on the same GPUDevice (the adapter xnornet finds: the first Dawn
 *     offers, else SwiftShader), the same graphs as its wasm rows.
 *   ResNet-18 on WebGPU at batch 1 only, and few runs: on SwiftShader a TF.js run of it takes
 *   seconds. Its check run is its warm-up (it compiles the pipelines), then 3 rounds x 1 run
 *   (--quick) or 5 x 2. LeNet-5 on WebGPU is timed like the CPU rows, XNOR LeNet-5 also at
 *   batch 256 (xnornet only: the issue's throughput goal).
 * Before a row is timed its outputs are compared with xnornet's float reference
 * (src/backends/reference.ts) on the same seeded input: max |diff| <= 1e-4 * (1 + max |ref|)
 * over the logits and the same argmax for every sample; a row that fails is not timed. The
 * XNOR rows are the same architecture with binary weights (zoo `*-xnor`), checked against the
 * reference of that model. Times: per run (input in, outputs read back), after warm-up, from
 * interleaved rounds (each round times every row a few runs); median and p90 of all runs.
 * Weights: xnornet's from src/model/costs.ts (float32, or packed for XNOR); ONNX Runtime's
 * initializers; TF.js's tensors (batchnorms folded). Peak activations: xnornet WebGPU its
 * buffer pool; xnornet cpu what its executor allocates (every plan value); TF.js its own count
 * (tf.memory() after each step of a run); ONNX Runtime an estimate from the float network's
 * plan (bench/peers/memory.ts). Ratios (the issue's goals: the peer's median / xnornet's, each
 * with its two medians and PASS/MISS) come from this one run.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { formatBytes } from '../src/util/format.js';
import { markdownTable } from '../src/cli/table.js';
import { runReference } from '../src/backends/reference.js';
import type { Model } from '../src/model/model.js';
import { agreement } from '../src/runner/compare.js';
import { createRunner } from '../src/runner/runner.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createRng } from '../src/util/random.js';
import { loadZooModel } from '../src/zoo/index.js';
import { type ChildReplyBody, childClient, serve, timeRuns } from './peers/child.js';
import { modelWeightBytes, planAllocatedBytes, planPeakBytes } from './peers/memory.js';
import type { TfjsNetwork, TfjsWasm } from './peers/tfjs.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    json: { type: 'string' },
    threads: { type: 'string' },
    'skip-gpu': { type: 'boolean' },
    models: { type: 'string' },
    'tfjs-child': { type: 'boolean' },
    'gpu-child': { type: 'boolean' },
  },
});
const threads = Number(values.threads ?? 2);
const ROUNDS = values.quick ? 2 : 5;
const RUNS_PER_ROUND = values.quick ? 2 : 4;
const WARM_UP_RUNS = values.quick ? 1 : 3;
const ALL_ARCHITECTURES = ['lenet5', 'resnet18'] as const;
type Arch = (typeof ALL_ARCHITECTURES)[number];
const ARCHITECTURES: readonly Arch[] = values.models
  ? values.models.split(',').map((name) => {
      if (!(ALL_ARCHITECTURES as readonly string[]).includes(name))
        throw new RangeError(`bench:peers: no model "${name}" (${ALL_ARCHITECTURES.join(', ')})`);
      return name as Arch;
    })
  : ALL_ARCHITECTURES;
const BATCHES = [1, 8] as const;
/**
 * Relative tolerance of the output check. Float32 engines agree with the reference to about
 * 1e-6 of max |ref| on these networks; 1e-3 let through a wrong bias (TF.js wasm's fused
 * matMul with transposeB, 0.37 off on ResNet-18 logits of 458).
 */
const TOLERANCE = 1e-4;

type Mode = 'float' | 'xnor';

interface Schedule {
  /** Runs after the check run, before timing. */
  warmUp: number;
  rounds: number;
  runsPerRound: number;
}
const CPU_SCHEDULE: Schedule = { warmUp: WARM_UP_RUNS, rounds: ROUNDS, runsPerRound: RUNS_PER_ROUND };
/** ResNet-18 on WebGPU (SwiftShader: seconds a run in TF.js): the check run warms up. */
const GPU_RESNET_SCHEDULE: Schedule = values.quick ? { warmUp: 0, rounds: 3, runsPerRound: 1 } : { warmUp: 0, rounds: 5, runsPerRound: 2 };
const GPU_BATCHES: Record<Arch, readonly number[]> = { lenet5: BATCHES, resnet18: [1] };
/** The issue's throughput goal: XNOR LeNet-5 on WebGPU at batch 256 (xnornet only, no peer). */
const THROUGHPUT_GOAL = { arch: 'lenet5', mode: 'xnor', batch: 256, imagesPerSecond: 1000 } as const;
/** Every batch some row runs, per architecture: the seeded inputs and references cover them. */
const ALL_BATCHES: Record<Arch, readonly number[]> = { lenet5: [...BATCHES, THROUGHPUT_GOAL.batch], resnet18: BATCHES };

/** Which engine a row is, for the goals. */
type Kind = 'xnornet-cpu' | 'ort-node' | 'ort-web' | 'tfjs-wasm' | 'tfjs-wasm-threads' | 'xnornet-webgpu' | 'tfjs-webgpu';

function seededInput(model: Model, batch: number): Tensor<Float32Array> {
  const input = Tensor.zeros([batch, ...model.graph.inputShape]);
  const rng = createRng(7);
  for (let i = 0; i < input.size; i++) input.data[i] = rng.normal();
  return input;
}

/** The first `batch` samples of a batch (a view). */
function firstSamples(t: Tensor<Float32Array>, batch: number): Tensor<Float32Array> {
  const perSample = t.size / t.shape[0]!;
  return new Tensor(t.data.subarray(0, batch * perSample), [batch, ...t.shape.slice(1)]);
}

// ---------------------------------------------------------------------------------------------
// The TF.js child: TF.js wasm with its threaded build forced on (TF.js allows one wasm module
// per process, so the 1-thread build of the parent and this one cannot share a process).

function serveTfjsChild(): void {
  let tfjs: TfjsWasm | undefined;
  const networks = new Map<string, TfjsNetwork>();
  const built = new Map<string, { network: TfjsNetwork; prepared: ReturnType<TfjsNetwork['prepare']> }>();
  const fail = (message: string): never => {
    throw new Error(message);
  };
  const entry = (key: string) => built.get(key) ?? fail(`no network "${key}"`);
  serve(async (request): Promise<ChildReplyBody> => {
    switch (request.op) {
      case 'start': {
        const { createTfjsWasm } = await import('./peers/tfjs.js');
        tfjs = await createTfjsWasm({ threads: request.threads, forceNodeThreads: true });
        return { engines: { tfjs: { description: tfjs.description } } };
      }
      case 'build': {
        const network = networks.get(request.model) ?? (tfjs ?? fail('not started')).build(loadZooModel(request.model));
        networks.set(request.model, network);
        built.set(request.key, { network, prepared: network.prepare(new Tensor(request.input, request.shape)) });
        return { weightBytes: network.weightBytes };
      }
      case 'output': {
        const { network, prepared } = entry(request.key);
        const { outputs, peakActivationBytes } = await network.runMeasured(prepared);
        return { data: outputs[0]!, activationBytes: peakActivationBytes };
      }
      case 'time': {
        const { network, prepared } = entry(request.key);
        return { times: await timeRuns(() => network.run(prepared), request.runs) };
      }
      case 'close':
        networks.forEach((n) => n.dispose());
        return {};
    }
  });
}

// ---------------------------------------------------------------------------------------------

interface Activation {
  bytes: number;
  /** How it was had: 'pool', 'all values', 'tf.memory', 'estimate'. */
  how: string;
}

interface Engine {
  /** Short name in the table. */
  engine: string;
  kind: Kind;
  device: 'cpu' | 'webgpu';
  /** What ran, in full. */
  description: string;
  model: Arch;
  mode: Mode;
  batch: number;
  weightBytes: number;
  /** Known when built, or filled in by the check run (TF.js counts its tensors then). */
  activation: Activation | undefined;
  schedule: Schedule;
  output(): Promise<Float32Array>;
  time(runs: number): Promise<number[]>;
}

interface Check {
  maxAbsDiff: number;
  maxAbsReference: number;
  tolerance: number;
  sameArgmax: number;
  samples: number;
  passed: boolean;
}

interface Row {
  engine: string;
  kind: Kind;
  device: 'cpu' | 'webgpu';
  description: string;
  model: Arch;
  mode: Mode;
  batch: number;
  runs: number;
  medianMs: number;
  p90Ms: number;
  imagesPerSecond: number;
  weightBytes: number;
  activationBytes: number | undefined;
  activationHow: string | undefined;
  check: Check;
}

const notes: string[] = [];
const note = (line: string) => {
  notes.push(line);
  process.stderr.write(`  ${line}\n`);
};
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

function check(reference: Tensor<Float32Array>, output: Float32Array): Check {
  if (output.length !== reference.size) {
    return { maxAbsDiff: Infinity, maxAbsReference: NaN, tolerance: NaN, sameArgmax: 0, samples: reference.shape[0]!, passed: false };
  }
  const a = agreement(reference, new Tensor(output, reference.shape));
  const tolerance = TOLERANCE * (1 + a.maxAbsReference);
  return { ...a, tolerance, passed: a.maxAbsDiff <= tolerance && a.sameArgmax === a.samples };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Checks every engine against its reference, warms up and times the ones that pass, in interleaved rounds. */
async function measure(engines: Engine[], references: Map<string, Tensor<Float32Array>>, label: string): Promise<Row[]> {
  const checks = new Map<Engine, Check>();
  for (const e of engines) {
    let c: Check;
    try {
      c = check(references.get(`${e.model}-${e.mode}/${e.batch}`)!, await e.output());
    } catch (err) {
      note(`FAILED, not timed: ${e.engine} ${e.model}-${e.mode} batch ${e.batch}: ${firstLine(err)}`);
      continue;
    }
    checks.set(e, c);
    const line = `${e.engine} ${e.model}-${e.mode} batch ${e.batch}: max |diff| ${c.maxAbsDiff.toExponential(2)} (tolerance ${c.tolerance.toExponential(2)}), argmax ${c.sameArgmax}/${c.samples}`;
    if (c.passed) process.stderr.write(`  checked ${line}\n`);
    else note(`FAILED, not timed: ${line}`);
  }
  const timed = engines.filter((e) => checks.get(e)?.passed);
  for (const e of timed) if (e.schedule.warmUp > 0) await e.time(e.schedule.warmUp);

  const samples = new Map<Engine, number[]>(timed.map((e) => [e, []]));
  const rounds = Math.max(0, ...timed.map((e) => e.schedule.rounds));
  for (let round = 0; round < rounds; round++) {
    for (const e of timed) if (round < e.schedule.rounds) samples.get(e)!.push(...(await e.time(e.schedule.runsPerRound)));
    process.stderr.write(`  ${label}: round ${round + 1}/${rounds} done\n`);
  }
  return timed.map((e) => {
    const sorted = [...samples.get(e)!].sort((a, b) => a - b);
    const medianMs = quantile(sorted, 0.5);
    return {
      engine: e.engine,
      kind: e.kind,
      device: e.device,
      description: e.description,
      model: e.model,
      mode: e.mode,
      batch: e.batch,
      runs: sorted.length,
      medianMs,
      p90Ms: quantile(sorted, 0.9),
      imagesPerSecond: (1000 * e.batch) / medianMs,
      weightBytes: e.weightBytes,
      activationBytes: e.activation?.bytes,
      activationHow: e.activation?.how,
      check: checks.get(e)!,
    };
  });
}

/** The CPU engines, all in this process but TF.js with threads forced (a child). */
async function cpuEngines(models: Map<string, Model>, inputs: Map<string, Tensor<Float32Array>>, closers: (() => unknown)[]) {
  const engines: Engine[] = [];
  const floatPlanPeak = (arch: Arch, batch: number): Activation => ({
    bytes: planPeakBytes(models.get(`${arch}-float`)!, batch),
    how: 'estimate',
  });

  // xnornet's cpu backend, float and XNOR.
  for (const arch of ARCHITECTURES) {
    for (const mode of ['float', 'xnor'] as const) {
      const model = models.get(`${arch}-${mode}`)!;
      const runner = await createRunner(model, 'cpu', { threads });
      closers.push(() => runner.close());
      if (engines.length === 0) note(`xnornet ${runner.description}`);
      for (const batch of BATCHES) {
        const input = inputs.get(`${arch}/${batch}`)!;
        const run = async () => (await runner.run(input)).values().next().value!.data;
        engines.push({
          engine: `xnornet cpu, ${threads} threads`,
          kind: 'xnornet-cpu',
          device: 'cpu',
          description: `xnornet ${runner.description}`,
          model: arch,
          mode,
          batch,
          weightBytes: modelWeightBytes(model, mode),
          activation: { bytes: planAllocatedBytes(model, batch), how: 'all values' },
          schedule: CPU_SCHEDULE,
          output: run,
          time: (runs) => timeRuns(run, runs),
        });
      }
    }
  }

  // The float models as ONNX, for both ONNX Runtimes.
  let onnx: Map<Arch, { bytes: Uint8Array; weightBytes: number }> | undefined;
  try {
    const { exportOnnx, initializerBytes } = await import('./peers/onnx-export.js');
    onnx = new Map(
      ARCHITECTURES.map((arch) => {
        const bytes = exportOnnx(models.get(`${arch}-float`)!);
        return [arch, { bytes, weightBytes: initializerBytes(bytes) }];
      }),
    );
  } catch (err) {
    note(`ONNX export failed, no ONNX Runtime rows: ${firstLine(err)} (npm install --save-dev onnx-proto)`);
  }

  // ONNX Runtime (Node, CPU execution provider).
  if (onnx) {
    try {
      const ort = await import('onnxruntime-node');
      const { ONNX_OPSET } = await import('./peers/onnx-export.js');
      const description = `ONNX Runtime node ${ort.env.versions.node ?? '?'} (onnxruntime-common ${ort.env.versions.common}), CPU execution provider, intraOpNumThreads ${threads}, graph optimizations all, ONNX opset ${ONNX_OPSET}`;
      note(description);
      for (const arch of ARCHITECTURES) {
        const session = await ort.InferenceSession.create(onnx.get(arch)!.bytes, {
          executionProviders: ['cpu'],
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
        });
        closers.push(() => session.release());
        const [inputName] = session.inputNames;
        const [outputName] = session.outputNames;
        for (const batch of BATCHES) {
          const input = inputs.get(`${arch}/${batch}`)!;
          const feeds = { [inputName!]: new ort.Tensor('float32', input.data, [...input.shape]) };
          const run = async () => (await session.run(feeds))[outputName!]!.data as Float32Array;
          engines.push({
            engine: `ONNX Runtime node, CPU EP, ${threads} threads`,
            kind: 'ort-node',
            device: 'cpu',
            description,
            model: arch,
            mode: 'float',
            batch,
            weightBytes: onnx.get(arch)!.weightBytes,
            activation: floatPlanPeak(arch, batch),
            schedule: CPU_SCHEDULE,
            output: run,
            time: (runs) => timeRuns(run, runs),
          });
        }
      }
    } catch (err) {
      note(`ONNX Runtime node skipped: ${firstLine(err)} (npm install --save-dev onnxruntime-node onnx-proto)`);
    }
  }

  // ONNX Runtime Web (wasm execution provider), in Node, on the same ONNX bytes.
  if (onnx) {
    try {
      const { createOrtWeb } = await import('./peers/ort-web.js');
      const ortWeb = await createOrtWeb({ threads });
      const added: Engine[] = [];
      for (const arch of ARCHITECTURES) {
        const session = await ortWeb.session(onnx.get(arch)!.bytes);
        closers.push(() => session.release());
        for (const batch of BATCHES) {
          const input = inputs.get(`${arch}/${batch}`)!;
          const run = () => session.run(input);
          added.push({
            engine: '', // named below, once the first session says how many threads run
            kind: 'ort-web',
            device: 'cpu',
            description: '',
            model: arch,
            mode: 'float',
            batch,
            weightBytes: onnx.get(arch)!.weightBytes,
            activation: floatPlanPeak(arch, batch),
            schedule: CPU_SCHEDULE,
            output: run,
            time: (runs) => timeRuns(run, runs),
          });
        }
      }
      note(ortWeb.description);
      const threaded = /threaded build, numThreads/.test(ortWeb.description) && !/\(0 pthread/.test(ortWeb.description);
      for (const e of added) {
        e.engine = `ONNX Runtime Web, wasm EP, ${threaded ? `${ortWeb.threads} threads` : '1 thread'}`;
        e.description = ortWeb.description;
      }
      engines.push(...added);
    } catch (err) {
      note(`ONNX Runtime Web skipped: ${firstLine(err)} (npm install --save-dev onnxruntime-web onnx-proto)`);
    }
  }

  // TF.js wasm, as it runs in Node: its own thread policy.
  try {
    const { createTfjsWasm } = await import('./peers/tfjs.js');
    const tfjs = await createTfjsWasm({ threads });
    note(`${tfjs.description}${tfjs.multithread ? '' : ' (TF.js has no threads in Node: WASM_HAS_MULTITHREAD_SUPPORT is false there)'}`);
    for (const arch of ARCHITECTURES) {
      const network = tfjs.build(models.get(`${arch}-float`)!);
      closers.push(() => network.dispose());
      for (const batch of BATCHES) {
        const prepared = network.prepare(inputs.get(`${arch}/${batch}`)!);
        const e: Engine = {
          engine: `TF.js wasm, ${tfjs.threads} thread${tfjs.threads === 1 ? '' : 's'}`,
          kind: 'tfjs-wasm',
          device: 'cpu',
          description: tfjs.description,
          model: arch,
          mode: 'float',
          batch,
          weightBytes: network.weightBytes,
          activation: undefined,
          schedule: CPU_SCHEDULE,
          output: async () => {
            const { outputs, peakActivationBytes } = await network.runMeasured(prepared);
            e.activation = { bytes: peakActivationBytes, how: 'tf.memory' };
            return outputs[0]!;
          },
          time: (runs) => timeRuns(async () => network.run(prepared), runs),
        };
        engines.push(e);
      }
    }
  } catch (err) {
    note(`TF.js wasm skipped: ${firstLine(err)} (npm install --save-dev @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm)`);
  }

  // TF.js wasm with its threaded build forced on, in a child process.
  if (threads > 1) {
    const child = fork(process.argv[1]!, ['--tfjs-child'], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    closers.push(() => child.connected && child.disconnect());
    const call = childClient(child, 'TF.js child');
    try {
      const description = (await call({ op: 'start', threads })).engines!['tfjs']!.description!;
      note(description);
      for (const arch of ARCHITECTURES) {
        for (const batch of BATCHES) {
          const key = `${arch}/${batch}`;
          const input = inputs.get(key)!;
          const { weightBytes } = await call({ op: 'build', key, model: `${arch}-float`, input: input.data, shape: [...input.shape] });
          const e: Engine = {
            engine: `TF.js wasm, ${threads} threads forced`,
            kind: 'tfjs-wasm-threads',
            device: 'cpu',
            description,
            model: arch,
            mode: 'float',
            batch,
            weightBytes: weightBytes!,
            activation: undefined,
            schedule: CPU_SCHEDULE,
            output: async () => {
              const reply = await call({ op: 'output', key });
              e.activation = { bytes: reply.activationBytes!, how: 'tf.memory' };
              return reply.data!;
            },
            time: async (runs) => (await call({ op: 'time', key, runs })).times!,
          };
          engines.push(e);
        }
      }
    } catch (err) {
      note(`TF.js wasm with threads forced skipped: ${firstLine(err)}`);
    }
  }
  return engines;
}

/** The WebGPU rows, in the GPU child; `finish` ends it. */
async function gpuEngines(inputs: Map<string, Tensor<Float32Array>>): Promise<{ engines: Engine[]; finish: () => Promise<void> }> {
  const child = fork(process.argv[1]!, ['--gpu-child'], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const call = childClient(child, 'GPU child');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const finish = async () => {
    if (child.connected) {
      await call({ op: 'close' }).catch(() => undefined);
      child.disconnect();
    }
    await exited;
  };
  const engines: Engine[] = [];
  let started: ChildReplyBody['engines'];
  try {
    started = (await call({ op: 'start', threads })).engines!;
  } catch (err) {
    note(`WebGPU rows skipped: ${firstLine(err)}`);
    return { engines, finish };
  }
  const xnornet = started['xnornet']!.description!;
  note(xnornet);
  const tfjs = started['tfjs']!;
  if (tfjs.error) note(`TF.js WebGPU skipped: ${tfjs.error.split('\n')[0]}`);
  else note(tfjs.description!);

  const add = async (engine: 'xnornet' | 'tfjs', arch: Arch, mode: Mode, batch: number) => {
    const key = `${engine}/${arch}-${mode}/${batch}`;
    const input = inputs.get(`${arch}/${batch}`)!;
    const built = await call({ op: 'build', key, engine, model: `${arch}-${mode}`, input: input.data, shape: [...input.shape] });
    const e: Engine = {
      engine: engine === 'xnornet' ? 'xnornet webgpu' : 'TF.js webgpu',
      kind: engine === 'xnornet' ? 'xnornet-webgpu' : 'tfjs-webgpu',
      device: 'webgpu',
      description: engine === 'xnornet' ? xnornet : tfjs.description!,
      model: arch,
      mode,
      batch,
      weightBytes: built.weightBytes!,
      activation: built.activationBytes === undefined ? undefined : { bytes: built.activationBytes, how: 'pool' },
      schedule: arch === 'resnet18' ? GPU_RESNET_SCHEDULE : CPU_SCHEDULE,
      output: async () => {
        const reply = await call({ op: 'output', key });
        if (reply.activationBytes !== undefined) e.activation = { bytes: reply.activationBytes, how: 'tf.memory' };
        return reply.data!;
      },
      time: async (runs) => (await call({ op: 'time', key, runs })).times!,
    };
    engines.push(e);
  };
  for (const arch of ARCHITECTURES) {
    for (const batch of GPU_BATCHES[arch]) {
      try {
        for (const mode of ['float', 'xnor'] as const) await add('xnornet', arch, mode, batch);
      } catch (err) {
        note(`xnornet WebGPU ${arch} batch ${batch} skipped: ${firstLine(err)}`);
      }
      if (tfjs.error) continue;
      try {
        await add('tfjs', arch, 'float', batch);
      } catch (err) {
        note(`TF.js WebGPU ${arch} batch ${batch} skipped: ${firstLine(err)}`);
      }
    }
  }
  const { arch, mode, batch } = THROUGHPUT_GOAL;
  if (ARCHITECTURES.includes(arch)) {
    try {
      await add('xnornet', arch, mode, batch);
    } catch (err) {
      note(`xnornet WebGPU ${arch}-${mode} batch ${batch} skipped: ${firstLine(err)}`);
    }
  }
  return { engines, finish };
}

interface Goal {
  /** xnornet's row and the peer's, each by kind, model, mode, batch. */
  xnornet: { kind: Kind; mode: Mode };
  peer: Kind;
  arch: Arch;
  batch: number;
  /** The speed-up it asks for (peer median / xnornet median); undefined: reported, no goal. */
  atLeast: number | undefined;
}

/**
 * The issue's comparisons, with its factors: XNOR ResNet-18 on the cpu backend faster than ONNX
 * Runtime's native float one and >= 3x faster than TF.js WASM's and ONNX Runtime Web's; float
 * ResNet-18 at least as fast as TF.js WASM's; XNOR LeNet-5 at batch 1 at least as fast as TF.js
 * WASM's float one; on WebGPU XNOR ResNet-18 >= 10x faster than TF.js WebGPU's float one.
 */
function goals(): Goal[] {
  const both = (g: Omit<Goal, 'batch'>): Goal[] => BATCHES.map((batch) => ({ ...g, batch }));
  const xnorCpu = { kind: 'xnornet-cpu', mode: 'xnor' } as const;
  const floatCpu = { kind: 'xnornet-cpu', mode: 'float' } as const;
  return [
    ...both({ xnornet: xnorCpu, peer: 'ort-node', arch: 'resnet18', atLeast: 1 }),
    ...both({ xnornet: xnorCpu, peer: 'tfjs-wasm', arch: 'resnet18', atLeast: 3 }),
    ...both({ xnornet: xnorCpu, peer: 'tfjs-wasm-threads', arch: 'resnet18', atLeast: 3 }),
    ...both({ xnornet: xnorCpu, peer: 'ort-web', arch: 'resnet18', atLeast: 3 }),
    ...both({ xnornet: floatCpu, peer: 'tfjs-wasm', arch: 'resnet18', atLeast: 1 }),
    ...both({ xnornet: floatCpu, peer: 'tfjs-wasm-threads', arch: 'resnet18', atLeast: 1 }),
    { xnornet: xnorCpu, peer: 'tfjs-wasm', arch: 'lenet5', batch: 1, atLeast: 1 },
    { xnornet: xnorCpu, peer: 'tfjs-wasm-threads', arch: 'lenet5', batch: 1, atLeast: 1 },
    { xnornet: { kind: 'xnornet-webgpu', mode: 'xnor' }, peer: 'tfjs-webgpu', arch: 'resnet18', batch: 1, atLeast: 10 },
    // Reported, no goal.
    ...both({ xnornet: floatCpu, peer: 'ort-node', arch: 'resnet18', atLeast: undefined }),
    ...both({ xnornet: floatCpu, peer: 'ort-web', arch: 'resnet18', atLeast: undefined }),
    { xnornet: { kind: 'xnornet-webgpu', mode: 'float' }, peer: 'tfjs-webgpu', arch: 'resnet18', batch: 1, atLeast: undefined },
    ...both({ xnornet: { kind: 'xnornet-webgpu', mode: 'xnor' }, peer: 'tfjs-webgpu', arch: 'lenet5', atLeast: undefined }),
  ];
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} logical cores`;
  process.stderr.write(`bench:peers on ${machine}; ${threads} thread(s) per CPU engine\n`);

  const models = new Map<string, Model>();
  for (const arch of ARCHITECTURES) for (const mode of ['float', 'xnor']) models.set(`${arch}-${mode}`, loadZooModel(`${arch}-${mode}`));

  // One seeded batch per architecture; a smaller batch is its first samples, so one reference
  // run (each sample's outputs depend on that sample only) gives the outputs of every batch size.
  const inputs = new Map<string, Tensor<Float32Array>>();
  const references = new Map<string, Tensor<Float32Array>>();
  for (const arch of ARCHITECTURES) {
    const largest = Math.max(...ALL_BATCHES[arch]);
    const input = seededInput(models.get(`${arch}-float`)!, largest);
    for (const batch of ALL_BATCHES[arch]) inputs.set(`${arch}/${batch}`, firstSamples(input, batch));
    for (const mode of ['float', 'xnor']) {
      const model = models.get(`${arch}-${mode}`)!;
      const started = performance.now();
      const reference = runReference(model.graph, model.weights, input).get(model.graph.outputs[0]!)!;
      for (const batch of ALL_BATCHES[arch]) references.set(`${arch}-${mode}/${batch}`, firstSamples(reference, batch));
      process.stderr.write(`  reference ${arch}-${mode}, batch ${largest}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
  }

  // The CPU rows, with no WebGPU device anywhere.
  const closers: (() => unknown)[] = [];
  const cpuRows = await measure(await cpuEngines(models, inputs, closers), references, 'CPU');
  await Promise.all(closers.map((close) => Promise.resolve(close()).catch(() => undefined)));
  const cpuSeconds = (performance.now() - startedAt) / 1000;

  // The WebGPU rows, in the one process that holds the device.
  let gpuRows: Row[] = [];
  if (!values['skip-gpu']) {
    const gpu = await gpuEngines(inputs);
    try {
      gpuRows = await measure(gpu.engines, references, 'WebGPU');
    } finally {
      await gpu.finish();
    }
  }
  const seconds = (performance.now() - startedAt) / 1000;

  const order = (r: Row) => (r.device === 'cpu' ? 0 : 1);
  const rows = [...cpuRows, ...gpuRows].sort(
    (a, b) => order(a) - order(b) || ARCHITECTURES.indexOf(a.model) - ARCHITECTURES.indexOf(b.model) || a.batch - b.batch,
  );

  const schedule = (s: Schedule) =>
    `${s.warmUp} warm-up run(s) after the check run, then ${s.rounds} interleaved rounds x ${s.runsPerRound} run(s)`;
  console.log(`${machine}; ${threads} thread(s) per CPU engine`);
  console.log(
    `CPU rows and LeNet-5 on WebGPU: ${schedule(CPU_SCHEDULE)}; ResNet-18 on WebGPU (batch 1 only): ${schedule(GPU_RESNET_SCHEDULE)}`,
  );
  console.log(`run time: ${seconds.toFixed(0)} s (CPU rows and references ${cpuSeconds.toFixed(0)} s)\n`);
  for (const line of notes) console.log(`- ${line}`);
  console.log('');
  const name = (model: Arch) => (model === 'lenet5' ? 'LeNet-5' : 'ResNet-18');
  const ms = (v: number) => v.toFixed(v < 10 ? 2 : 1);
  console.log(
    markdownTable(
      ['engine', 'model', 'batch', 'runs', 'median ms', 'p90 ms', 'images/s', 'weights', 'peak activations', 'checked max \\|diff\\|'],
      rows.map((r) => [
        r.engine,
        `${name(r.model)} ${r.mode}`,
        r.batch,
        r.runs,
        ms(r.medianMs),
        ms(r.p90Ms),
        r.imagesPerSecond.toFixed(r.imagesPerSecond < 100 ? 1 : 0),
        formatBytes(r.weightBytes),
        r.activationBytes === undefined ? '?' : `${formatBytes(r.activationBytes)} (${r.activationHow})`,
        `${r.check.maxAbsDiff.toExponential(1)} (max \\|ref\\| ${r.check.maxAbsReference.toPrecision(3)})`,
      ]),
    ),
  );
  console.log(
    "\nPeak activations: (pool) the WebGPU executor's buffers; (all values) what the cpu executor allocates, every value of its plan; " +
      "(tf.memory) TF.js's own count of tensor bytes after each step of a run, input included; (estimate) the float network's plan, " +
      'each value alive from its write to its last read (bench/peers/memory.ts). Weights: xnornet float32 or packed (src/model/costs.ts), ' +
      "ONNX Runtime the model's initializers, TF.js its tensors (batchnorms folded).",
  );

  // The issue's goals: the peer's median time / xnornet's (above 1x: xnornet is faster).
  const find = (kind: Kind, model: Arch, mode: Mode, batch: number) =>
    rows.find((r) => r.kind === kind && r.model === model && r.mode === mode && r.batch === batch);
  const engineName = (kind: Kind) => rows.find((r) => r.kind === kind)?.engine ?? kind;
  const goalRows = goals()
    .filter((g) => ARCHITECTURES.includes(g.arch))
    .map((g) => {
      const a = find(g.xnornet.kind, g.arch, g.xnornet.mode, g.batch);
      const b = find(g.peer, g.arch, 'float', g.batch);
      const ratio = a && b ? b.medianMs / a.medianMs : undefined;
      const result = ratio === undefined ? 'NOT RUN' : g.atLeast === undefined ? '-' : ratio >= g.atLeast ? 'PASS' : 'MISS';
      return {
        xnornet: `${g.xnornet.mode === 'xnor' ? 'XNOR' : 'float'} ${name(g.arch)}, ${engineName(g.xnornet.kind)}`,
        peer: `float ${name(g.arch)}, ${engineName(g.peer)}`,
        batch: g.batch,
        xnornetMs: a?.medianMs,
        peerMs: b?.medianMs,
        ratio,
        atLeast: g.atLeast,
        result,
      };
    });
  console.log("\nThe issue's comparisons, within this run: the peer's median / xnornet's (above 1x: xnornet is faster)\n");
  console.log(
    markdownTable(
      ['xnornet', 'peer', 'batch', 'xnornet median ms', 'peer median ms', 'speed-up', 'goal', 'result'],
      goalRows.map((g) => [
        g.xnornet,
        g.peer,
        g.batch,
        g.xnornetMs === undefined ? '-' : ms(g.xnornetMs),
        g.peerMs === undefined ? '-' : ms(g.peerMs),
        g.ratio === undefined ? '-' : `${g.ratio.toFixed(2)}x`,
        g.atLeast === undefined ? '-' : `>= ${g.atLeast}x`,
        g.result,
      ]),
    ),
  );

  const t = THROUGHPUT_GOAL;
  const throughputRow = find('xnornet-webgpu', t.arch, t.mode, t.batch);
  const throughput = {
    goal: `XNOR ${name(t.arch)}, xnornet webgpu, batch ${t.batch}: >= ${t.imagesPerSecond} images/s`,
    imagesPerSecond: throughputRow?.imagesPerSecond,
    result: throughputRow === undefined ? 'NOT RUN' : throughputRow.imagesPerSecond >= t.imagesPerSecond ? 'PASS' : 'MISS',
  };
  console.log(
    `\n${throughput.goal}: ${throughput.imagesPerSecond === undefined ? '-' : throughput.imagesPerSecond.toFixed(0)} images/s, ${throughput.result}`,
  );

  if (values.json)
    writeFileSync(
      values.json,
      `${JSON.stringify({ machine, threads, cpuSchedule: CPU_SCHEDULE, gpuResnetSchedule: GPU_RESNET_SCHEDULE, seconds, notes, rows, goals: goalRows, throughput }, null, 2)}\n`,
    );
}

if (values['tfjs-child']) serveTfjsChild();
else if (values['gpu-child']) (await import('./peers/gpu-child.js')).serveGpuChild();
else {
  await main();
  process.exit(0);
}
