/**
 * `npm run bench:kernels`: XNOR, BWN and float convolution on one device, in one run.
 *   --quick        only the typical binary layer (256 -> 256, 3x3, 14x14, batch 8)
 *   --json FILE    rows {kernel, backend, adapter, shape, medianMs, gops}
 *   --chart FILE   SVG of GOPS over the sweep's channel counts
 *   --replot JSON  only redraw --chart from rows written earlier by --json
 *   --variants     compare tile variants of each kernel on the typical layer (tuning)
 * Each XNOR bit-MAC and each float MAC counts as 2 ops.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { packActivations, packWeights } from '../src/tensor/bits.js';
import { ohwiFromOihw } from '../src/tensor/layout.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createRng } from '../src/util/random.js';
import { type GpuContext, createContext } from '../src/backends/webgpu/context.js';
import { submitLaunches } from '../src/backends/webgpu/dispatch.js';
import { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { type ConvTile, convTile } from '../src/backends/webgpu/kernels/conv-geometry.js';
import { conv2dLaunch } from '../src/backends/webgpu/kernels/conv2d.js';
import { nhwc4Shape, toNhwc4Launch } from '../src/backends/webgpu/kernels/to-nhwc4.js';
import { xnorConvLaunch } from '../src/backends/webgpu/kernels/xnor-conv.js';
import { type Series, lineChartSvg } from './chart.js';
import { markdownTable } from '../src/cli/table.js';
import { type Timed, medianMs } from './harness.js';

export type KernelName = 'xnor_conv' | 'bwn_conv' | 'float_conv';

export interface ConvShape {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  stride: number;
  padding: number;
}

export interface KernelRow {
  kernel: KernelName;
  backend: 'webgpu';
  adapter: string;
  shape: ConvShape;
  medianMs: number;
  gops: number;
}

const TYPICAL: ConvShape = { n: 8, cin: 256, h: 14, w: 14, cout: 256, kh: 3, kw: 3, stride: 1, padding: 1 };

/** The paper's sweep (Fig. 4): channels 32..512 and kernels 1x1, 3x3, 5x5, on 14x14, batch 8. */
function sweep(): ConvShape[] {
  return [32, 64, 128, 256, 512].flatMap((c) =>
    [1, 3, 5].map((k) => ({ n: 8, cin: c, h: 14, w: 14, cout: c, kh: k, kw: k, stride: 1, padding: (k - 1) / 2 })),
  );
}

const ops = (s: ConvShape) => {
  const ho = Math.floor((s.h + 2 * s.padding - s.kh) / s.stride) + 1;
  const wo = Math.floor((s.w + 2 * s.padding - s.kw) / s.stride) + 1;
  return 2 * s.n * ho * wo * s.cout * s.cin * s.kh * s.kw;
};

const describe = (s: ConvShape) => `${s.cin}->${s.cout} ${s.kh}x${s.kw} ${s.h}x${s.w} N${s.n}`;

interface Variants {
  xnor: ConvTile[];
  conv2d: ConvTile[];
}

/** Uploads random data for `shape` and builds one launch per kernel and tile variant (also bench/figure4.ts's). */
export async function prepare(ctx: GpuContext, s: ConvShape, variants: Variants) {
  const rng = createRng(7);
  const random = (shape: number[]) => {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
    return t;
  };
  const x = random([s.n, s.cin, s.h, s.w]);
  const w = random([s.cout, s.cin, s.kh, s.kw]);
  const packed = packWeights(w);
  const ho = Math.floor((s.h + 2 * s.padding - s.kh) / s.stride) + 1;
  const wo = Math.floor((s.w + 2 * s.padding - s.kw) / s.stride) + 1;
  const inputShape = [s.n, s.cin, s.h, s.w] as const;
  const t = {
    nchw: GpuTensor.upload(ctx, x),
    nhwc4: GpuTensor.empty(ctx, 'float32', nhwc4Shape(inputShape)),
    bits: GpuTensor.upload(ctx, packActivations(x)),
    weightBits: GpuTensor.upload(ctx, packed.bits),
    weightFloat: GpuTensor.upload(ctx, ohwiFromOihw(w, 4)),
    alpha: GpuTensor.upload(ctx, packed.alpha),
    zeros: GpuTensor.upload(ctx, Tensor.zeros([s.cout])),
    output: GpuTensor.empty(ctx, 'float32', [s.n, s.cout, ho, wo]),
  };
  await submitLaunches(ctx, 'to_nhwc4', [await toNhwc4Launch(ctx, t.nchw, t.nhwc4)]);
  const common = {
    scale: t.alpha,
    shift: t.zeros,
    stride: [s.stride, s.stride] as const,
    padding: [s.padding, s.padding] as const,
    output: t.output,
  };
  const entries: (Timed & { kernel: KernelName })[] = [];
  for (const tile of variants.xnor) {
    const launch = await xnorConvLaunch(ctx, { ...common, input: t.bits, inChannels: s.cin, weights: t.weightBits }, tile);
    entries.push({ kernel: 'xnor_conv', label: `xnor_conv ${JSON.stringify(tile)}`, launches: [launch] });
  }
  for (const tile of variants.conv2d) {
    const bwn = await conv2dLaunch(ctx, { ...common, input: t.nhwc4, inputShape, weights: t.weightBits }, tile);
    entries.push({ kernel: 'bwn_conv', label: `bwn_conv ${JSON.stringify(tile)}`, launches: [bwn] });
    const float = await conv2dLaunch(ctx, { ...common, input: t.nhwc4, inputShape, weights: t.weightFloat }, tile);
    entries.push({ kernel: 'float_conv', label: `float_conv ${JSON.stringify(tile)}`, launches: [float] });
  }
  const release = () => Object.values(t).forEach((tensor) => tensor.destroy());
  return { entries, tensors: t, release };
}

async function measureShapes(ctx: GpuContext, shapes: ConvShape[], rounds: number): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const shape of shapes) {
    const { entries, release } = await prepare(ctx, shape, { xnor: [convTile(shape.cout)], conv2d: [convTile(shape.cout)] });
    const medians = await medianMs(ctx, entries, rounds);
    for (const entry of entries) {
      const ms = medians.get(entry.label)!;
      rows.push({ kernel: entry.kernel, backend: 'webgpu', adapter: ctx.adapterName, shape, medianMs: ms, gops: ops(shape) / ms / 1e6 });
    }
    release();
    process.stderr.write(`  measured ${describe(shape)}\n`);
  }
  return rows;
}

function printRows(rows: KernelRow[]): void {
  const byShape = new Map<string, Partial<Record<KernelName, KernelRow>>>();
  for (const row of rows) {
    const key = describe(row.shape);
    byShape.set(key, { ...byShape.get(key), [row.kernel]: row });
  }
  const f = (v: number | undefined, digits = 1) => (v === undefined ? '-' : v.toFixed(digits));
  const table = [...byShape].map(([shape, k]) => [
    shape,
    f(k.xnor_conv?.medianMs),
    f(k.xnor_conv?.gops),
    f(k.bwn_conv?.medianMs),
    f(k.bwn_conv?.gops, 2),
    f(k.float_conv?.medianMs),
    f(k.float_conv?.gops, 2),
    k.xnor_conv && k.float_conv ? `${(k.xnor_conv.gops / k.float_conv.gops).toFixed(1)}x` : '-',
  ]);
  console.log(markdownTable(['layer', 'XNOR ms', 'XNOR GOPS', 'BWN ms', 'BWN GOPS', 'float ms', 'float GFLOPS', 'XNOR / float'], table));
}

const WORKGROUPS: [number, number][] = [
  [64, 1],
  [8, 8],
  [4, 16],
];

const COLORS: Record<KernelName, string> = { xnor_conv: '#c0392b', bwn_conv: '#2980b9', float_conv: '#27ae60' };
const DASHES: Record<number, string | undefined> = { 1: '2 3', 3: undefined, 5: '8 4' };

/** GOPS over channels, one line per kernel and kernel size (the paper's Fig. 4 axes). */
function sweepChart(rows: KernelRow[], adapter: string): Promise<string> {
  const series: Series[] = [];
  for (const kernel of ['xnor_conv', 'bwn_conv', 'float_conv'] as const) {
    for (const k of [1, 3, 5]) {
      const points = rows
        .filter((r) => r.kernel === kernel && r.shape.kh === k && r.shape.cin === r.shape.cout)
        .map((r) => ({ x: r.shape.cin, y: r.gops }))
        .sort((a, b) => a.x - b.x);
      if (points.length > 1) series.push({ label: `${kernel} ${k}x${k}`, color: COLORS[kernel], dash: DASHES[k], points });
    }
  }
  return lineChartSvg(`Convolution throughput, 14x14, batch 8 (${adapter})`, 'channels in = out', 'GOPS (2 ops per MAC)', series);
}

async function compareVariants(ctx: GpuContext): Promise<void> {
  const variants: Variants = {
    xnor: [...[4, 8, 16, 32].map((TN) => ({ WG_M: 16, WG_N: 4, TN })), ...WORKGROUPS.map(([WG_M, WG_N]) => ({ WG_M, WG_N, TN: 16 }))],
    conv2d: [...[4, 8, 16, 32].map((TN) => ({ WG_M: 16, WG_N: 4, TN })), ...WORKGROUPS.map(([WG_M, WG_N]) => ({ WG_M, WG_N, TN: 16 }))],
  };
  const { entries, release } = await prepare(ctx, TYPICAL, variants);
  const medians = await medianMs(ctx, entries, 5);
  console.log(
    markdownTable(
      ['variant', 'median ms', 'GOPS'],
      entries.map((e) => [e.label, medians.get(e.label)!.toFixed(1), (ops(TYPICAL) / medians.get(e.label)! / 1e6).toFixed(2)]),
    ),
  );
  release();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      json: { type: 'string' },
      chart: { type: 'string' },
      replot: { type: 'string' },
      variants: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('usage: bench-kernels [--quick] [--json FILE] [--chart FILE.svg] [--variants] [--replot FILE.json --chart FILE.svg]');
    return;
  }
  if (values.replot) {
    const rows = JSON.parse(readFileSync(values.replot, 'utf8')) as KernelRow[];
    writeFileSync(values.chart ?? 'kernels.svg', await sweepChart(rows, rows[0]?.adapter ?? 'unknown adapter'));
    return;
  }
  const ctx = await createContext();
  try {
    console.log(`adapter: ${ctx.adapterName}\n`);
    if (values.variants) {
      await compareVariants(ctx);
      return;
    }
    const shapes = values.quick ? [TYPICAL] : [TYPICAL, ...sweep().filter((s) => describe(s) !== describe(TYPICAL))];
    const rows = await measureShapes(ctx, shapes, values.quick ? 5 : 3);
    printRows(rows);
    if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
    if (values.chart) writeFileSync(values.chart, await sweepChart(rows, ctx.adapterName));
  } finally {
    ctx.destroy();
  }
}

// Only as the program bench-kernels.js, not when bench/figure4.ts imports prepare() (the build then moves this
// module into a shared chunk, so import.meta.url cannot tell).
if (basename(process.argv[1] ?? '') === 'bench-kernels.js') await main();
