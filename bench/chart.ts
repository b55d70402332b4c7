/**
 * The benchmarks' line charts as SVG: a Vega-Lite spec, compiled to Vega and rendered
 * headless (renderer 'none', no canvas or browser). One chart is one or more panels side by
 * side, each a set of series of (x, y) points on linear or log axes; series of the same label
 * share a colour and a legend entry across panels.
 */
import * as vega from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';

export interface Series {
  label: string;
  color: string;
  /** A dash pattern as SVG writes it, e.g. "6 3"; solid when absent. */
  dash?: string | undefined;
  /** Whether a dot marks each point (measurements); false draws the line alone (a model curve). */
  dots?: boolean | undefined;
  points: { x: number; y: number }[];
}

export interface Axis {
  title: string;
  /** linear by default. */
  scale?: 'linear' | 'log2' | 'log10';
  /** Where the ticks go (default: the scale's own). */
  ticks?: number[];
  /** A Vega expression for each tick's label, over datum.value (e.g. "datum.value + 'x' + datum.value"). */
  labelExpr?: string;
}

export interface Panel {
  title?: string;
  x: Axis;
  y: Axis;
  series: Series[];
}

export interface ChartOptions {
  subtitle?: string | string[];
  /** Plot size of each panel, in pixels (default 520 x 300 for one panel, 340 x 280 each for more). */
  width?: number;
  height?: number;
  /** One y scale for all panels (default: each its own). */
  sharedY?: boolean;
}

function scaleOf(axis: Axis): Record<string, unknown> {
  const padding = axis.ticks ? { padding: 12 } : {};
  if (axis.scale === 'log2') return { type: 'log', base: 2, ...padding };
  if (axis.scale === 'log10') return { type: 'log', base: 10, ...padding };
  return { type: 'linear', zero: false, ...padding };
}

function axisOf(axis: Axis): Record<string, unknown> {
  return {
    title: axis.title,
    grid: true,
    // Explicit ticks are all shown (the scale's padding leaves room for the outer ones' labels).
    ...(axis.ticks && { values: axis.ticks, labelOverlap: false }),
    ...(axis.labelExpr ? { labelExpr: axis.labelExpr } : axis.scale === 'log2' || axis.scale === 'log10' ? { format: '~g' } : {}),
  };
}

/** The Vega-Lite spec of `panels` side by side (exported for tests and for writing the spec next to the SVG). */
export function chartSpec(title: string, panels: Panel[], options: ChartOptions = {}): TopLevelSpec {
  const width = options.width ?? (panels.length > 1 ? 340 : 520);
  const height = options.height ?? (panels.length > 1 ? 280 : 300);
  // One colour and dash per label, over all panels, so the legend is shared.
  const styles = new Map<string, Series>();
  for (const s of panels.flatMap((p) => p.series)) if (!styles.has(s.label)) styles.set(s.label, s);
  const labels = [...styles.keys()];
  const legend = {
    orient: 'bottom',
    direction: 'vertical',
    columns: 2,
    labelLimit: 600,
    symbolType: 'stroke',
    symbolStrokeWidth: 2,
    symbolSize: 300,
  };
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    sort: labels,
    scale: { domain: labels, range: labels.map((l) => styles.get(l)!.color) },
    legend,
  };
  const strokeDash = {
    field: 'series',
    type: 'nominal',
    title: null,
    sort: labels,
    scale: { domain: labels, range: labels.map((l) => (styles.get(l)!.dash ?? '').split(/[ ,]+/).filter(Boolean).map(Number)) },
    legend,
  };
  const unit = (panel: Panel) => {
    const values = panel.series.flatMap((s) =>
      s.points.filter((p) => Number.isFinite(p.y) && p.y > 0).map((p) => ({ series: s.label, x: p.x, y: p.y, dot: s.dots !== false })),
    );
    const x = { field: 'x', type: 'quantitative', scale: scaleOf(panel.x), axis: axisOf(panel.x) };
    const y = { field: 'y', type: 'quantitative', scale: scaleOf(panel.y), axis: axisOf(panel.y) };
    return {
      ...(panel.title && { title: panel.title }),
      width,
      height,
      data: { values },
      encoding: { x, y, color },
      layer: [
        { mark: { type: 'line', strokeWidth: 2, clip: true }, encoding: { strokeDash, order: { field: 'x', type: 'quantitative' } } },
        { transform: [{ filter: 'datum.dot' }], mark: { type: 'point', filled: true, size: 36, clip: true } },
      ],
    };
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, ...(options.subtitle && { subtitle: options.subtitle }), anchor: 'start' },
    background: 'white',
    padding: 10,
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11 } },
    ...(panels.length === 1 ? unit(panels[0]!) : { hconcat: panels.map(unit) }),
    ...(options.sharedY && panels.length > 1 && { resolve: { scale: { y: 'shared' } } }),
  };
  return spec as TopLevelSpec;
}

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/** `panels` side by side as an SVG document. */
export function chartSvg(title: string, panels: Panel[], options: ChartOptions = {}): Promise<string> {
  return svgOf(chartSpec(title, panels, options));
}

export interface Dot {
  /** The row's label, e.g. a model. */
  label: string;
  /** Dots of one group share a colour, e.g. a backend. */
  group: string;
  value: number;
}

/** A dot per value, one row per label, coloured by group, on a log axis (timings that span orders of magnitude, where bars from zero cannot be drawn). */
export function dotChartSvg(title: string, valueTitle: string, dots: Dot[]): Promise<string> {
  return svgOf({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    data: { values: dots },
    mark: { type: 'point', filled: true, size: 90 },
    encoding: {
      y: { field: 'label', type: 'nominal', title: null, sort: null },
      x: { field: 'value', type: 'quantitative', title: valueTitle, scale: { type: 'log' } },
      color: { field: 'group', type: 'nominal', title: null, legend: { orient: 'bottom' } },
      shape: { field: 'group', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  } as TopLevelSpec);
}

/** One panel: series over log2 x and log10 y axes (the kernel sweeps' GOPS over channels). */
export function lineChartSvg(title: string, xLabel: string, yLabel: string, series: Series[]): Promise<string> {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  return chartSvg(title, [{ x: { title: xLabel, scale: 'log2', ticks: xs }, y: { title: yLabel, scale: 'log10' }, series }]);
}
