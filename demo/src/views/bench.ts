/**
 * Benchmark: the Node benchmarks' kernel rows (the typical binary layer, XNOR vs BWN vs float
 * convolution on WebGPU) and model rows (LeNet-5 and ResNet-18, XNOR and float, on WebGPU and
 * the cpu backend), measured in this page by the same code, as a table and a chart.
 */
import { dotChartSvg } from '../../../bench/chart.js';
import { TYPICAL, describe, measureShapes } from '../../../bench/kernel-rows.js';
import { timeModel } from '../../../bench/browser/page.js';
import { createContext } from '../../../src/index.js';
import type { App } from '../app.js';
import { el, errorLine } from '../ui.js';

interface ModelRow {
  model: string;
  backend: string;
  medianMs: number;
  description: string;
}

const MODELS: [label: string, url: string, runs: number][] = [
  ['LeNet-5 XNOR (trained)', 'models/lenet5-xnor-fashion-mnist/model.json', 21],
  ['LeNet-5 float (trained)', 'models/lenet5-float-fashion-mnist/model.json', 21],
  ['ResNet-18 XNOR (random weights)', 'zoo:resnet18-xnor', 5],
  ['ResNet-18 float (random weights)', 'zoo:resnet18-float', 5],
];

function table(head: string[], rows: (string | number)[][]): HTMLTableElement {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', { text: String(c) }))))),
  );
}

export function render(app: App, panel: HTMLElement): void {
  const resnet = el('input', { type: 'checkbox', checked: true });
  const run = el('button', { type: 'button', text: 'Run the benchmark' });
  const status = el('p', { class: 'facts', 'aria-live': 'polite' });
  const out = el('div');
  const threads = Math.max(1, navigator.hardwareConcurrency || 1);
  panel.append(
    el('p', {
      class: 'intro',
      text: `Batch 1, median of repeated runs after a warm-up, in this page (${crossOriginIsolated ? 'cross-origin isolated: the CPU backend threads share memory' : 'not cross-origin isolated: CPU threads copy rows back'}).`,
    }),
    el('div', { class: 'switches' }, el('label', {}, resnet, ' ResNet-18 rows too (slow without a GPU)'), run),
    status,
    out,
  );
  run.addEventListener('click', async () => {
    run.disabled = true;
    out.replaceChildren();
    try {
      const sections: HTMLElement[] = [];
      if (app.engine.gpu.available) {
        status.textContent = `Kernels: ${describe(TYPICAL)} on WebGPU…`;
        const ctx = await createContext();
        try {
          const rows = await measureShapes(ctx, [TYPICAL], 3);
          sections.push(
            el('h3', { text: `Kernels on ${ctx.adapterName}` }),
            table(
              ['kernel', 'layer', 'median ms', 'GOPS'],
              rows.map((r) => [r.kernel, describe(r.shape), r.medianMs.toFixed(2), r.gops.toFixed(1)]),
            ),
          );
        } finally {
          ctx.destroy();
        }
        out.replaceChildren(...sections);
      }
      const configs: [backend: 'webgpu' | 'cpu', threads: number][] = [
        ...(app.engine.gpu.available ? [['webgpu', 1] as ['webgpu', number]] : []),
        ['cpu', 1],
        ...(threads > 1 ? [['cpu', threads] as ['cpu', number]] : []),
      ];
      const rows: ModelRow[] = [];
      for (const [label, url, runs] of MODELS.filter(([l]) => resnet.checked || !l.startsWith('ResNet'))) {
        for (const [backend, t] of configs) {
          const name = backend === 'webgpu' ? 'WebGPU' : `CPU, ${t} thread(s)`;
          status.textContent = `${label} on ${name}…`;
          const timing = await timeModel(url, backend, t, 1, runs);
          rows.push({ model: label, backend: name, medianMs: timing.medianMs, description: timing.description });
        }
      }
      const chart = el('div', { class: 'chart', role: 'img', 'aria-label': 'Median milliseconds per model and backend' });
      chart.innerHTML = await dotChartSvg(
        'Batch 1 latency in this page',
        'median ms (log scale)',
        rows.map((r) => ({ label: r.model, group: r.backend, value: r.medianMs })),
      );
      sections.push(
        el('h3', { text: 'Models' }),
        table(
          ['model', 'backend', 'median ms', 'runs on'],
          rows.map((r) => [r.model, r.backend, r.medianMs.toFixed(2), r.description]),
        ),
        chart,
      );
      out.replaceChildren(...sections);
      status.textContent = 'Done.';
    } catch (err) {
      out.append(errorLine(err));
    } finally {
      run.disabled = false;
    }
  });
}
