/** Runs in the benchmark page: times a model on one backend in the browser. */
import { type Backend, createRunner } from '../../src/runner/runner.js';
import { loadModel } from '../../src/runner/load.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { createRng } from '../../src/util/random.js';

export interface PageTiming {
  description: string;
  isolated: boolean;
  medianMs: number;
}

/** Median milliseconds per run of `runs` runs after a warm-up run, on a random batch; `url` may name a zoo model (zoo:NAME). */
export async function timeModel(url: string, backend: Backend, threads: number, batch: number, runs: number): Promise<PageTiming> {
  const model = await loadModel(url.startsWith('zoo:') ? url : new URL(url, location.href));
  const runner = await createRunner(model, backend, backend === 'cpu' ? { threads } : {});
  try {
    const rng = createRng(5);
    const input = Tensor.zeros([batch, ...model.graph.inputShape]);
    for (let i = 0; i < input.size; i++) input.data[i] = rng.normal();
    await runner.run(input);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      await runner.run(input);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { description: runner.description, isolated: crossOriginIsolated, medianMs: times[Math.floor(runs / 2)]! };
  } finally {
    runner.close();
  }
}

Object.assign(globalThis, { timeModel });
