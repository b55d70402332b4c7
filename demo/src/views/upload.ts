/** Your image: a picture uploaded, dropped or pasted, classified through the library's image-to-class path. */
import { imageToInput } from '../../../src/index.js';
import type { App } from '../app.js';
import { el, errorLine, predictionFacts, probabilityBars, select } from '../ui.js';

export function render(app: App, panel: HTMLElement): void {
  const file = el('input', { type: 'file', accept: 'image/*' });
  const invert = el('input', { type: 'checkbox', checked: true });
  let dataset = 'fashion-mnist';
  const preview = el('canvas', { width: 1, height: 1, class: 'preview', 'aria-label': 'Your picture as the model gets it' });
  const result = el('div', { class: 'result', 'aria-live': 'polite' }, el('p', { text: 'Choose, drop or paste a picture.' }));
  panel.append(
    el('p', {
      class: 'intro',
      text: 'Classify a picture of your own. Fashion-MNIST shows light clothes on black, MNIST white digits on black: invert a photo on a light background.',
    }),
    el(
      'div',
      { class: 'switches' },
      el('label', {}, 'Picture ', file),
      select(
        'Classify as',
        [
          ['fashion-mnist', 'clothing (Fashion-MNIST)'],
          ['mnist', 'a digit (MNIST)'],
        ],
        dataset,
        (v) => {
          dataset = v;
          void classify();
        },
      ),
      el('label', {}, invert, ' invert (light background)'),
    ),
    el('div', { class: 'row drop', tabindex: 0, 'aria-label': 'Drop or paste a picture here' }, preview, result),
  );

  let bitmap: ImageBitmap | undefined;
  const classify = async () => {
    if (!bitmap) return;
    try {
      const demo = app.modelFor(dataset);
      // The picture, inverted when asked, is what the library resizes and converts.
      preview.width = bitmap.width;
      preview.height = bitmap.height;
      const ctx = preview.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(bitmap, 0, 0);
      if (invert.checked) {
        ctx.globalCompositeOperation = 'difference';
        ctx.fillStyle = '#fff';
        ctx.fillRect(0, 0, preview.width, preview.height);
        ctx.globalCompositeOperation = 'source-over';
      }
      const prediction = await app.engine.predict(demo, app.backend, imageToInput(demo.model, preview, { background: 'black' }), 5);
      result.replaceChildren(
        el('p', { class: 'answer', text: prediction.classes[0]![0]!.label }),
        probabilityBars(prediction.classes[0]!),
        el('p', { class: 'facts', text: predictionFacts(prediction, demo, app.backend) }),
      );
    } catch (err) {
      result.replaceChildren(errorLine(err));
    }
  };
  const take = async (blob: Blob | null | undefined) => {
    if (!blob) return;
    try {
      bitmap = await createImageBitmap(blob);
      await classify();
    } catch (err) {
      result.replaceChildren(errorLine(new Error(`cannot read that picture (${(err as Error).message})`)));
    }
  };
  file.addEventListener('change', () => void take(file.files?.[0]));
  invert.addEventListener('change', () => void classify());
  panel.addEventListener('dragover', (e) => e.preventDefault());
  panel.addEventListener('drop', (e) => {
    e.preventDefault();
    void take(e.dataTransfer?.files[0]);
  });
  addEventListener('paste', (e) => {
    if (panel.hidden) return;
    const item = Array.from(e.clipboardData?.items ?? []).find((i) => i.type.startsWith('image/'));
    void take(item?.getAsFile());
  });
  app.onSwitch(() => void classify());
}
