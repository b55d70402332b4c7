/**
 * Training as a user runs it: `xnornet train` and `xnornet eval` (the built CLI) on a few
 * hundred Fashion-MNIST images, the run's files, same seed same model, --resume, and the
 * library's TrainingSession.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelFiles } from '../src/model/model.js';
import { readSafetensors } from '../src/model/safetensors.js';
import { loadFashionMnist } from '../src/train/data/fashion-mnist.js';
import { subset } from '../src/train/data/dataset.js';
import { TrainingSession } from '../src/train/session.js';
import { loadZooModel } from '../src/zoo/index.js';

const run = promisify(execFile);
const xnornet = (...args: string[]) => run('node', ['dist/xnornet.js', ...args], { timeout: 300_000, maxBuffer: 16 << 20 });
const tempDir = () => mkdtemp(join(tmpdir(), 'xnornet-train-'));

/** A short run's options: a few hundred images, so CI stays quick. */
const SHORT = ['--dataset', 'fashion-mnist', '--train-samples', '640', '--test-samples', '500', '--batch', '64'];

async function tensorsOf(file: string): Promise<Map<string, Float32Array | Uint32Array>> {
  const tensors = readSafetensors(new Uint8Array(await readFile(file)), file);
  return new Map([...tensors].map(([name, t]) => [name, t.data]));
}

describe('xnornet train and eval', () => {
  let dir: string;
  let stdout: string;
  let stderr: string;
  beforeAll(async () => {
    dir = await tempDir();
    ({ stdout, stderr } = await xnornet('train', '--arch', 'lenet5', '--mode', 'xnor', ...SHORT, '--epochs', '3', '-o', dir));
  }, 300_000);

  it('trains a binary LeNet-5 whose loss falls and whose accuracy is well above chance', async () => {
    const curve = JSON.parse(await readFile(join(dir, 'curve.json'), 'utf8')) as {
      epochs: { loss: number; testAccuracy: number; imagesPerSecond: number }[];
      test: { accuracy: number; samples: number };
    };
    expect(curve.epochs).toHaveLength(3);
    expect(curve.epochs[2]!.loss).toBeLessThan(curve.epochs[0]!.loss);
    expect(curve.test.samples).toBe(500);
    expect(curve.test.accuracy).toBeGreaterThan(0.5); // chance is 0.1
    expect(curve.epochs[0]!.imagesPerSecond).toBeGreaterThan(0);
    expect(stdout).toMatch(/^test accuracy: \d+\.\d\d% on 500 images$/m);
    expect(stderr).toMatch(/epoch 3\/3: loss \d/);
  });

  it('writes a packed deployable model and a float checkpoint that the inference executor runs alike', async () => {
    const model = await loadModelFiles(join(dir, 'model.json'));
    const checkpoint = await loadModelFiles(join(dir, 'checkpoint.json'));
    const packed = await tensorsOf(join(dir, 'model.safetensors'));
    expect([...packed.keys()]).toEqual(expect.arrayContaining(['conv2.weight_bits', 'conv2.alpha', 'fc1.weight_bits', 'conv1.weight']));
    expect(packed.has('conv2.weight')).toBe(false);
    const latent = await tensorsOf(join(dir, 'checkpoint.safetensors'));
    expect([...latent.keys()]).toEqual(expect.arrayContaining(['conv2.weight', 'bn2.running_mean', 'bn2.running_var', 'bn2.weight']));
    // Latent weights of binary layers are clipped to [-1, 1].
    expect(Math.max(...Array.from(latent.get('conv2.weight')!, Math.abs))).toBeLessThanOrEqual(1);
    expect(model.graph.json.labels).toContain('Ankle boot');
    expect(model.graph.json.preprocess?.mean?.[0]).toBeCloseTo(0.286, 1);
    const [a, b] = await Promise.all(
      [join(dir, 'model.json'), join(dir, 'checkpoint.json')].map(async (file) => {
        const { stdout: out } = await xnornet('eval', file, '--dataset', 'fashion-mnist', '--backend', 'cpu', '--json');
        return JSON.parse(out) as { accuracy: number; samples: number; confusion: number[][] };
      }),
    );
    expect(a!.samples).toBe(10_000);
    expect(a!.accuracy).toBe(b!.accuracy);
    expect(a!.confusion.flat().reduce((s, v) => s + v, 0)).toBe(10_000);
    expect(model.graph.nodes.length).toBe(checkpoint.graph.nodes.length);
  });

  it('eval prints the accuracy and the confusion matrix with the model labels', async () => {
    const { stdout: out } = await xnornet('eval', join(dir, 'model.json'), '--dataset', 'fashion-mnist', '--backend', 'cpu');
    expect(out).toMatch(/accuracy \d+\.\d\d% \(\d+ of 10000\)/);
    expect(out).toContain('| true \\ predicted | T-shirt/top | Trouser |');
    expect(out.match(/^\| Ankle boot \|( \d+ \|){10}$/m)).not.toBeNull();
  });

  it('--resume continues a run exactly: 1 + 1 epochs give the weights of 2', async () => {
    const [whole, parts] = await Promise.all([tempDir(), tempDir()]);
    const args = ['--arch', 'lenet5', '--mode', 'bwn', ...SHORT, '--train-samples', '256', '--test-samples', '64'];
    await xnornet('train', ...args, '--epochs', '2', '-o', whole);
    await xnornet('train', ...args, '--epochs', '1', '-o', parts);
    await xnornet('train', '--resume', parts, '--epochs', '2');
    expect(await tensorsOf(join(parts, 'checkpoint.safetensors'))).toEqual(await tensorsOf(join(whole, 'checkpoint.safetensors')));
    const curve = JSON.parse(await readFile(join(parts, 'curve.json'), 'utf8')) as { epochs: unknown[] };
    expect(curve.epochs).toHaveLength(2);
  }, 120_000);

  it('--from continues from a checkpoint, keeping its labels and preprocess', async () => {
    const next = await tempDir();
    await xnornet('train', '--from', join(dir, 'checkpoint.json'), ...SHORT, '--train-samples', '128', '--epochs', '1', '-o', next);
    const [before, after] = await Promise.all([loadModelFiles(join(dir, 'model.json')), loadModelFiles(join(next, 'model.json'))]);
    expect(after.graph.json.labels).toEqual(before.graph.json.labels);
    expect(after.graph.json.preprocess).toEqual(before.graph.json.preprocess);
    const curve = JSON.parse(await readFile(join(next, 'curve.json'), 'utf8')) as { epochs: { testAccuracy: number }[] };
    expect(curve.epochs[0]!.testAccuracy).toBeGreaterThan(0.5); // it started trained, not from scratch
  }, 120_000);

  it('rejects what cannot be trained with one line naming the problem', async () => {
    const fails = async (args: string[]) => {
      try {
        await xnornet('train', ...args);
      } catch (err) {
        return (err as { stderr: string }).stderr;
      }
      throw new Error(`xnornet train ${args.join(' ')} succeeded`);
    };
    expect(await fails(['--arch', 'lenet5', '--dataset', 'fashion-mnist', '-o', dir])).toMatch(/give --arch and --mode/);
    expect(await fails(['--arch', 'vgg', '--mode', 'xnor', '--dataset', 'mnist', '-o', dir])).toMatch(/--arch must be one of lenet5/);
    expect(await fails(['--arch', 'lenet5', '--mode', 'xnor', '--dataset', 'cifar', '-o', dir])).toMatch(
      /--dataset must be one of fashion-mnist, mnist/,
    );
    expect(await fails(['--arch', 'lenet5', '--mode', 'xnor', '--dataset', 'mnist', '--lr', '-1', '-o', dir])).toMatch(
      /--lr must be a positive number/,
    );
    expect(await fails(['--arch', 'lenet5', '--mode', 'xnor', '--dataset', 'mnist'])).toMatch(/-o DIR is required/);
    expect(await fails(['--resume', dir, '--lr', '0.1'])).toMatch(/only --epochs may change/);
  });
});

describe('TrainingSession (the library API)', () => {
  const data = loadFashionMnist();
  const small = {
    train: subset(
      data.train,
      Array.from({ length: 256 }, (_, i) => i * 37),
    ),
    test: undefined,
  };
  const session = (seed: number) =>
    TrainingSession.create({
      model: loadZooModel('lenet5-xnor'),
      initialise: true,
      backend: 'cpu',
      optimizer: { name: 'sgd', momentum: 0.9, weightDecay: 1e-4, clip: true },
      options: {
        epochs: 1,
        batch: 32,
        lr: 0.05,
        schedule: { name: 'constant', stepSize: 1, gamma: 1 },
        seed,
        shuffle: true,
        augment: 'shift',
      },
      describe: { name: 'small', labels: data.train.classNames!, preprocess: { scale: 1 / 255, mean: [0.286], std: [0.353] } },
    });

  it('gives the same model for the same seed, and another for another seed', async () => {
    const [a, b, c] = await Promise.all([session(7), session(7), session(8)]);
    const progress: number[] = [];
    await a.train(small, { onBatch: (p) => void progress.push(p.batch) });
    await b.train(small);
    await c.train(small);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const weights = (s: TrainingSession) => s.checkpoint().tensors.get('conv2.weight')!.data;
    expect(weights(a)).toEqual(weights(b));
    expect(weights(a)).not.toEqual(weights(c));
    expect(a.deployable().tensors.get('conv2.weight_bits')!.dtype).toBe('U32');
  });

  it('gives the same weights, bit for bit, on 1 and on 3 threads', async () => {
    const make = (threads: number) =>
      TrainingSession.create({
        model: loadZooModel('lenet5-bwn'),
        initialise: true,
        backend: 'cpu',
        threads,
        optimizer: { name: 'adam', momentum: 0, weightDecay: 0, clip: true },
        options: {
          epochs: 1,
          batch: 64,
          lr: 1e-3,
          schedule: { name: 'constant', stepSize: 1, gamma: 1 },
          seed: 2,
          shuffle: true,
          augment: 'none',
        },
        describe: { name: 'threads', preprocess: { scale: 1 / 255, mean: [0.286], std: [0.353] } },
      });
    const [one, three] = [await make(1), await make(3)];
    try {
      expect(three.description).toMatch(/3 thread\(s\)/);
      await one.train(small);
      await three.train(small);
      for (const [name, tensor] of one.checkpoint().tensors) expect(three.checkpoint().tensors.get(name)!.data, name).toEqual(tensor.data);
    } finally {
      one.close();
      three.close();
    }
  });

  it('stops between batches when asked', async () => {
    const s = await session(1);
    const controller = new AbortController();
    const records = await s.train(small, { signal: controller.signal, onBatch: (p) => (p.batch === 3 ? controller.abort() : undefined) });
    expect(records).toEqual([]);
    expect(s.epochsDone).toBe(0);
  });
});
