/**
 * `npm run bench:peers`: the zoo's LeNet-5 and ResNet-18 (224x224) on the float CPU engines
 * people already use, with the same weights, next to xnornet's cpu backend on the float and
 * the XNOR version of each architecture, in interleaved rounds, all in this process (but for
 * TF.js with threads forced, in a child process that this one drives, round by round).
 *   --quick        fewer rounds and runs (2 x 2 per row instead of 5 x 4)
 *   --json FILE    rows {engine, description, model, mode, batch, runs, medianMs, p90Ms,
 *                  imagesPerSecond, check: {maxAbsDiff, maxAbsReference, tolerance,
 *                  sameArgmax, samples, passed}}
 *   --threads N    threads for every engine (default 2)
 * Peers (devDependencies; one that is not installed is skipped with a note):
 *   - ONNX Runtime for Node, CPU execution provider, intraOpNumThreads = N: the model exported
 *     to ONNX by bench/peers/onnx-export.ts;
 *   - TF.js on its wasm backend (XNNPACK), built from the same tensors by bench/peers/tfjs.ts:
 *     as TF.js runs in Node (threads off there, and capped at cores / 2), and, in a child
 *     process, with its threaded-SIMD build forced on at N threads.
 * Before a row is timed its outputs are compared with xnornet's float reference
 * (src/backends/reference.ts) on the same seeded input: max |diff| <= 1e-4 * (1 + max |ref|)
 * over the logits and the same argmax for every sample; a row that fails is not timed. The
 * XNOR rows are the same architecture with binary weights (zoo `*-xnor`), checked against the
 * reference of that model. Times: per run, after warm-up, from interleaved rounds (each round
 * times every row a few runs); median and p90 of all runs. No WebGPU device is created.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { markdownTable } from '../src/cli/table.js';
import { runReference } from '../src/backends/reference.js';
import type { Model } from '../src/model/model.js';
import { agreement } from '../src/runner/compare.js';
import { createRunner } from '../src/runner/runner.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createRng } from '../src/util/random.js';
import { loadZooModel } from '../src/zoo/index.js';
import type { TfjsNetwork, TfjsWasm } from './peers/tfjs.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    json: { type: 'string' },
    threads: { type: 'string' },
    'tfjs-child': { type: 'boolean' },
  },
});
const threads = Number(values.threads ?? 2);
const ROUNDS = values.quick ? 2 : 5;
const RUNS_PER_ROUND = values.quick ? 2 : 4;
const WARM_UP_RUNS = values.quick ? 1 : 3;
const ARCHITECTURES = ['lenet5', 'resnet18'] as const;
const BATCHES = [1, 8] as const;
/**
 * Relative tolerance of the output check. Float32 engines agree with the reference to about
 * 1e-6 of max |ref| on these networks; 1e-3 let through a wrong bias (TF.js wasm's fused
 * matMul with transposeB, 0.37 off on ResNet-18 logits of 458).
 */
const TOLERANCE = 1e-4;

type Arch = (typeof ARCHITECTURES)[number];

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

async function timeRuns(run: () => Promise<unknown>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times;
}

// ---------------------------------------------------------------------------------------------
// The child process: TF.js with its threaded build forced on (TF.js allows one wasm module per
// process, so the 1-thread build of the parent and this one cannot share a process).

type ChildRequest =
  | { id: number; op: 'start'; threads: number }
  | { id: number; op: 'build'; key: string; model: string; input: Float32Array; shape: number[] }
  | { id: number; op: 'output'; key: string }
  | { id: number; op: 'time'; key: string; runs: number };
/** A request without its id (each member of the union on its own). */
type ChildRequestBody = ChildRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
type ChildReply = { id: number; error?: string; description?: string; data?: Float32Array; times?: number[] };

async function serveChild(): Promise<void> {
  let tfjs: TfjsWasm | undefined;
  const built = new Map<string, TfjsNetwork>();
  const networks = new Map<string, { network: TfjsNetwork; prepared: ReturnType<TfjsNetwork['prepare']> }>();
  const entry = (key: string) => networks.get(key) ?? fail(`no network "${key}"`);
  const fail = (message: string): never => {
    throw new Error(message);
  };
  process.on('message', (request: ChildRequest) => {
    void (async (): Promise<ChildReply> => {
      switch (request.op) {
        case 'start': {
          const { createTfjsWasm } = await import('./peers/tfjs.js');
          tfjs = await createTfjsWasm({ threads: request.threads, forceNodeThreads: true });
          return { id: request.id, description: tfjs.description };
        }
        case 'build': {
          const network = built.get(request.model) ?? (tfjs ?? fail('not started')).build(loadZooModel(request.model));
          built.set(request.model, network);
          networks.set(request.key, { network, prepared: network.prepare(new Tensor(request.input, request.shape)) });
          return { id: request.id };
        }
        case 'output': {
          const { network, prepared } = entry(request.key);
          return { id: request.id, data: (await network.run(prepared))[0]! };
        }
        case 'time': {
          const { network, prepared } = entry(request.key);
          return { id: request.id, times: await timeRuns(() => network.run(prepared), request.runs) };
        }
      }
    })()
      .catch((err: unknown) => ({ id: request.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
      .then((reply) => process.send!(reply));
  });
  process.on('disconnect', () => process.exit(0));
}

/** The parent's side: requests to the child, answered in order of their ids. */
function childClient(child: ChildProcess) {
  let next = 0;
  const pending = new Map<number, { resolve: (r: ChildReply) => void; reject: (e: Error) => void }>();
  child.on('message', (reply: ChildReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) p?.reject(new Error(`TF.js child: ${reply.error}`));
    else p?.resolve(reply);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`TF.js child exited with code ${code}`));
    pending.clear();
  });
  return (request: ChildRequestBody): Promise<ChildReply> =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      child.send({ ...request, id });
    });
}

// ---------------------------------------------------------------------------------------------

interface Engine {
  /** Short name in the table. */
  engine: string;
  /** What ran, in full. */
  description: string;
  model: Arch;
  mode: 'float' | 'xnor';
  batch: number;
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
  description: string;
  model: Arch;
  mode: 'float' | 'xnor';
  batch: number;
  runs: number;
  medianMs: number;
  p90Ms: number;
  imagesPerSecond: number;
  check: Check;
}

const notes: string[] = [];
const note = (line: string) => {
  notes.push(line);
  process.stderr.write(`  ${line}\n`);
};

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

async function main(): Promise<void> {
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} logical cores`;
  process.stderr.write(`bench:peers on ${machine}; ${threads} thread(s) per engine\n`);

  const models = new Map<string, Model>();
  for (const arch of ARCHITECTURES) for (const mode of ['float', 'xnor']) models.set(`${arch}-${mode}`, loadZooModel(`${arch}-${mode}`));

  // One seeded batch per architecture; a smaller batch is its first samples, so one reference
  // run (each sample's outputs depend on that sample only) gives the outputs of every batch size.
  const inputs = new Map<string, Tensor<Float32Array>>();
  const references = new Map<string, Tensor<Float32Array>>();
  const largest = Math.max(...BATCHES);
  for (const arch of ARCHITECTURES) {
    const input = seededInput(models.get(`${arch}-float`)!, largest);
    for (const batch of BATCHES) inputs.set(`${arch}/${batch}`, firstSamples(input, batch));
    for (const mode of ['float', 'xnor']) {
      const model = models.get(`${arch}-${mode}`)!;
      const started = performance.now();
      const reference = runReference(model.graph, model.weights, input).get(model.graph.outputs[0]!)!;
      for (const batch of BATCHES) references.set(`${arch}-${mode}/${batch}`, firstSamples(reference, batch));
      process.stderr.write(`  reference ${arch}-${mode}, batch ${largest}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
  }

  const engines: Engine[] = [];
  const closers: (() => void)[] = [];

  // xnornet's cpu backend, float and XNOR.
  for (const arch of ARCHITECTURES) {
    for (const mode of ['float', 'xnor'] as const) {
      const runner = await createRunner(models.get(`${arch}-${mode}`)!, 'cpu', { threads });
      closers.push(() => runner.close());
      if (engines.length === 0) note(`xnornet ${runner.description}`);
      for (const batch of BATCHES) {
        const input = inputs.get(`${arch}/${batch}`)!;
        const run = async () => (await runner.run(input)).values().next().value!.data;
        engines.push({
          engine: `xnornet cpu, ${threads} threads`,
          description: `xnornet ${runner.description}`,
          model: arch,
          mode,
          batch,
          output: run,
          time: (runs) => timeRuns(run, runs),
        });
      }
    }
  }

  // ONNX Runtime (Node, CPU execution provider).
  try {
    const ort = await import('onnxruntime-node');
    const { exportOnnx, ONNX_OPSET } = await import('./peers/onnx-export.js');
    const description = `ONNX Runtime node ${ort.env.versions.node ?? '?'} (onnxruntime-common ${ort.env.versions.common}), CPU execution provider, intraOpNumThreads ${threads}, graph optimizations all, ONNX opset ${ONNX_OPSET}`;
    note(description);
    for (const arch of ARCHITECTURES) {
      const model = models.get(`${arch}-float`)!;
      const session = await ort.InferenceSession.create(exportOnnx(model), {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      closers.push(() => void session.release());
      const [inputName] = session.inputNames;
      const [outputName] = session.outputNames;
      for (const batch of BATCHES) {
        const input = inputs.get(`${arch}/${batch}`)!;
        const feeds = { [inputName!]: new ort.Tensor('float32', input.data, [...input.shape]) };
        const run = async () => (await session.run(feeds))[outputName!]!.data as Float32Array;
        engines.push({
          engine: `ONNX Runtime node, CPU EP, ${threads} threads`,
          description,
          model: arch,
          mode: 'float',
          batch,
          output: run,
          time: (runs) => timeRuns(run, runs),
        });
      }
    }
  } catch (err) {
    note(`ONNX Runtime skipped: ${(err as Error).message} (npm install --save-dev onnxruntime-node onnx-proto)`);
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
        const run = async () => (await network.run(prepared))[0]!;
        engines.push({
          engine: `TF.js wasm, ${tfjs.threads} thread${tfjs.threads === 1 ? '' : 's'}`,
          description: tfjs.description,
          model: arch,
          mode: 'float',
          batch,
          output: run,
          time: (runs) => timeRuns(run, runs),
        });
      }
    }
  } catch (err) {
    note(`TF.js wasm skipped: ${(err as Error).message} (npm install --save-dev @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm)`);
  }

  // TF.js wasm with its threaded build forced on, in a child process.
  if (threads > 1) {
    const child = fork(process.argv[1]!, ['--tfjs-child'], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    closers.push(() => child.connected && child.disconnect());
    const call = childClient(child);
    try {
      const { description } = await call({ op: 'start', threads });
      note(description!);
      for (const arch of ARCHITECTURES) {
        for (const batch of BATCHES) {
          const key = `${arch}/${batch}`;
          const input = inputs.get(key)!;
          await call({ op: 'build', key, model: `${arch}-float`, input: input.data, shape: [...input.shape] });
          engines.push({
            engine: `TF.js wasm, ${threads} threads forced`,
            description: description!,
            model: arch,
            mode: 'float',
            batch,
            output: async () => (await call({ op: 'output', key })).data!,
            time: async (runs) => (await call({ op: 'time', key, runs })).times!,
          });
        }
      }
    } catch (err) {
      note(`TF.js wasm with threads forced skipped: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  // Check every row against the reference, then warm up the ones that passed.
  const checks = new Map<Engine, Check>();
  for (const e of engines) {
    const c = check(references.get(`${e.model}-${e.mode}/${e.batch}`)!, await e.output());
    checks.set(e, c);
    const line = `${e.engine} ${e.model}-${e.mode} batch ${e.batch}: max |diff| ${c.maxAbsDiff.toExponential(2)} (tolerance ${c.tolerance.toExponential(2)}), argmax ${c.sameArgmax}/${c.samples}`;
    if (c.passed) process.stderr.write(`  checked ${line}\n`);
    else note(`FAILED, not timed: ${line}`);
  }
  const timed = engines.filter((e) => checks.get(e)!.passed);
  for (const e of timed) await e.time(WARM_UP_RUNS);

  const samples = new Map<Engine, number[]>(timed.map((e) => [e, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const e of timed) samples.get(e)!.push(...(await e.time(RUNS_PER_ROUND)));
    process.stderr.write(`  round ${round + 1}/${ROUNDS} done\n`);
  }
  closers.forEach((close) => close());

  const rows: Row[] = timed.map((e) => {
    const sorted = [...samples.get(e)!].sort((a, b) => a - b);
    const medianMs = quantile(sorted, 0.5);
    return {
      engine: e.engine,
      description: e.description,
      model: e.model,
      mode: e.mode,
      batch: e.batch,
      runs: sorted.length,
      medianMs,
      p90Ms: quantile(sorted, 0.9),
      imagesPerSecond: (1000 * e.batch) / medianMs,
      check: checks.get(e)!,
    };
  });
  rows.sort((a, b) => ARCHITECTURES.indexOf(a.model) - ARCHITECTURES.indexOf(b.model) || a.batch - b.batch);

  console.log(`${machine}; ${threads} thread(s) per engine; ${ROUNDS} interleaved rounds x ${RUNS_PER_ROUND} runs per row\n`);
  for (const line of notes) console.log(`- ${line}`);
  console.log('');
  const name = (model: Arch) => (model === 'lenet5' ? 'LeNet-5' : 'ResNet-18');
  const ms = (v: number) => v.toFixed(v < 10 ? 2 : 1);
  console.log(
    markdownTable(
      ['engine', 'model', 'batch', 'median ms', 'p90 ms', 'images/s', 'checked max \\|diff\\|'],
      rows.map((r) => [
        r.engine,
        `${name(r.model)} ${r.mode}`,
        r.batch,
        ms(r.medianMs),
        ms(r.p90Ms),
        r.imagesPerSecond.toFixed(r.imagesPerSecond < 100 ? 1 : 0),
        `${r.check.maxAbsDiff.toExponential(1)} (max \\|ref\\| ${r.check.maxAbsReference.toPrecision(3)})`,
      ]),
    ),
  );

  // The ratios the issue asks for, as speed-ups: the peer's median time / xnornet's.
  const find = (engine: string | undefined, model: Arch, mode: string, batch: number) =>
    rows.find((r) => r.engine === engine && r.model === model && r.mode === mode && r.batch === batch);
  const xnornet = rows.find((r) => r.engine.startsWith('xnornet'))?.engine;
  const ortEngine = rows.find((r) => r.engine.startsWith('ONNX Runtime'))?.engine;
  const tfjsEngines = [...new Set(rows.filter((r) => r.engine.startsWith('TF.js')).map((r) => r.engine))];
  /** [xnornet's mode, architecture, the float peer] */
  const pairs: [string, Arch, string | undefined][] = [
    ['xnor', 'resnet18', ortEngine],
    ...tfjsEngines.map((t): [string, Arch, string] => ['xnor', 'resnet18', t]),
    ...tfjsEngines.map((t): [string, Arch, string] => ['float', 'resnet18', t]),
    ...tfjsEngines.map((t): [string, Arch, string] => ['xnor', 'lenet5', t]),
    ...tfjsEngines.map((t): [string, Arch, string] => ['float', 'lenet5', t]),
    ['float', 'resnet18', ortEngine],
    ['xnor', 'lenet5', ortEngine],
  ];
  const ratioRows: (string | number)[][] = [];
  for (const [mode, arch, peer] of pairs) {
    for (const batch of BATCHES) {
      const a = find(xnornet, arch, mode, batch);
      const b = find(peer, arch, 'float', batch);
      if (!a || !b) continue;
      const what = `xnornet ${mode === 'xnor' ? 'XNOR' : 'float'} ${name(arch)} vs ${peer} float ${name(arch)}`;
      ratioRows.push([what, batch, ms(a.medianMs), ms(b.medianMs), `${(b.medianMs / a.medianMs).toFixed(2)}x`]);
    }
  }
  console.log("\nSpeed-up of xnornet (the peer's median time / xnornet's; above 1x: xnornet is faster)\n");
  console.log(markdownTable(['comparison', 'batch', 'xnornet ms', 'peer ms', 'speed-up'], ratioRows));

  if (values.json)
    writeFileSync(
      values.json,
      `${JSON.stringify({ machine, threads, rounds: ROUNDS, runsPerRound: RUNS_PER_ROUND, notes, rows }, null, 2)}\n`,
    );
}

if (values['tfjs-child']) await serveChild();
else {
  await main();
  process.exit(0);
}
