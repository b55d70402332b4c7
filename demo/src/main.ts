/**
 * The demo's shell: the banner, the switches (model and backend), and one tab per view. Each
 * view is a module with a `render(app)` that fills its panel when the tab is first opened.
 */
import { type App, MODES, type Mode, type TestHooks } from './app.js';
import { loadFashionInfo } from './data.js';
import { type DemoBackend, Engine } from './engine.js';
import { el, errorLine, select } from './ui.js';
import * as bench from './views/bench.js';
import * as draw from './views/draw.js';
import * as gallery from './views/gallery.js';
import * as inside from './views/inside.js';
import * as train from './views/train.js';
import * as upload from './views/upload.js';

interface View {
  id: string;
  title: string;
  render(app: App, panel: HTMLElement): void | Promise<void>;
}

const VIEWS: View[] = [
  { id: 'draw', title: 'Draw', render: draw.render },
  { id: 'gallery', title: 'Gallery', render: gallery.render },
  { id: 'upload', title: 'Your image', render: upload.render },
  { id: 'inside', title: 'Look inside', render: inside.render },
  { id: 'train', title: 'Train in the tab', render: train.render },
  { id: 'bench', title: 'Benchmark', render: bench.render },
];

const hooks: TestHooks = { ready: false, backend: 'cpu', gpu: { available: false, detail: '', emulated: false }, errors: [] };
Object.assign(globalThis, { xnornetDemo: hooks });
addEventListener('error', (e) => hooks.errors.push(e.message));
addEventListener('unhandledrejection', (e) => hooks.errors.push(String((e.reason as Error)?.message ?? e.reason)));

async function start(root: HTMLElement): Promise<void> {
  const status = el('p', { class: 'loading', text: 'Loading the models…' });
  root.append(status);
  const [engine, fashion] = await Promise.all([Engine.create(), loadFashionInfo()]);
  status.remove();
  hooks.gpu = engine.gpu;
  const listeners: (() => void)[] = [];
  const app: App = {
    engine,
    fashion,
    backend: engine.gpu.available ? 'webgpu' : 'cpu',
    mode: 'xnor',
    looked: undefined,
    hooks,
    modelFor(dataset) {
      const trained = engine.models.get('trained-in-tab');
      if (trained && dataset === trained.entry.dataset && app.mode === trained.entry.mode && useTrained.checked) return trained;
      const shipped = engine.find(dataset, app.mode);
      if (!shipped) throw new Error(`no ${app.mode} model for ${dataset} is shipped`);
      return shipped;
    },
    onSwitch: (listener) => listeners.push(listener),
  };
  hooks.backend = app.backend;
  const switched = () => listeners.forEach((l) => l());

  if (!engine.gpu.available) {
    root.append(
      el('p', {
        class: 'banner',
        role: 'status',
        text: `WebGPU is not available in this browser (${engine.gpu.detail}). Everything runs on the CPU backend (WebAssembly) instead.`,
      }),
    );
  }
  const useTrained = el('input', { type: 'checkbox', disabled: true });
  useTrained.addEventListener('change', switched);
  const backends: [DemoBackend, string][] = [
    ['webgpu', engine.gpu.available ? `WebGPU (${engine.gpu.detail})` : 'WebGPU (not available)'],
    ['cpu', 'CPU, packed bits (WebAssembly)'],
  ];
  const backendSelect = select('Backend', backends, app.backend, (value) => {
    app.backend = value as DemoBackend;
    hooks.backend = app.backend;
    switched();
  });
  if (!engine.gpu.available) backendSelect.querySelector('option[value="webgpu"]')!.setAttribute('disabled', '');
  const modeSelect = select('Model', MODES, app.mode, (value) => {
    app.mode = value as Mode;
    switched();
  });
  const trainedLabel = el('label', { title: 'After training in the tab' }, useTrained, ' use the model trained in this tab');
  root.append(el('div', { class: 'switches' }, modeSelect, backendSelect, trainedLabel));
  addEventListener('xnornet-trained', () => {
    useTrained.disabled = false;
    useTrained.checked = true;
    switched();
  });

  const tabs = el('div', { role: 'tablist', 'aria-label': 'Views' });
  root.append(tabs);
  const rendered = new Set<string>();
  const panels = new Map<string, HTMLElement>();
  const open = async (view: View) => {
    for (const [id, panel] of panels) panel.hidden = id !== view.id;
    for (const tab of Array.from(tabs.children)) tab.setAttribute('aria-selected', String(tab.id === `tab-${view.id}`));
    if (!rendered.has(view.id)) {
      rendered.add(view.id);
      const panel = panels.get(view.id)!;
      await Promise.resolve(view.render(app, panel)).catch((err) => panel.append(errorLine(err)));
    }
    history.replaceState(null, '', `#${view.id}`);
  };
  for (const view of VIEWS) {
    const tab = el('button', { role: 'tab', id: `tab-${view.id}`, 'aria-controls': `panel-${view.id}`, text: view.title });
    tab.addEventListener('click', () => void open(view));
    tabs.append(tab);
    const panel = el('section', { role: 'tabpanel', id: `panel-${view.id}`, 'aria-labelledby': `tab-${view.id}`, hidden: true });
    panels.set(view.id, panel);
    root.append(panel);
  }
  // Arrow keys move between tabs, as in any tab list.
  tabs.addEventListener('keydown', (e) => {
    const index = VIEWS.findIndex((v) => `tab-${v.id}` === document.activeElement?.id);
    if (index < 0 || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return;
    const next = VIEWS[(index + (e.key === 'ArrowRight' ? 1 : VIEWS.length - 1)) % VIEWS.length]!;
    document.getElementById(`tab-${next.id}`)!.focus();
    void open(next);
  });
  addEventListener('xnornet-open', (e) => void open(VIEWS.find((v) => v.id === (e as CustomEvent<string>).detail)!));
  await open(VIEWS.find((v) => `#${v.id}` === location.hash) ?? VIEWS[0]!);
  hooks.ready = true;
}

const root = document.getElementById('app')!;
start(root).catch((err) => {
  hooks.errors.push((err as Error).message);
  root.append(errorLine(err));
});
