/** The built CLI and library (dist/, made by `npm test`'s build step) as a user runs them. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../src/model/npy.js';
import { Tensor } from '../src/tensor/tensor.js';
import { gpuForSuite } from './helpers/gpu.js';
import { randomTensor, testRng } from './helpers/random.js';

const run = promisify(execFile);
const CLI = 'dist/xnornet.js';
const xnornet = (...args: string[]) => run('node', [CLI, ...args], { timeout: 120_000, maxBuffer: 16 << 20 });
const ctx = await gpuForSuite('cli');
ctx?.destroy(); // only probing for an adapter: the CLI creates its own in a child process

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'xnornet-cli-'));
}

describe('xnornet CLI', () => {
  it('is built', () => {
    for (const file of [CLI, 'dist/index.js']) expect(existsSync(file), `${file} is missing: run "npm run build"`).toBe(true);
  });

  it.skipIf(!ctx)('selfcheck names the adapter, is bit-exact, and the process exits by itself within 5 s', async () => {
    const started = Date.now();
    const { stdout } = await xnornet('selfcheck');
    expect(stdout).toMatch(/^adapter: \S/m);
    expect(stdout).toMatch(/bit-exact with the host packer/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.skipIf(!ctx)('a script that creates a context and destroys it returns to the shell within 5 s', async () => {
    const script =
      "import { createContext } from './dist/index.js'; const ctx = await createContext(); console.log(ctx.adapterName); ctx.destroy();";
    const started = Date.now();
    const { stdout } = await run('node', ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout.trim().length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    ['closes the runner', 'runner.close();'],
    ['forgets to close the runner', ''],
  ])('the library runs the cpu backend on worker threads from an ES module script that %s, which then exits', async (_, close) => {
    const script = [
      "import { createRunner, loadModel, Tensor } from './dist/index.js';",
      "const runner = await createRunner(await loadModel('zoo:lenet5-xnor'), 'cpu', { threads: 2 });",
      'const out = await runner.run(new Tensor(new Float32Array(2 * 784), [2, 1, 28, 28]));',
      'console.log(runner.description, JSON.stringify([...out.values()][0].shape));',
      close,
    ].join('\n');
    const { stdout } = await run('node', ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout).toMatch(/on 2 thread\(s\), shared memory \[2,10\]/);
  });

  it('info lists layers, shapes, weight bytes and op counts', async () => {
    const { stdout } = await xnornet('info', 'zoo:lenet5-xnor');
    expect(stdout).toMatch(
      /\| 5 \| conv2 \| binconv2d xnor \| kernel 5x5, stride 1, padding 0, scaleInput \(K\) \| \[50, 8, 8\] \| 25,050 \| 97\.9 KiB \| 5\.3 KiB \|  \| 1,600,000 \|/,
    );
    expect(stdout).toMatch(/\| 12 \| fc2 \| linear \|  \| \[10\] \| 5,010 \|/);
    expect(stdout).toMatch(/weights: 1\.7 MiB as float32, 92\.6 KiB packed/);
    const resnet = await xnornet('info', 'zoo:resnet18-xnor');
    expect(resnet.stdout).toMatch(/\| layer4\.1\.relu \| relu \|  \| \[512, 7, 7\] \|/);
    expect(resnet.stdout).toMatch(/\| layer2\.0\.conv1 \| binconv2d xnor \| kernel 3x3, stride 2, padding 1, scaleInput \(K\), no bias \|/);
  });

  it.skipIf(!ctx)('run on WebGPU agrees with the reference backend, and pack keeps outputs identical', async () => {
    const dir = await tempDir();
    const input = randomTensor(testRng(), [5, 1, 28, 28]);
    const inPath = join(dir, 'in.npy');
    await writeFile(inPath, writeNpy(input));
    const out = (name: string) => join(dir, name);
    await xnornet('run', 'zoo:lenet5-xnor', inPath, '-o', out('gpu.npy'), '--batch', '2');
    await xnornet('run', 'zoo:lenet5-xnor', inPath, '-o', out('ref.npy'), '--backend', 'reference');
    const packed = await xnornet('pack', 'zoo:lenet5-xnor', '-o', join(dir, 'packed'));
    expect(packed.stdout).toMatch(/weights: 1\.7 MiB -> \d+\.\d KiB \(\d+\.\dx smaller\)/);
    await xnornet('run', join(dir, 'packed', 'lenet5-xnor.json'), inPath, '-o', out('packed.npy'), '--batch', '2');
    const read = async (name: string) => readNpy(await readFile(out(name)), name);
    const [gpu, ref, fromPacked] = [await read('gpu.npy'), await read('ref.npy'), await read('packed.npy')];
    expect(gpu.shape).toEqual([5, 10]);
    expect(fromPacked.data).toEqual(gpu.data);
    ref.data.forEach((v, i) => expect(Math.abs(v - gpu.data[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v))));
  });

  it('prints usage, and one clear line for each mistake', async () => {
    expect((await xnornet('--help')).stdout).toMatch(/usage: xnornet <command>/);
    for (const command of ['run', 'info', 'pack', 'check', 'selfcheck']) {
      expect((await xnornet(command, '--help')).stdout).toMatch(new RegExp(`^usage: xnornet ${command}`));
    }
    await expect(xnornet('frobnicate')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "frobnicate"/) });
    await expect(xnornet('pack', 'zoo:lenet5-xnor')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/-o <dir> is required/),
    });
    await expect(xnornet('info', 'missing.json')).rejects.toMatchObject({
      code: 1,
      stderr: 'xnornet info: missing.json: no such file or directory\n',
    });
    await expect(xnornet('info', 'zoo:vgg-xnor')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/unknown zoo model "vgg-xnor"; available: lenet5-float/),
    });
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.npy'), writeNpy(new Tensor(new Float32Array(6), [2, 3])));
    await expect(
      xnornet('run', 'zoo:lenet5-xnor', join(dir, 'bad.npy'), '-o', join(dir, 'o.npy'), '--backend', 'reference'),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/input shape \[2, 3\] does not match the model's input \[1, 28, 28\]/),
    });
    await expect(xnornet('run', 'zoo:lenet5-xnor', join(dir, 'bad.npy'), '-o', 'o.npy', '--backend', 'tpu')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--backend: unknown backend "tpu" \(the backends: webgpu, cpu, reference\)\nusage: xnornet run/),
    });
  });
});
