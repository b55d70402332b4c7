/**
 * Every code block of the README, run exactly as written by a user of the installed package:
 * in a project folder whose node_modules holds xnornet (this repository, built), with the
 * files the snippets name (model.json, input.npy, digit.png, photo.jpg). TypeScript blocks are
 * type-checked against the package's declarations, then run; shell blocks run line by line
 * (`xnornet train` for one epoch on a subset).
 * The browser snippet gets a stand-in canvas and images (what a page would have).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../src/model/npy.js';
import { packedTensors, saveModel } from '../src/model/save.js';
import { loadZooModel } from '../src/zoo/index.js';
import { gpuForSuite } from './helpers/gpu.js';
import { randomTensor, testRng } from './helpers/random.js';

const exec = promisify(execFile);
const readme = await readFile('README.md', 'utf8');
const blocks = [...readme.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map(([, lang, code]) => ({ lang: lang!, code: code! }));
const gpu = await gpuForSuite('README snippets');
gpu?.destroy();

/** What a page offers the browser snippet: a 2d canvas and two images, 28x28 RGBA. */
const BROWSER_PRELUDE = `
const w = 28, h = 28;
const pixels = () => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4).map((_, i) => (i * 37) % 256) });
const canvas = { width: w, height: h, getContext: () => ({ getImageData: () => pixels() }) };
const image1 = pixels(), image2 = pixels();
`;
const BROWSER_DECLARATIONS = `declare const canvas: HTMLCanvasElement; declare const w: number; declare const h: number;
declare const image1: ImageData; declare const image2: ImageData;\n`;

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'xnornet-readme-'));
  await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
  await symlink(resolve('.'), join(project, 'node_modules', 'xnornet'), 'dir');
  const bin = join(project, 'node_modules', '.bin', 'xnornet');
  await writeFile(bin, `#!/bin/sh\nexec node ${resolve('dist/xnornet.js')} "$@"\n`);
  await chmod(bin, 0o755);
  await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const model = loadZooModel('lenet5-xnor');
  await saveModel(project, 'model', model.graph.json, packedTensors(model));
  await writeFile(join(project, 'input.npy'), writeNpy(randomTensor(testRng(), [4, 1, 28, 28])));
  const rgba = Buffer.from(new Uint8Array(40 * 40 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 13) % 256)));
  const png = new PNG({ width: 40, height: 40 });
  rgba.copy(png.data);
  await writeFile(join(project, 'digit.png'), PNG.sync.write(png));
  await writeFile(join(project, 'photo.jpg'), jpeg.encode({ data: rgba, width: 40, height: 40 }, 90).data);
});

describe('README snippets', () => {
  it('has TypeScript and shell blocks', () => {
    expect(blocks.filter((b) => b.lang === 'ts').length).toBeGreaterThanOrEqual(3);
    expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(!gpu).each(blocks.filter((b) => b.lang === 'ts').map((b, i) => [i, b.code] as const))(
    'TypeScript block %i type-checks against the package and runs',
    async (i, code) => {
      const browser = code.includes('canvas');
      const file = join(project, `snippet${i}.ts`);
      await writeFile(file, (browser ? BROWSER_DECLARATIONS : '') + code);
      const compilerOptions = {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        lib: ['ES2023', 'DOM'],
        noEmit: true,
        types: [],
      };
      await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [file] }));
      const checked = await exec('node', [resolve('node_modules/typescript/bin/tsc'), '-p', project]).catch(
        (err: { stdout: string }) => err,
      );
      expect(checked.stdout).toBe('');
      const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      const script = join(project, `snippet${i}.mjs`);
      await writeFile(script, (browser ? BROWSER_PRELUDE : '') + js);
      const { stdout } = await exec('node', [script], { cwd: project, timeout: 120_000 });
      if (code.includes('console.log(runner.description)')) expect(stdout).toMatch(/^CPU, packed-bit \S+ kernel on 2 thread\(s\)/);
    },
  );

  it.skipIf(!gpu).each(
    blocks
      .filter((b) => b.lang === 'sh')
      .flatMap((b) => b.code.split('\n'))
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line.startsWith('npx xnornet')),
  )('%s', async (line) => {
    // Training runs as written but on a small subset for one epoch: the README's full run takes minutes.
    const command = line.startsWith('npx xnornet train')
      ? line.replace(/--epochs \d+/, '--epochs 1 --train-samples 256 --test-samples 256')
      : line;
    const { stdout } = await exec('sh', ['-c', command], {
      cwd: project,
      timeout: 120_000,
      env: { ...process.env, PATH: `${join(project, 'node_modules', '.bin')}:${process.env['PATH']}` },
    });
    expect(stdout.length).toBeGreaterThan(0);
  });
});
