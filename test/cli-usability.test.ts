/**
 * The built CLI as a new user meets it: input and file mistakes caught before any work with
 * one line naming the problem, usage errors exit 2, times that separate compilation from warm
 * runs, per-layer outputs, machine-readable output, and pack's naming and safety.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../src/model/npy.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import { Tensor } from '../src/tensor/tensor.js';
import { zooModel } from '../src/zoo/index.js';
import { gpuForSuite } from './helpers/gpu.js';
import { randomTensor, testRng } from './helpers/random.js';

const exec = promisify(execFile);
const xnornet = (args: string[], env: Record<string, string> = {}) =>
  exec('node', ['dist/xnornet.js', ...args], { timeout: 120_000, maxBuffer: 16 << 20, env: { ...process.env, ...env } });
/** The CLI's exit code and output, for runs that fail. */
async function fails(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    await xnornet(args, env);
  } catch (err) {
    return err as { code: number; stdout: string; stderr: string };
  }
  throw new Error(`xnornet ${args.join(' ')} succeeded`);
}

const gpu = await gpuForSuite('cli usability');
gpu?.destroy();
let dir: string;
const at = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xnornet-cli-'));
  await writeFile(at('in.npy'), writeNpy(randomTensor(testRng(), [3, 1, 28, 28])));
  await writeFile(at('sample.npy'), writeNpy(randomTensor(testRng(), [1, 28, 28])));
  await writeFile(at('empty.npy'), writeNpy(new Tensor(new Float32Array(0), [0, 1, 28, 28])));
  await writeFile(at('scalar.npy'), writeNpy(new Tensor(new Float32Array(1), [])));
  const zoo = zooModel('lenet5-xnor');
  const { name: _, ...unnamed } = zoo.json;
  await writeFile(at('mynet.json'), JSON.stringify({ ...unnamed, weights: 'mynet.safetensors' }));
  await writeFile(at('mynet.safetensors'), writeSafetensors(zoo.weights));
  await writeFile(at('two-outputs.json'), JSON.stringify({ ...unnamed, weights: 'mynet.safetensors', outputs: ['fc1', 'fc2'] }));
});

describe('xnornet run', () => {
  it("refuses an empty or 0-d input with the API's InputShapeError message", async () => {
    const empty = await fails(['run', 'zoo:lenet5-xnor', at('empty.npy'), '-o', at('o.npy'), '--backend', 'cpu']);
    expect(empty).toMatchObject({
      code: 1,
      stderr: 'xnornet run: lenet5-xnor: the input [0, 1, 28, 28] holds no samples (N must be >= 1)\n',
    });
    const scalar = await fails(['run', 'zoo:lenet5-xnor', at('scalar.npy'), '-o', at('o.npy'), '--backend', 'cpu']);
    expect(scalar.stderr).toBe(
      "xnornet run: lenet5-xnor: input shape [] does not match the model's input [1, 28, 28] (expected [N, 1, 28, 28])\n",
    );
  });

  it('checks files before any work: a missing input, a missing output folder, a folder as output', async () => {
    expect(await fails(['run', 'zoo:lenet5-xnor', at('nope.npy'), '-o', at('o.npy')])).toMatchObject({
      code: 1,
      stderr: `xnornet run: ${at('nope.npy')}: no such file or directory\n`,
    });
    const missing = await fails(['run', 'zoo:lenet5-xnor', at('in.npy'), '-o', at('no/such/o.npy')]);
    expect(missing.stderr).toBe(`xnornet run: ${at('no/such/o.npy')}: its folder ${at('no/such')} does not exist\n`);
    expect((await fails(['run', 'zoo:lenet5-xnor', at('in.npy'), '-o', dir])).stderr).toBe(
      `xnornet run: ${dir}: is a folder; give a file name\n`,
    );
  });

  it('usage mistakes exit 2 with the usage: an unknown backend, --threads off the cpu backend, "-o -" with --json', async () => {
    for (const args of [
      ['--backend', 'gpu'],
      ['--backend', 'reference', '--threads', '2'],
      ['-o', '-', '--json'],
    ]) {
      const r = await fails(['run', 'zoo:lenet5-xnor', at('in.npy'), '-o', at('o.npy'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/\nusage: xnornet run /);
    }
    expect((await fails(['run', 'zoo:lenet5-xnor', at('in.npy'), '-o', at('o.npy'), '--backend', 'gpu'])).stderr).toMatch(
      /--backend: unknown backend "gpu" \(the backends: webgpu, cpu, reference\)/,
    );
  });

  it('notes threads beyond the cores, runs an unbatched sample as one, and reports first and warm times', async () => {
    const { stdout, stderr } = await xnornet([
      'run',
      'zoo:lenet5-xnor',
      at('sample.npy'),
      '-o',
      at('one.npy'),
      '--backend',
      'cpu',
      '--threads',
      '64',
    ]);
    expect(stderr).toMatch(/note: --threads 64 is more than this machine's \d+ core\(s\)/);
    expect(stderr).toMatch(/sample\.npy is one sample \[1, 28, 28\] without a batch axis; running it as \[1, \.\.\.\]/);
    expect(stdout).toMatch(/fc2: \[1, 10\] -> .*one\.npy/);
    expect(stdout).toMatch(
      /1 sample\(s\) on CPU, .*: first run [\d.]+ ms \(with shader compilation and weight upload\), warm [\d.]+ ms per batch of 1/,
    );
    expect(readNpy(await readFile(at('one.npy')), 'one.npy').shape).toEqual([1, 10]);
  });

  it('writes per-layer outputs (--outputs), JSON (--json), progress on long runs, and .npy to standard output (-o -)', async () => {
    const layers = await xnornet([
      'run',
      'zoo:lenet5-xnor',
      at('in.npy'),
      '-o',
      at('l.npy'),
      '--backend',
      'reference',
      '--outputs',
      'conv1,fc1',
    ]);
    expect(layers.stdout).toMatch(/conv1: \[3, 20, 24, 24\] -> .*l\.conv1\.npy/);
    expect(readNpy(await readFile(at('l.fc1.npy')), 'l.fc1.npy').shape).toEqual([3, 500]);
    const json = JSON.parse(
      (
        await xnornet(['run', 'zoo:lenet5-xnor', at('in.npy'), '-o', at('j.npy'), '--backend', 'cpu', '--batch', '2', '--json'], {
          XNORNET_PROGRESS_AFTER_MS: '0',
        })
      ).stdout,
    );
    expect(json).toMatchObject({
      model: 'zoo:lenet5-xnor',
      samples: 3,
      batch: 2,
      outputs: [{ node: 'fc2', shape: [3, 10], path: at('j.npy') }],
    });
    expect(json.firstRunMs).toBeGreaterThan(0);
    const progress = await xnornet(['run', 'zoo:lenet5-xnor', at('in.npy'), '-o', at('p.npy'), '--backend', 'cpu', '--batch', '1'], {
      XNORNET_PROGRESS_AFTER_MS: '0',
    });
    expect(progress.stderr).toMatch(/^1\/3 samples, [\d.]+ s\n2\/3 samples.*\n3\/3 samples/m);
    const piped = await exec('node', ['dist/xnornet.js', 'run', 'zoo:lenet5-xnor', at('in.npy'), '-o', '-', '--backend', 'cpu'], {
      encoding: 'buffer',
      maxBuffer: 1 << 20,
    });
    const fromStdout = readNpy(new Uint8Array(piped.stdout), 'stdout');
    expect(fromStdout.shape).toEqual([3, 10]);
    expect(fromStdout.data).toEqual(readNpy(await readFile(at('j.npy')), 'j.npy').data);
    expect(piped.stderr.toString()).toMatch(/fc2: \[3, 10\] -> standard output/);
  });

  it.skipIf(!gpu)('is quiet while finding the adapter, and says that the cpu backend is faster on a CPU-emulated adapter', async () => {
    const { stdout, stderr } = await xnornet(['run', 'zoo:lenet5-xnor', at('in.npy'), '-o', at('g.npy')]);
    // A slow first run (shader compilation on a busy machine) may print progress lines; nothing else.
    const notes = stderr.replace(/^\d+\/\d+ samples, [\d.]+ s\n/gm, '');
    expect(notes, 'no Vulkan loader warnings from probing for an adapter').toBe('');
    expect(stdout).toMatch(/first run [\d.]+ ms \(with shader compilation and weight upload\), warm [\d.]+ ms per batch of 3/);
    expect(stdout).toMatch(/note: this WebGPU adapter emulates a GPU on the CPU; --backend cpu is faster on this machine/);
  });

  it('without an adapter, says so once and suggests the cpu backend', async () => {
    const r = await fails(['run', 'zoo:lenet5-xnor', at('in.npy'), '-o', at('o.npy')], { VK_ICD_FILENAMES: '/nonexistent.json' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^xnornet run: no WebGPU adapter found .* Or run on the CPU: --backend cpu\.\n$/);
    const check = await xnornet(['check', 'zoo:lenet5-xnor', '--backend', 'cpu', '--samples', '4', '--batch', '2'], {
      VK_ICD_FILENAMES: '/nonexistent.json',
    });
    expect(check.stdout).toMatch(/CPU, packed-bit .*: same argmax as the CPU reference on 4\/4/);
  });
});

describe('xnornet check, info, pack, selfcheck, --version', () => {
  it("check labels each backend's first run, counts a sample once however many outputs, and prints JSON", async () => {
    const text = (await xnornet(['check', at('two-outputs.json'), '--backend', 'cpu', '--samples', '6', '--batch', '3'])).stdout;
    expect(text).toMatch(/CPU, packed-bit .*: same argmax as the CPU reference on 6\/6, .*; first run \d+ ms \(with compilation\), then/);
    expect(text).toMatch(/CPU float reference: \d+ ms per batch\n/);
    const json = JSON.parse(
      (await xnornet(['check', at('two-outputs.json'), '--backend', 'cpu', '--samples', '6', '--batch', '3', '--json'])).stdout,
    );
    expect(json.models[0]).toMatchObject({ agrees: true, backends: [{ samples: 6 }] });
    expect((await fails(['check', 'zoo:lenet5-xnor', '--backend', 'tpu'])).code).toBe(2);
  });

  it('info recognises weights and data files, and prints JSON', async () => {
    expect((await fails(['info', at('mynet.safetensors')])).stderr).toBe(
      `xnornet info: ${at('mynet.safetensors')}: is a safetensors weights file, not a model: pass the model.json (it names its safetensors file)\n`,
    );
    expect((await fails(['info', at('in.npy')])).stderr).toMatch(/is a \.npy data file, not a model/);
    const json = JSON.parse((await xnornet(['info', 'zoo:lenet5-xnor', '--json'])).stdout);
    expect(json.layers[5]).toMatchObject({
      name: 'conv2',
      op: 'binconv2d',
      mode: 'xnor',
      kernel: [5, 5],
      stride: [1, 1],
      scaleInput: true,
      xnorMacs: 1_600_000,
    });
  });

  it('pack names its files after the model file, never overwrites its input, and says when there is nothing to pack', async () => {
    const packed = await xnornet(['pack', at('mynet.json'), '-o', at('packed')]);
    expect(packed.stdout).toMatch(
      /packed\/mynet\.json, .*packed\/mynet\.safetensors\nweights: 1\.7 MiB -> 9\d\.\d KiB \(1\d\.\dx smaller\)/,
    );
    expect((await fails(['pack', at('mynet.json'), '-o', dir])).stderr).toBe(
      `xnornet pack: ${at('mynet.json')}: is the model being packed; choose another -o folder\n`,
    );
    const again = await xnornet(['pack', at('packed/mynet.json'), '-o', at('packed2')]);
    expect(again.stdout).toMatch(/no binary layer holds float weights; nothing to pack/);
    await mkdir(at('dir-not-file'), { recursive: true });
    await writeFile(at('file'), '');
    expect((await fails(['pack', at('mynet.json'), '-o', at('file')])).stderr).toMatch(/file: exists and is not a folder/);
  });

  it('selfcheck with an argument, and --version', async () => {
    expect(await fails(['selfcheck', 'extra'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^xnornet selfcheck: takes no arguments, got "extra"\n/),
    });
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect((await xnornet(['--version'])).stdout).toBe(`${pkg.version}\n`);
  });
});
