/**
 * `npm run bench:train`: training throughput (images/s) of LeNet-5 float, BWN and XNOR on
 * xnornet's cpu backend on 1 thread and on all cores and on WebGPU, next to PyTorch on the same CPU with the same threads when
 * `/usr/bin/python3 -c "import torch"` works (Debian's python3-torch; the column is skipped
 * with a note otherwise). Both train on seeded random 28x28 images with Adam, batch 128
 * (the throughput does not depend on the pixels); warm-up batches are not timed.
 *   --batches N   timed batches per row (default 40; --quick 12)
 *   --gpu-batches N   timed batches of the WebGPU rows (default 4: SwiftShader is slow)
 *   --no-webgpu   skip the WebGPU rows
 *   --json FILE   rows {engine, mode, threads, batch, images, seconds, imagesPerSecond}
 * Each xnornet row runs in a process of its own (`--row mode,backend,threads`), as PyTorch's
 * do: in one process, a row run after others measured up to 25% slower.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { markdownTable } from '../src/cli/table.js';
import type { LabelledImages } from '../src/train/data/dataset.js';
import { TrainingSession } from '../src/train/session.js';
import { loadZooModel } from '../src/zoo/index.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string' },
    'gpu-batches': { type: 'string' },
    'no-webgpu': { type: 'boolean' },
    quick: { type: 'boolean' },
    json: { type: 'string' },
    row: { type: 'string' },
  },
});
const BATCHES = Number(values.batches ?? (values.quick ? 12 : 40));
const GPU_BATCHES = Number(values['gpu-batches'] ?? 4);
const BATCH = 128;
const WARM_UP = 3;
const MODES = ['float', 'bwn', 'xnor'] as const;

interface Row {
  engine: string;
  mode: string;
  threads: number;
  batch: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

function randomImages(count: number): LabelledImages {
  let state = 7;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return {
    images: Float32Array.from({ length: count * 784 }, () => next() * 4 - 2),
    shape: [1, 28, 28],
    labels: Int32Array.from({ length: count }, () => Math.floor(next() * 10)),
    count,
    pixels: false,
    classNames: undefined,
    description: 'seeded random images',
  };
}

async function xnornetRow(mode: (typeof MODES)[number], backend: 'cpu' | 'webgpu', threads: number, batches: number): Promise<Row> {
  const session = await TrainingSession.create({
    model: loadZooModel(`lenet5-${mode}`),
    initialise: true,
    backend,
    threads,
    optimizer: { name: 'adam', momentum: 0, weightDecay: 0, clip: true },
    options: {
      epochs: 1,
      batch: BATCH,
      lr: 1e-3,
      schedule: { name: 'constant', stepSize: 1, gamma: 1 },
      seed: 1,
      shuffle: false,
      augment: 'none',
    },
  });
  await session.train({ train: randomImages(WARM_UP * BATCH), test: undefined });
  session.epochsDone = 0;
  const images = batches * BATCH;
  const started = performance.now();
  await session.train({ train: randomImages(images), test: undefined });
  const seconds = (performance.now() - started) / 1000;
  session.close();
  return {
    engine: `xnornet ${backend} (${session.description})`,
    mode,
    threads,
    batch: BATCH,
    images,
    seconds,
    imagesPerSecond: images / seconds,
  };
}

function pytorchRow(mode: string, threads: number): Row | string {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'PyTorch not run: /usr/bin/python3 cannot import torch (apt-get install python3-torch)';
  const script = join(import.meta.dirname, '..', 'bench', 'train', 'pytorch_lenet.py');
  const run = spawnSync(
    '/usr/bin/python3',
    [script, '--mode', mode, '--threads', String(threads), '--batch', String(BATCH), '--batches', String(BATCHES)],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) return `PyTorch ${mode} failed: ${run.stderr.trim().split('\n').pop()}`;
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as Row & { torch: string };
  return { ...r, engine: `PyTorch ${r.torch}` };
}

/** One xnornet row in a fresh process. */
function xnornetRowApart(mode: (typeof MODES)[number], backend: 'cpu' | 'webgpu', threads: number): Row {
  const args = [
    process.argv[1]!,
    '--row',
    `${mode},${backend},${threads}`,
    '--batches',
    String(BATCHES),
    '--gpu-batches',
    String(GPU_BATCHES),
  ];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr.trim().split('\n').pop());
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Row;
}

if (values.row) {
  const [mode, backend, threads] = values.row.split(',') as [(typeof MODES)[number], 'cpu' | 'webgpu', string];
  console.log(JSON.stringify(await xnornetRow(mode, backend, Number(threads), backend === 'webgpu' ? GPU_BATCHES : BATCHES)));
  process.exit(0);
}

const rows: Row[] = [];
const notes: string[] = [];
const THREADS = [...new Set([1, availableParallelism()])];
for (const threads of THREADS) {
  for (const mode of MODES) {
    rows.push(xnornetRowApart(mode, 'cpu', threads));
    const peer = pytorchRow(mode, threads);
    if (typeof peer === 'string') notes.push(peer);
    else rows.push(peer);
  }
}
if (!values['no-webgpu']) {
  for (const mode of MODES) {
    try {
      rows.push(xnornetRowApart(mode, 'webgpu', 1));
    } catch (err) {
      notes.push(`WebGPU ${mode} not run: ${(err as Error).message}`);
    }
  }
}
console.log(`${cpus()[0]?.model ?? 'CPU'}; LeNet-5, batch ${BATCH}, Adam, ${BATCHES} timed batches after ${WARM_UP} warm-up\n`);
for (const note of [...new Set(notes)]) console.log(`- ${note}`);
console.log(
  markdownTable(
    ['engine', 'mode', 'threads', 'images/s', 'seconds'],
    rows.map((r) => [r.engine, r.mode, r.threads, r.imagesPerSecond.toFixed(0), r.seconds.toFixed(2)]),
  ),
);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ rows, notes }, null, 2)}\n`);
process.exit(0);
