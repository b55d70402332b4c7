/**
 * The files the demo fetches, made from the repository at build time (and served by the dev
 * server): the shipped models of `models/` with a manifest, and Fashion-MNIST samples from
 * Debian's dataset-fashion-mnist (never committed: the data is read where it is installed).
 *
 *   models/manifest.json                 one entry per shipped model (mode, dataset, accuracy, sizes)
 *   models/<name>/model.json, .safetensors
 *   data/fashion-gallery.bin             the gallery's test images
 *   data/fashion-train.bin               the training subset of "Train in the tab"
 *   data/fashion-test.bin                its test subset
 *   data/fashion-mnist.json              class names and the files' counts
 *   _headers                             COOP/COEP for hosts that read it (Netlify, Cloudflare Pages)
 *
 * A .bin file: u32 count, u32 pixels per image (little-endian), `count` label bytes, then
 * `count` images of 0..255 pixel bytes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { subset } from '../src/train/data/dataset.js';
import type { LabelledImages } from '../src/train/data/dataset.js';
import { loadFashionMnist } from '../src/train/data/fashion-mnist.js';
import { totalCost, layerCosts } from '../src/model/costs.js';
import { modelFromFiles } from '../src/model/model.js';
import { createRng } from '../src/util/random.js';
import { ISOLATION_HEADERS } from './isolation-headers.js';
import type { DemoManifestEntry } from './src/manifest.js';

const MODELS_DIR = new URL('../models/', import.meta.url).pathname;
const GALLERY = 48;
const TRAIN = 2000;
const TEST = 500;

function encode(data: LabelledImages): Uint8Array {
  const per = data.images.length / data.count;
  const bytes = new Uint8Array(8 + data.count + data.count * per);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, data.count, true);
  view.setUint32(4, per, true);
  data.labels.forEach((label, i) => (bytes[8 + i] = label));
  bytes.set(
    Uint8Array.from(data.images, (p) => Math.round(p)),
    8 + data.count,
  );
  return bytes;
}

/** `count` distinct indices below `size`, seeded, in increasing order. */
function sample(size: number, count: number, seed: number): number[] {
  const rng = createRng(seed);
  const indices = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng.next() * (size - i));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices.slice(0, count).sort((a, b) => a - b);
}

function modelFiles(files: Map<string, Uint8Array | string>): void {
  const manifest: DemoManifestEntry[] = [];
  for (const name of readdirSync(MODELS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    const json = readFileSync(join(MODELS_DIR, name, 'model.json'), 'utf8');
    const weights = new Uint8Array(readFileSync(join(MODELS_DIR, name, 'model.safetensors')));
    const curve = JSON.parse(readFileSync(join(MODELS_DIR, name, 'curve.json'), 'utf8')) as {
      test?: { accuracy: number; samples: number };
    };
    const model = modelFromFiles({ json, weights, source: `models/${name}/model.json` });
    const cost = totalCost(layerCosts(model.graph));
    const [, mode, ...dataset] = name.split('-');
    manifest.push({
      name,
      mode: mode as DemoManifestEntry['mode'],
      dataset: dataset.join('-'),
      accuracy: curve.test?.accuracy,
      testSamples: curve.test?.samples,
      floatBytes: cost.floatBytes,
      packedBytes: cost.packedBytes,
      fileBytes: weights.byteLength,
    });
    files.set(`models/${name}/model.json`, json);
    files.set(`models/${name}/model.safetensors`, weights);
  }
  files.set('models/manifest.json', JSON.stringify(manifest, null, 2));
}

function dataFiles(files: Map<string, Uint8Array | string>): void {
  const { train, test } = loadFashionMnist();
  files.set('data/fashion-gallery.bin', encode(subset(test, sample(test.count, GALLERY, 11))));
  files.set('data/fashion-train.bin', encode(subset(train, sample(train.count, TRAIN, 12))));
  files.set('data/fashion-test.bin', encode(subset(test, sample(test.count, TEST, 13))));
  files.set('data/fashion-mnist.json', JSON.stringify({ classNames: train.classNames, gallery: GALLERY, train: TRAIN, test: TEST }));
}

/** Every generated file, by its path in the site. */
export function demoFiles(): Map<string, Uint8Array | string> {
  const files = new Map<string, Uint8Array | string>();
  modelFiles(files);
  dataFiles(files);
  files.set(
    '_headers',
    `/*\n${Object.entries(ISOLATION_HEADERS)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}\n`,
  );
  return files;
}

const TYPES: [RegExp, string][] = [
  [/\.json$/, 'application/json'],
  [/\.(bin|safetensors)$/, 'application/octet-stream'],
];

/** Serves the files in `vite` (dev) and writes them into the build. */
export function demoAssets(): Plugin {
  let files: Map<string, Uint8Array | string> | undefined;
  const all = () => (files ??= demoFiles());
  return {
    name: 'xnornet-demo-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0]!.replace(/^\//, ''));
        const body = all().get(path);
        if (body === undefined) return next();
        res.setHeader('content-type', TYPES.find(([p]) => p.test(path))?.[1] ?? 'text/plain');
        res.end(body);
      });
    },
    generateBundle() {
      for (const [fileName, source] of all()) this.emitFile({ type: 'asset', fileName, source });
    },
  };
}
