/** Small DOM helpers shared by the views. */
import type { Classification } from '../../src/index.js';
import { formatBytes } from '../../src/util/format.js';
import type { DemoBackend, DemoModel, Prediction } from './engine.js';

type Attrs = Record<string, string | number | boolean | undefined>;

/** An element with attributes (`text` sets its text) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

/** A labelled <select>; `onChange` hears the chosen value. */
export function select(
  label: string,
  options: [value: string, text: string][],
  value: string,
  onChange: (value: string) => void,
): HTMLLabelElement {
  const box = el('select');
  for (const [v, text] of options) box.append(el('option', { value: v, text, selected: v === value }));
  box.addEventListener('change', () => onChange(box.value));
  return el('label', {}, `${label} `, box);
}

/** Grey pixels (0..255, one channel) drawn on a canvas, scaled up without smoothing by CSS. */
export function pixelCanvas(pixels: ArrayLike<number>, width: number, height: number, cssSize = 84, label = 'image'): HTMLCanvasElement {
  const canvas = el('canvas', { width, height, role: 'img', 'aria-label': label, class: 'pixels' });
  canvas.style.width = `${cssSize}px`;
  canvas.style.height = `${Math.round((cssSize * height) / width)}px`;
  paint(canvas, pixels);
  return canvas;
}

/** Paints grey values onto a canvas of the same size. */
export function paint(canvas: HTMLCanvasElement, pixels: ArrayLike<number>): void {
  const image = new ImageData(canvas.width, canvas.height);
  for (let i = 0; i < canvas.width * canvas.height; i++) {
    const v = pixels[i]!;
    image.data.set([v, v, v, 255], i * 4);
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
}

/** Probability bars of one sample's classes. */
export function probabilityBars(classes: Classification[]): HTMLElement {
  const list = el('ol', { class: 'bars' });
  for (const c of classes) {
    const bar = el('span', { class: 'bar' });
    bar.style.width = `${(c.probability * 100).toFixed(1)}%`;
    list.append(
      el(
        'li',
        {},
        el('span', { class: 'label', text: c.label }),
        bar,
        el('span', { class: 'value', text: `${(c.probability * 100).toFixed(1)}%` }),
      ),
    );
  }
  return list;
}

/** What every prediction shows: latency, backend and adapter, model bytes float32 vs packed. */
export function predictionFacts(prediction: Prediction, demo: DemoModel, backend: DemoBackend): string {
  const { floatBytes, packedBytes } = demo.entry;
  const size =
    demo.entry.mode === 'float'
      ? `${formatBytes(floatBytes)} (float32, nothing to pack)`
      : `${formatBytes(packedBytes)} packed vs ${formatBytes(floatBytes)} float32`;
  return `${prediction.ms.toFixed(1)} ms on ${backend === 'webgpu' ? 'WebGPU' : 'the CPU backend'} · ${prediction.description} · ${demo.entry.name}: ${size}`;
}

/** A line that says what went wrong, in place of a view's result. */
export function errorLine(err: unknown): HTMLElement {
  return el('p', { class: 'error', role: 'alert', text: (err as Error).message ?? String(err) });
}
