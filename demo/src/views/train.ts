/**
 * Train in the tab: LeNet-5 (float, BWN or XNOR) on a Fashion-MNIST subset, in a worker, on
 * WebGPU or the cpu backend, with a live loss and accuracy chart and a stop button; the model
 * then serves the other views and downloads as model files.
 */
import { chartSvg } from '../../../bench/chart.js';
import { type BatchProgress, type ModelJson, preprocessOf } from '../../../src/index.js';
import { formatBytes } from '../../../src/util/format.js';
import { type App, MODES } from '../app.js';
import { loadSamples } from '../data.js';
import type { TrainReply, TrainRequest } from '../train-messages.js';
import { el, errorLine, select } from '../ui.js';

const CHART_EVERY_MS = 400;

interface Point {
  step: number;
  loss: number;
  accuracy: number;
}

async function drawChart(box: HTMLElement, points: Point[]): Promise<void> {
  const series = (key: 'loss' | 'accuracy', color: string) => [
    { label: key, color, dots: points.length < 60, points: points.map((p) => ({ x: p.step, y: p[key] })) },
  ];
  const svg = await chartSvg(
    'Training in this tab',
    [
      { title: 'loss (mean of the epoch so far)', x: { title: 'batch' }, y: { title: 'cross-entropy' }, series: series('loss', '#c0392b') },
      { title: 'training accuracy', x: { title: 'batch' }, y: { title: 'fraction right' }, series: series('accuracy', '#2980b9') },
    ],
    { width: 260, height: 180 },
  );
  box.innerHTML = svg;
}

function download(name: string, body: BlobPart, type: string): HTMLAnchorElement {
  return el('a', { href: URL.createObjectURL(new Blob([body], { type })), download: name, text: `Download ${name}` });
}

export function render(app: App, panel: HTMLElement): void {
  // Training pays per-dispatch costs many times over: on an emulated adapter the CPU backend is faster.
  const gpuFirst = app.engine.gpu.available && !app.engine.gpu.emulated;
  const settings = { mode: app.mode as string, backend: gpuFirst ? 'webgpu' : 'cpu', samples: '1000', epochs: '3', batch: '64' };
  const set = (key: keyof typeof settings) => (value: string) => (settings[key] = value);
  const backends: [string, string][] = [
    ['cpu', 'CPU backend (WebAssembly)'],
    ...(app.engine.gpu.available ? [['webgpu', 'WebGPU'] as [string, string]] : []),
  ];
  const start = el('button', { type: 'button', text: 'Train' });
  const stop = el('button', { type: 'button', text: 'Stop', disabled: true });
  const status = el('p', { class: 'facts', 'aria-live': 'polite', text: 'Not started.' });
  const chart = el('div', { class: 'chart', role: 'img', 'aria-label': 'Loss and accuracy during training' });
  const outcome = el('div', { class: 'result' });
  panel.append(
    el('p', {
      class: 'intro',
      text: 'Train a LeNet-5 here, from scratch, on Fashion-MNIST images (Algorithm 1 of the paper for BWN and XNOR): Adam, learning rate 0.001.',
    }),
    el(
      'div',
      { class: 'switches' },
      select('Model', MODES, settings.mode, set('mode')),
      select('On', backends, settings.backend, set('backend')),
      select(
        'Images',
        ['250', '500', '1000', '2000'].map((n) => [n, n]),
        settings.samples,
        set('samples'),
      ),
      select(
        'Epochs',
        ['1', '2', '3', '5', '10'].map((n) => [n, n]),
        settings.epochs,
        set('epochs'),
      ),
      select(
        'Batch',
        ['16', '32', '64', '128'].map((n) => [n, n]),
        settings.batch,
        set('batch'),
      ),
      start,
      stop,
    ),
    status,
    chart,
    outcome,
  );
  if (app.engine.gpu.emulated) {
    status.before(
      el('p', { class: 'note', text: `${app.engine.gpu.detail} emulates a GPU on the CPU: the CPU backend trains faster here.` }),
    );
  }

  let worker: Worker | undefined;
  start.addEventListener('click', async () => {
    start.disabled = true;
    stop.disabled = false;
    outcome.replaceChildren();
    const points: Point[] = [];
    app.hooks.training = { losses: [], done: false };
    let lastChart = 0;
    const [train, test] = await Promise.all([loadSamples('data/fashion-train.bin'), loadSamples('data/fashion-test.bin')]);
    const count = Number(settings.samples);
    const shipped = app.engine.find('fashion-mnist', 'xnor')!;
    const request: TrainRequest = {
      type: 'start',
      mode: settings.mode as 'float' | 'bwn' | 'xnor',
      backend: settings.backend as 'webgpu' | 'cpu',
      epochs: Number(settings.epochs),
      batch: Number(settings.batch),
      lr: 1e-3,
      seed: 1,
      classNames: app.fashion.classNames,
      preprocess: preprocessOf(shipped.model),
      train: { pixels: train.pixels.slice(0, count * 784), labels: train.labels.slice(0, count) },
      test: { pixels: test.pixels.slice(), labels: test.labels.slice() },
    };
    worker?.terminate();
    worker = new Worker(new URL('../train-worker.ts', import.meta.url), { type: 'module' });
    const finish = () => {
      start.disabled = false;
      stop.disabled = true;
    };
    const onBatch = (p: BatchProgress) => {
      points.push({ step: points.length + 1, loss: p.loss, accuracy: p.accuracy });
      app.hooks.training!.losses.push(p.loss);
      app.hooks.training!.imagesPerSecond = p.imagesPerSecond;
      status.textContent = `epoch ${p.epoch + 1}/${p.epochs}, batch ${p.batch}/${p.batches}: loss ${p.loss.toFixed(3)}, accuracy ${(p.accuracy * 100).toFixed(1)}%, ${p.imagesPerSecond.toFixed(0)} images/s, ${Math.ceil(p.etaSeconds)} s left`;
      if (performance.now() - lastChart > CHART_EVERY_MS) {
        lastChart = performance.now();
        void drawChart(chart, points);
      }
    };
    worker.addEventListener('message', (event: MessageEvent<TrainReply>) => {
      const reply = event.data;
      if (reply.type === 'started') app.hooks.training!.description = reply.description;
      else if (reply.type === 'batch') onBatch(reply.progress);
      else if (reply.type === 'epoch') status.textContent += ` · epoch ${reply.record.epoch} done`;
      else if (reply.type === 'error') {
        app.hooks.training!.error = reply.message;
        outcome.replaceChildren(errorLine(new Error(reply.message)));
        finish();
      } else if (reply.type === 'done') {
        void drawChart(chart, points);
        finish();
        const done = accept(app, reply, settings.mode as 'float' | 'bwn' | 'xnor', test.count);
        outcome.replaceChildren(...done);
        app.hooks.training = { ...app.hooks.training!, done: true, accuracy: reply.accuracy };
      }
    });
    worker.addEventListener('error', (e) => {
      outcome.replaceChildren(errorLine(new Error(`the training worker failed: ${e.message}`)));
      finish();
    });
    worker.postMessage(request, [request.train.pixels.buffer, request.test.pixels.buffer]);
    status.textContent = 'Starting…';
  });
  stop.addEventListener('click', () => {
    worker?.postMessage({ type: 'stop' } satisfies TrainRequest);
    stop.disabled = true;
    status.textContent += ' · stopping after this batch';
  });
}

/** The trained model joins the others (the "use the model trained in this tab" switch); its files download. */
function accept(app: App, reply: Extract<TrainReply, { type: 'done' }>, mode: 'float' | 'bwn' | 'xnor', tested: number): Node[] {
  const json: ModelJson = { ...reply.json, weights: 'model.safetensors' };
  app.engine.add('trained-in-tab', mode, 'fashion-mnist', json, reply.weights, reply.accuracy);
  dispatchEvent(new CustomEvent('xnornet-trained'));
  return [
    el('p', {
      class: 'answer',
      text: `${reply.stopped ? 'Stopped. ' : ''}Test accuracy ${(reply.accuracy * 100).toFixed(1)}% on ${tested} test images; model weights ${formatBytes(reply.weights.byteLength)}.`,
    }),
    el('p', { text: 'The other views now use this model (see the switch at the top).' }),
    el(
      'p',
      {},
      download('model.json', `${JSON.stringify(json, null, 2)}\n`, 'application/json'),
      ' ',
      download('model.safetensors', reply.weights as Uint8Array<ArrayBuffer>, 'application/octet-stream'),
    ),
    el('p', { class: 'note', text: 'Run it anywhere: npx xnornet predict model.json picture.png' }),
  ];
}
