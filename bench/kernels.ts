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
import { parseArgs } from 'node:util';
import { createContext, type GpuContext } from '../src/backends/webgpu/context.js';
import { markdownTable } from '../src/cli/table.js';
import { type Series, lineChartSvg } from './chart.js';
import { medianMs } from './harness.js';
import { type KernelName, type KernelRow, type Variants, TYPICAL, describe, measureShapes, ops, prepare, sweep } from './kernel-rows.js';

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
    const rows = await measureShapes(ctx, shapes, values.quick ? 5 : 3, (line) => process.stderr.write(`  ${line}\n`));
    printRows(rows);
    if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
    if (values.chart) writeFileSync(values.chart, await sweepChart(rows, ctx.adapterName));
  } finally {
    ctx.destroy();
  }
}

await main();
