/**
 * The package's TypeScript declarations (dist/types, made by `npm run build`) as a consumer
 * project sees them: a strict NodeNext project importing 'xnornet' type-checks, and a misuse
 * of the API is a type error.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const TSC = resolve('node_modules/typescript/bin/tsc');

const CONSUMER = `import { type Runner, Tensor, createRunner, loadModel, InputShapeError } from 'xnornet';

const model = await loadModel('zoo:lenet5-xnor');
const runner: Runner = await createRunner(model, 'cpu', { threads: 1, outputs: ['fc2'] });
const outputs: Map<string, Tensor<Float32Array>> = await runner.run(new Tensor(new Float32Array(784), [1, 1, 28, 28]));
const shape: readonly number[] = outputs.get('fc2')!.shape;
console.log(shape, InputShapeError.name);
runner.close();
`;

let project: string;

/** Type-checks `source` as the consumer's main.ts; returns tsc's output and whether it passed. */
async function typecheck(source: string): Promise<{ ok: boolean; output: string }> {
  await writeFile(join(project, 'main.ts'), source);
  try {
    await run('node', [TSC, '-p', project], { timeout: 60_000 });
    return { ok: true, output: '' };
  } catch (err) {
    return { ok: false, output: (err as { stdout: string }).stdout };
  }
}

describe('TypeScript declarations', () => {
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'xnornet-consumer-'));
    await mkdir(join(project, 'node_modules'));
    await symlink(resolve('.'), join(project, 'node_modules', 'xnornet'), 'dir');
    await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const compilerOptions = { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: [] };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
  });

  it('a strict consumer project type-checks against the built package', async () => {
    const { ok, output } = await typecheck(CONSUMER);
    expect(output).toBe('');
    expect(ok).toBe(true);
  });

  it('a misuse of the API is a type error there', async () => {
    const { ok, output } = await typecheck(CONSUMER.replace("loadModel('zoo:lenet5-xnor')", 'loadModel(42)'));
    expect(ok).toBe(false);
    expect(output).toMatch(/main\.ts\(3,\d+\): error TS2345/);
  });
});
