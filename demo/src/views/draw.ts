/** Draw: a digit drawn with mouse, touch or pen, classified live by an MNIST LeNet-5 as it grows. */
import { pixelsToInput } from '../../../src/index.js';
import type { App } from '../app.js';
import { centreLikeMnist } from '../centre.js';
import { el, errorLine, paint, pixelCanvas, predictionFacts, probabilityBars } from '../ui.js';

const SIZE = 280;
const DEBOUNCE_MS = 120;

export function render(app: App, panel: HTMLElement): void {
  const canvas = el('canvas', { width: SIZE, height: SIZE, class: 'draw', 'aria-label': 'Drawing area: draw a digit from 0 to 9' });
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIZE, SIZE);
  };
  clear();
  const seen = pixelCanvas(new Uint8Array(784), 28, 28, 112, 'What the model sees: the drawing centred and scaled to 28x28');
  const result = el('div', { class: 'result', 'aria-live': 'polite' }, el('p', { text: 'Draw a digit.' }));
  const clearButton = el('button', { type: 'button', text: 'Clear' });
  const insideButton = el('button', { type: 'button', text: 'Look inside this digit', disabled: true });
  panel.append(
    el('p', {
      class: 'intro',
      text: 'Draw a digit: a LeNet-5 trained on MNIST classifies it as you draw, centred and scaled the way MNIST digits are.',
    }),
    el(
      'div',
      { class: 'row' },
      canvas,
      el('div', {}, el('p', { class: 'caption', text: 'The model sees:' }), seen, el('p', {}, clearButton, ' ', insideButton)),
      result,
    ),
  );

  let pixels: Uint8Array = new Uint8Array(784);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let drawn = false;
  const predict = async () => {
    const ink = ctx.getImageData(0, 0, SIZE, SIZE);
    const red = Uint8Array.from({ length: SIZE * SIZE }, (_, i) => ink.data[i * 4]!);
    pixels = centreLikeMnist({ width: SIZE, height: SIZE, data: red });
    paint(seen, pixels);
    if (!drawn) return;
    try {
      const demo = app.modelFor('mnist');
      const prediction = await app.engine.predict(demo, app.backend, pixelsToInput(demo.model, { shape: [1, 1, 28, 28], data: pixels }));
      const top = prediction.classes[0]!;
      result.replaceChildren(
        el('p', { class: 'answer', text: `It is a ${top[0]!.label}` }),
        probabilityBars(top),
        el('p', { class: 'facts', text: predictionFacts(prediction, demo, app.backend) }),
      );
      app.hooks.drawn = { model: demo.entry.name, pixels: Array.from(pixels), label: top[0]!.label };
      insideButton.disabled = false;
    } catch (err) {
      result.replaceChildren(errorLine(err));
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void predict(), DEBOUNCE_MS);
  };

  let last: [number, number] | undefined;
  const point = (e: PointerEvent): [number, number] => {
    const box = canvas.getBoundingClientRect();
    return [((e.clientX - box.left) * SIZE) / box.width, ((e.clientY - box.top) * SIZE) / box.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = point(e);
    drawn = true;
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const next = point(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = SIZE / 12;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...next);
    ctx.stroke();
    last = next;
    schedule();
  });
  const end = () => {
    if (last) schedule();
    last = undefined;
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  clearButton.addEventListener('click', () => {
    clear();
    drawn = false;
    insideButton.disabled = true;
    paint(seen, new Uint8Array(784));
    result.replaceChildren(el('p', { text: 'Draw a digit.' }));
  });
  insideButton.addEventListener('click', () => {
    app.looked = { demo: app.modelFor('mnist'), pixels, caption: 'your drawing' };
    dispatchEvent(new CustomEvent('xnornet-open', { detail: 'inside' }));
  });
  app.onSwitch(() => void predict());
}
