/**
 * Training on WebGPU: the WGSL GEMM against the cpu backend's on every transpose and edge
 * shape, and the WebGPU and CPU trainers giving the same weights after the same steps.
 */
import { describe, expect, it } from 'vitest';
import { createGemm } from '../src/backends/cpu/gemm.js';
import { createGpuGemm } from '../src/backends/webgpu/gemm.js';
import { subset } from '../src/train/data/dataset.js';
import { loadFashionMnist } from '../src/train/data/fashion-mnist.js';
import { TrainingSession } from '../src/train/session.js';
import { createRng } from '../src/util/random.js';
import { loadZooModel } from '../src/zoo/index.js';
import { gpuForSuite } from './helpers/gpu.js';

const ctx = await gpuForSuite('training on WebGPU');

function random(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.uniform(-1, 1));
}

describe.skipIf(!ctx)('the WGSL GEMM', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [17, 33, 5],
    [20, 300, 25],
    [50, 64, 500],
  ];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`m ${m} n ${n} k ${k}${transA ? ' A^T' : ''}${transB ? ' B^T' : ''}, and accumulating`, async () => {
          const [gpu, cpu] = [createGpuGemm(ctx!), await createGemm()];
          const a = random(1, m * k);
          const b = random(2, k * n);
          for (const accumulate of [false, true]) {
            const c0 = random(3, m * n);
            const [c1, c2] = [c0.slice(), c0.slice()];
            await gpu.run(a, b, c1, { m, n, k, transA, transB, accumulate });
            cpu.run(a, b, c2, { m, n, k, transA, transB, accumulate });
            for (let i = 0; i < c1.length; i++) expect(Math.abs(c1[i]! - c2[i]!), `element ${i}`).toBeLessThan(1e-5 * (1 + Math.sqrt(k)));
          }
        });
      }
    }
  }

  it('rejects operands of the wrong shape before anything runs', async () => {
    await expect(
      createGpuGemm(ctx!).run(new Float32Array(5), new Float32Array(6), new Float32Array(4), { m: 2, n: 2, k: 3 }),
    ).rejects.toThrow('gemm: A has 5 floats, expected 6 (m 2, n 2, k 3)');
  });
});

describe.skipIf(!ctx)('the WebGPU and CPU trainers', () => {
  const data = loadFashionMnist();
  const train = {
    train: subset(
      data.train,
      Array.from({ length: 64 }, (_, i) => i * 101),
    ),
    test: undefined,
  };
  for (const mode of ['float', 'bwn', 'xnor'] as const) {
    it(`give the same LeNet-5 ${mode} weights after the same steps`, async () => {
      const sessions = await Promise.all(
        (['cpu', 'webgpu'] as const).map((backend) =>
          TrainingSession.create({
            model: loadZooModel(`lenet5-${mode}`),
            initialise: true,
            backend,
            gpu: ctx!,
            optimizer: { name: 'adam', momentum: 0, weightDecay: 0, clip: true },
            options: {
              epochs: 1,
              batch: 32,
              lr: 1e-3,
              schedule: { name: 'constant', stepSize: 1, gamma: 1 },
              seed: 3,
              shuffle: true,
              augment: 'none',
            },
            describe: { name: 'agree', labels: data.train.classNames!, preprocess: { scale: 1 / 255, mean: [0.286], std: [0.353] } },
          }),
        ),
      );
      const losses = await Promise.all(
        sessions.map(async (s) => {
          const seen: number[] = [];
          await s.train(train, { onBatch: (p) => void seen.push(p.loss) });
          return seen;
        }),
      );
      expect(sessions[1]!.description).toMatch(/^WebGPU on /);
      for (let b = 0; b < 2; b++) expect(losses[1]![b]).toBeCloseTo(losses[0]![b]!, 4);
      const [cpu, gpu] = sessions.map((s) => s.checkpoint().tensors);
      for (const [name, tensor] of cpu!) {
        const other = gpu!.get(name)!.data;
        let [worst, largest] = [0, 0];
        for (let i = 0; i < tensor.data.length; i++) {
          worst = Math.max(worst, Math.abs(tensor.data[i]! - other[i]!));
          largest = Math.max(largest, Math.abs(tensor.data[i]!));
        }
        // Two Adam steps move a weight by up to 2e-3; the backends differ by float rounding.
        expect(worst, `${mode} ${name}`).toBeLessThan(1e-4 * (1 + largest));
      }
    }, 120_000);
  }
});
