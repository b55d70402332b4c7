/** `xnornet profile <model>`: the time of every step of a backend's plan, and where it adds up. */
import { loadModel } from '../../runner/load.js';
import { profileModel } from '../../runner/profile.js';
import { formatShape } from '../../tensor/tensor.js';
import { UsageError, parseCommand, positiveInt, runOptions } from '../args.js';
import type { Io } from '../io.js';
import { markdownTable } from '../table.js';

export const usage = `xnornet profile <model.json | zoo:NAME> [--backend cpu|webgpu] [--threads T] [--batch N] [--runs R] [--json]

Times each step of the model's plan on one backend (default webgpu) over R runs (default 10)
of a batch of N (default 1): the nodes each step computes with their ops, the shape it
writes, the median time and its share; then the time by kind of step, and the sum of the
steps next to a normal run's time. WebGPU uses GPU timestamps where the adapter has them.`;

export async function profile(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      backend: { type: 'string' },
      threads: { type: 'string' },
      batch: { type: 'string' },
      runs: { type: 'string' },
      json: { type: 'boolean' },
    },
    ['<model>'],
  );
  const { backend, options } = runOptions(values, io.error);
  if (backend === 'reference') throw new UsageError('--backend must be cpu or webgpu (the reference is not tuned for speed)');
  const model = await loadModel(positionals[0]!);
  const result = await profileModel(model, backend, {
    batch: positiveInt(values.batch, 1, '--batch'),
    runs: positiveInt(values.runs, 10, '--runs'),
    ...(options.threads !== undefined && { threads: options.threads }),
  });
  if (values.json) {
    io.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const total = result.steps.reduce((s, step) => s + step.ms, 0);
  const share = (ms: number) => `${((100 * ms) / total).toFixed(1)}%`;
  io.log(`${result.model} on ${result.backend}, batch ${result.batch}, median of ${result.runs} runs (${result.timing})`);
  io.log(
    markdownTable(
      ['#', 'step', 'computes', 'output', 'ms', 'share'],
      result.steps.map((s, i) => [i, s.kind, s.what, formatShape(s.output), s.ms.toFixed(3), share(s.ms)]),
    ),
  );
  const byKind = new Map<string, { ms: number; count: number }>();
  for (const s of result.steps) {
    const k = byKind.get(s.kind) ?? { ms: 0, count: 0 };
    byKind.set(s.kind, { ms: k.ms + s.ms, count: k.count + 1 });
  }
  const kinds = [...byKind].sort(([, a], [, b]) => b.ms - a.ms);
  io.log(
    markdownTable(
      ['step kind', 'steps', 'ms', 'share'],
      kinds.map(([kind, k]) => [kind, k.count, k.ms.toFixed(3), share(k.ms)]),
    ),
  );
  io.log(
    `sum of the steps ${total.toFixed(2)} ms; a normal run ${result.runMs.toFixed(2)} ms` +
      (result.timing === 'GPU timestamps' ? ' (GPU timestamps leave out the host and the gaps between passes)' : ''),
  );
  return 0;
}
