/** Gallery: Fashion-MNIST test images classified in one batch, each marked right or wrong. */
import { pixelsToInput } from '../../../src/index.js';
import type { App } from '../app.js';
import { type Samples, imageOf, loadSamples } from '../data.js';
import { el, errorLine, pixelCanvas, predictionFacts } from '../ui.js';

export async function render(app: App, panel: HTMLElement): Promise<void> {
  const samples: Samples = await loadSamples('data/fashion-gallery.bin');
  const summary = el('div', { class: 'result', 'aria-live': 'polite' });
  const grid = el('ul', { class: 'gallery' });
  panel.append(
    el('p', {
      class: 'intro',
      text: `${samples.count} Fashion-MNIST test images (never seen in training), classified as one batch. Choose one to look inside.`,
    }),
    summary,
    grid,
  );
  const classify = async () => {
    try {
      const demo = app.modelFor('fashion-mnist');
      const input = pixelsToInput(demo.model, { shape: [samples.count, 1, 28, 28], data: samples.pixels });
      const prediction = await app.engine.predict(demo, app.backend, input, 1);
      const names = app.fashion.classNames;
      let right = 0;
      const items = prediction.classes.map(([top], i) => {
        const truth = names[samples.labels[i]!]!;
        const ok = top!.label === truth;
        if (ok) right++;
        const button = el(
          'button',
          {
            type: 'button',
            class: ok ? 'right' : 'wrong',
            'aria-label': `image ${i}: ${truth}, predicted ${top!.label}${ok ? '' : ' (wrong)'}`,
          },
          pixelCanvas(imageOf(samples, i), 28, 28, 72, truth),
          el('span', { text: ok ? `✓ ${top!.label}` : `✗ ${top!.label}, is ${truth}` }),
        );
        button.addEventListener('click', () => {
          app.looked = { demo, pixels: imageOf(samples, i), caption: `gallery image ${i} (${truth})` };
          dispatchEvent(new CustomEvent('xnornet-open', { detail: 'inside' }));
        });
        return el('li', {}, button);
      });
      grid.replaceChildren(...items);
      const accuracy =
        demo.entry.accuracy === undefined
          ? ''
          : `, ${(demo.entry.accuracy * 100).toFixed(2)}% on the whole test set (${demo.entry.testSamples ?? '?'} images)`;
      summary.replaceChildren(
        el('p', { class: 'answer', text: `${right} of ${samples.count} right here${accuracy}` }),
        el('p', { class: 'facts', text: `${predictionFacts(prediction, demo, app.backend)} (batch of ${samples.count})` }),
      );
      app.hooks.gallery = prediction.classes.map(([top], i) => ({
        model: demo.entry.name,
        index: i,
        label: top!.label,
        truth: names[samples.labels[i]!]!,
      }));
    } catch (err) {
      summary.replaceChildren(errorLine(err));
    }
  };
  app.onSwitch(() => void classify());
  await classify();
}
