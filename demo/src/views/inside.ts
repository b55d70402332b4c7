/**
 * Look inside: for the current input (a drawing or a gallery image), the first binary layer's
 * filters as black and white tiles with their alpha, the float first layer's outputs, the
 * binarized activations and the K map, and any layer's output, all from the library (its
 * per-layer outputs, its packed weights, its reference K).
 */
import { type Tensor, pixelsToInput, reference, sign, unpackWeights } from '../../../src/index.js';
import type { GraphNode } from '../../../src/index.js';
import type { App, Looked } from '../app.js';
import { el, errorLine, pixelCanvas, select } from '../ui.js';

const MAX_FILTERS = 12;
const MAX_MAPS = 50;

/** Values scaled to 0..255 by their own range (a constant map is mid-grey). */
function toGrey(values: ArrayLike<number>): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  return Uint8Array.from({ length: values.length }, (_, i) => (hi > lo ? Math.round((255 * (values[i]! - lo)) / (hi - lo)) : 128));
}

/** +1 white, -1 black. */
const blackWhite = (values: ArrayLike<number>) => Uint8Array.from({ length: values.length }, (_, i) => (values[i]! > 0 ? 255 : 0));

/** The channels of a [1, C, H, W] tensor as a grid of images; a [1, F] vector as one image, as square as F allows. */
function mapsGrid(tensor: Tensor<Float32Array>, name: string, shade: (v: ArrayLike<number>) => Uint8Array = toGrey): HTMLElement {
  const grid = el('div', { class: 'maps' });
  if (tensor.rank === 4) {
    const [, c, h, w] = tensor.shape as [number, number, number, number];
    for (let i = 0; i < Math.min(c, MAX_MAPS); i++) {
      grid.append(pixelCanvas(shade(tensor.data.subarray(i * h * w, (i + 1) * h * w)), w, h, Math.max(48, w * 2), `${name} channel ${i}`));
    }
    if (c > MAX_MAPS) grid.append(el('span', { text: `… ${c - MAX_MAPS} more channels` }));
  } else {
    const f = tensor.size;
    let w = Math.ceil(Math.sqrt(f));
    while (f % w !== 0 && w < f) w++;
    grid.append(pixelCanvas(shade(tensor.data), w, f / w, 160, `${name}: ${f} values`));
  }
  return grid;
}

const shapeText = (t: Tensor<Float32Array>) => `[${t.shape.join(', ')}]`;

function section(title: string, note: string, ...content: Node[]): HTMLElement {
  return el(
    'section',
    { class: 'inside-part', 'aria-label': title },
    el('h3', { text: title }),
    el('p', { class: 'note', text: note }),
    ...content,
  );
}

/** Filters of a binary conv layer: one row per filter (its input channels' kh x kw signs), with its alpha. */
function filterTiles(looked: Looked, node: GraphNode): HTMLElement {
  const weights = looked.demo.model.weights.get(node.name);
  if (weights?.kind !== 'binary') return el('p', { text: `${node.name} has no packed weights` });
  const signs = unpackWeights(weights.packed);
  const [cout, cin, kh = 1, kw = 1] = signs.shape as [number, number, number?, number?];
  const rows = el('div', { class: 'filters' });
  for (let o = 0; o < Math.min(cout, MAX_FILTERS); o++) {
    const row = el('div', { class: 'filter' }, el('span', { class: 'alpha', text: `α ${weights.packed.alpha.data[o]!.toFixed(4)}` }));
    for (let c = 0; c < cin; c++) {
      const at = (o * cin + c) * kh * kw;
      row.append(pixelCanvas(blackWhite(signs.data.subarray(at, at + kh * kw)), kw, kh, 20, `filter ${o} channel ${c}`));
    }
    rows.append(row);
  }
  return rows;
}

async function show(app: App, looked: Looked, body: HTMLElement): Promise<void> {
  const { demo } = looked;
  const graph = demo.model.graph;
  const input = pixelsToInput(demo.model, { shape: [1, 1, 28, 28], data: looked.pixels });
  const outputs = await app.engine.layerOutputs(demo, app.backend, input);
  const parts: HTMLElement[] = [];
  const sections: string[] = [];
  const add = (title: string, note: string, ...content: Node[]) => {
    sections.push(title);
    parts.push(section(title, note, ...content));
  };
  add('Input', `${looked.caption}, ${demo.entry.name}`, pixelCanvas(looked.pixels, 28, 28, 112, 'the input'));
  const first = graph.nodes.find((n) => n.attrs.op === 'conv2d' || n.attrs.op === 'binconv2d')!;
  add(
    `First layer: ${first.name} (${first.attrs.op === 'conv2d' ? 'float' : 'binary'})`,
    `its output ${shapeText(outputs.get(first.name)!)}: one grey image per channel, each scaled to its own range. The paper keeps the first layer float.`,
    mapsGrid(outputs.get(first.name)!, first.name),
  );
  const binary = graph.nodes.find((n) => n.attrs.op === 'binconv2d');
  if (!binary || binary.attrs.op !== 'binconv2d') {
    add('Binary layers', 'This is the float model: it has none. Switch the model to BWN or XNOR to see them.');
  } else {
    const { mode, kernel, stride, padding } = binary.attrs;
    add(
      `Binary filters of ${binary.name}`,
      `sign(W) of the first ${MAX_FILTERS} filters, one row each: a ${kernel.join('x')} tile per input channel, white +1, black −1; α is the filter's scale (mean |W|). Packed, each tile is ${kernel[0] * kernel[1]} bits.`,
      filterTiles(looked, binary),
    );
    const x = outputs.get(binary.inputs[0]!)!;
    if (mode === 'xnor') {
      add(
        `Binarized activations: sign of ${binary.inputs[0]} (${binary.name}'s input)`,
        `${shapeText(x)}: white +1, black −1. An XNOR layer sees only these bits, 32 channels per word.`,
        mapsGrid(x, 'binarized input', (v) => blackWhite(Array.from(v, sign))),
      );
      const k = reference.inputScale(x, kernel, stride, padding);
      add(
        `K map of ${binary.name}`,
        `K: the mean |input| over channels, averaged over each ${kernel.join('x')} window (${shapeText(k)}); it scales each output position. Bright = large.`,
        mapsGrid(k, 'K map'),
      );
    } else {
      add(
        `Activations of ${binary.name}`,
        'A BWN layer keeps its inputs float (only weights are binary): no sign, no K.',
        mapsGrid(x, 'input'),
      );
    }
  }
  const layerBox = el('div');
  const names = graph.nodes.map((n) => n.name);
  const showLayer = (name: string) => {
    const node = graph.nodes.find((n) => n.name === name)!;
    layerBox.replaceChildren(
      el('p', { class: 'note', text: `${name}: ${node.attrs.op}, output ${shapeText(outputs.get(name)!)}` }),
      mapsGrid(outputs.get(name)!, name),
    );
  };
  showLayer(names[0]!);
  add(
    'Any layer',
    'Every node of the graph can return its output.',
    select(
      'Layer',
      names.map((n) => [n, n]),
      names[0]!,
      showLayer,
    ),
    layerBox,
  );
  body.replaceChildren(...parts);
  app.hooks.inside = { model: demo.entry.name, sections };
}

export function render(app: App, panel: HTMLElement): void {
  const body = el('div', {}, el('p', { text: 'Loading…' }));
  panel.append(
    el('p', {
      class: 'intro',
      text: 'What a binary network computes, layer by layer, for one input: draw a digit or choose a gallery image, then look inside.',
    }),
    body,
  );
  const refresh = () => {
    if (panel.hidden) return;
    const looked = app.looked ?? {
      demo: app.modelFor('fashion-mnist'),
      pixels: new Uint8Array(784),
      caption: 'a blank image (choose one in the gallery)',
    };
    show(app, looked, body).catch((err) => body.replaceChildren(errorLine(err)));
  };
  // Opened again for a new input (the other views set app.looked, then open this tab).
  addEventListener('xnornet-open', (e) => (e as CustomEvent<string>).detail === 'inside' && setTimeout(refresh));
  app.onSwitch(() => {
    if (app.looked) app.looked = { ...app.looked, demo: app.modelFor(app.looked.demo.entry.dataset) };
    refresh();
  });
  refresh();
}
