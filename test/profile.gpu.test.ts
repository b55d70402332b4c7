/** The profiler: every step of a backend's plan timed, every computing node of the graph in exactly one step. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { profileModel } from '../src/runner/profile.js';
import { loadZooModel } from '../src/zoo/index.js';
import { gpuForSuite } from './helpers/gpu.js';

const gpu = await gpuForSuite('profile');
gpu?.destroy();
const exec = promisify(execFile);
const model = loadZooModel('lenet5-xnor');
/** Nodes that compute something (flatten and dropout are views of their input). */
const computing = model.graph.nodes.filter((n) => n.attrs.op !== 'flatten' && n.attrs.op !== 'dropout').map((n) => n.name);

describe.each(gpu ? (['cpu', 'webgpu'] as const) : (['cpu'] as const))('profile on %s', (backend) => {
  it('times every step, names each computing node once, and adds up to about a run', async () => {
    const p = await profileModel(model, backend, { batch: 2, runs: 3 });
    expect(p).toMatchObject({ model: 'zoo:lenet5-xnor', batch: 2, runs: 3 });
    expect(p.timing).toBe(
      backend === 'cpu' ? 'cpu wall time per step' : gpu!.timestamps ? 'GPU timestamps' : 'wall time per launch, each submitted alone',
    );
    expect(p.steps.flatMap((s) => s.nodes).sort()).toEqual([...computing].sort());
    for (const s of p.steps) for (const node of s.nodes) expect(s.what).toContain(`${node} (`);
    expect(p.steps.map((s) => s.kind)).toEqual(
      backend === 'cpu'
        ? ['conv', 'pool', 'pack', 'xnorConv', 'pool', 'pack', 'xnorConv', 'conv']
        : ['nhwc4', 'conv', 'pool', 'pack', 'xnorConv', 'pool', 'pack', 'xnorConv', 'nhwc4', 'conv'],
    );
    expect(p.steps[3]!.output).toEqual(backend === 'cpu' ? [2, 50, 8, 8] : [2, 12, 12, 1]);
    for (const s of p.steps) expect(s.ms).toBeGreaterThan(0);
    const sum = p.steps.reduce((a, s) => a + s.ms, 0);
    expect(sum).toBeGreaterThan(p.runMs / 10);
    expect(sum).toBeLessThan(p.runMs * 10);
  });
});

describe('xnornet profile', () => {
  it('prints the steps, the time by kind of step and the sum, or JSON', async () => {
    const { stdout } = await exec('node', ['dist/xnornet.js', 'profile', 'zoo:lenet5-xnor', '--backend', 'cpu', '--runs', '2']);
    expect(stdout).toMatch(/^zoo:lenet5-xnor on CPU, \S+ on \d+ thread\(s\), batch 1, median of 2 runs \(cpu wall time per step\)\n/);
    expect(stdout).toMatch(/\| 3 \| xnorConv \| conv2 \(binconv2d xnor\), relu#6 \(relu\) \| \[1, 50, 8, 8\] \| [\d.]+ \| [\d.]+% \|/);
    expect(stdout).toMatch(/\| step kind \| steps \| ms \| share \|/);
    expect(stdout).toMatch(/sum of the steps [\d.]+ ms; a normal run [\d.]+ ms/);
    const json = JSON.parse(
      (await exec('node', ['dist/xnornet.js', 'profile', 'zoo:lenet5-xnor', '--backend', 'cpu', '--runs', '2', '--json'])).stdout,
    );
    expect(json.steps).toHaveLength(8);
    await expect(exec('node', ['dist/xnornet.js', 'profile', 'zoo:lenet5-xnor', '--backend', 'reference'])).rejects.toMatchObject({
      code: 2,
    });
  });
});
