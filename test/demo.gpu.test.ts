/**
 * The demo end to end: built as the static site `npm run build:demo` writes, served on
 * 127.0.0.1 (cross-origin isolated), driven in Debian's headless Chromium with WebGPU on
 * SwiftShader, and once more with WebGPU switched off. Screenshots of each view go to
 * test-artifacts/demo/ (not committed) and must not be blank.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles } from '../src/model/model.js';
import { writeNpy } from '../src/model/npy.js';
import { classify, pixelsToInput } from '../src/runner/classify.js';
import { createRunner } from '../src/runner/runner.js';
import type { TestHooks } from '../demo/src/app.js';
import { launchChromium, serve } from './helpers/browser.js';

const exec = promisify(execFile);
const ARTIFACTS = resolve('test-artifacts/demo');

function readTree(dir: string, prefix = ''): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) for (const [k, v] of readTree(path, `${prefix}/${name}`)) files.set(k, v);
    else files.set(`${prefix}/${name}`, new Uint8Array(readFileSync(path)));
  }
  return files;
}

/** Builds the site into a temporary folder; resolves with its files by URL path. */
async function buildSite(): Promise<Map<string, Uint8Array>> {
  const outDir = mkdtempSync(join(tmpdir(), 'xnornet-demo-'));
  await build({ configFile: resolve('demo/vite.config.ts'), logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  const files = readTree(outDir);
  files.set('/', files.get('/index.html')!);
  return files;
}

async function launchOrSkip(): Promise<Browser | undefined> {
  try {
    return await launchChromium();
  } catch (err) {
    const reason = (err as Error).message;
    if (process.env['XNORNET_REQUIRE_GPU'] === '1') throw new Error(`XNORNET_REQUIRE_GPU=1 but the demo suite cannot run: ${reason}`);
    console.warn(`[xnornet] SKIPPING demo suite: ${reason}`);
    return undefined;
  }
}

const browser = await launchOrSkip();
const browsers: Browser[] = browser ? [browser] : [];
let site: Map<string, Uint8Array>;
let server: Server | undefined;
let url = '';

beforeAll(async () => {
  if (!browser) return;
  site = await buildSite();
  server = await serve(site, true);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}, 180_000);

afterAll(async () => {
  for (const b of browsers) await b.close();
  server?.close();
});

const hooksOf = (page: Page) => page.evaluate(() => (globalThis as unknown as { xnornetDemo: TestHooks }).xnornetDemo);

async function openDemo(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  await page.goto(url);
  await page.waitForFunction(() => (globalThis as unknown as { xnornetDemo?: TestHooks }).xnornetDemo?.ready, null, { timeout: 60_000 });
  return page;
}

/** Saves a screenshot of the page and checks that it shows something: many distinct colours. */
async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const bytes = await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const png = PNG.sync.read(bytes);
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i));
  expect(colours.size, `${name}.png has ${colours.size} colours`).toBeGreaterThan(50);
}

/** Draws a "7" on the drawing canvas, stroke by stroke, as a mouse would. */
async function drawSeven(page: Page): Promise<void> {
  const box = (await page.locator('canvas.draw').boundingBox())!;
  const at = (x: number, y: number) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
  const strokes = [
    [
      [70, 60],
      [210, 60],
    ],
    [
      [210, 60],
      [120, 240],
    ],
  ];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]![0]!, stroke[0]![1]!));
    await page.mouse.down();
    for (let t = 1; t <= 12; t++) {
      const [x0, y0] = stroke[0]!;
      const [x1, y1] = stroke[1]!;
      await page.mouse.move(...at(x0! + ((x1! - x0!) * t) / 12, y0! + ((y1! - y0!) * t) / 12));
    }
    await page.mouse.up();
  }
  await page.waitForFunction(() => (globalThis as unknown as { xnornetDemo: TestHooks }).xnornetDemo.drawn, null, { timeout: 60_000 });
}

/** What the Node CLI predicts for 28x28 pixels, given as the tensor the page classified (preprocessed, a float32 .npy). */
async function cliPrediction(name: string, pixels: number[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'xnornet-demo-cli-'));
  const model = siteModel(name);
  writeFileSync(join(dir, 'drawn.npy'), writeNpy(pixelsToInput(model, { shape: [1, 1, 28, 28], data: Uint8Array.from(pixels) })));
  writeFileSync(join(dir, 'model.json'), site.get(`/models/${name}/model.json`)!);
  writeFileSync(join(dir, 'model.safetensors'), site.get(`/models/${name}/model.safetensors`)!);
  const cli = [resolve('dist/xnornet.js'), 'predict', join(dir, 'model.json'), join(dir, 'drawn.npy'), '--backend', 'cpu', '--top', '1'];
  const { stdout } = await exec('node', cli);
  const match = /^\s+1\.\s+[\d.]+%\s+(.+)$/m.exec(stdout);
  if (!match) throw new Error(`unexpected output of xnornet predict: ${stdout}`);
  return match[1]!.trim();
}

/** A model as the site serves it. */
function siteModel(name: string) {
  const json = new TextDecoder().decode(site.get(`/models/${name}/model.json`)!);
  return modelFromFiles({ json, weights: site.get(`/models/${name}/model.safetensors`)!, source: name });
}

describe.skipIf(!browser)('the demo in headless Chromium', () => {
  let page: Page;
  let drawn: NonNullable<TestHooks['drawn']>;

  it('opens on WebGPU with the draw view, without errors', async () => {
    page = await openDemo(browser!);
    const hooks = await hooksOf(page);
    expect(hooks.gpu.available).toBe(true);
    expect(hooks.backend).toBe('webgpu');
    expect(hooks.errors).toEqual([]);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  }, 90_000);

  it('classifies a digit drawn stroke by stroke as the Node CLI does on the same 28x28 input', async () => {
    await drawSeven(page);
    drawn = (await hooksOf(page)).drawn!;
    expect(drawn.model).toBe('lenet5-xnor-mnist');
    expect(drawn.pixels.filter((p) => p > 0).length).toBeGreaterThan(40);
    expect(drawn.label).toBe(await cliPrediction(drawn.model, drawn.pixels));
    expect(await page.locator('#panel-draw .facts').textContent()).toMatch(/ms on WebGPU .*packed vs/);
    await screenshot(page, 'draw');
    // The model switch re-classifies the drawing with the float and BWN MNIST models, then back.
    for (const mode of ['float', 'bwn', 'xnor']) {
      await page.locator('.switches label').filter({ hasText: 'Model' }).first().locator('select').selectOption(mode);
      await page.waitForFunction(
        (m) => (globalThis as unknown as { xnornetDemo: TestHooks }).xnornetDemo.drawn?.model === `lenet5-${m}-mnist`,
        mode,
        {
          timeout: 30_000,
        },
      );
    }
  }, 120_000);

  it('classifies the gallery as the library does in Node, and marks right and wrong', async () => {
    await page.click('#tab-gallery');
    await page.waitForFunction(() => (globalThis as unknown as { xnornetDemo: TestHooks }).xnornetDemo.gallery, null, { timeout: 90_000 });
    const gallery = (await hooksOf(page)).gallery!;
    const bin = site.get('/data/fashion-gallery.bin')!;
    const count = new DataView(bin.buffer, bin.byteOffset).getUint32(0, true);
    expect(gallery).toHaveLength(count);
    const name = gallery[0]!.model;
    const model = siteModel(name);
    const runner = await createRunner(model, 'cpu', { threads: 1 });
    const input = pixelsToInput(model, { shape: [count, 1, 28, 28], data: bin.subarray(8 + count) });
    const expected = (await classify(runner, model, input, { topK: 1 })).map(([top]) => top!.label);
    runner.close();
    expect(gallery.map((g) => g.label)).toEqual(expected);
    expect(gallery.filter((g) => g.label === g.truth).length).toBeGreaterThan(0.75 * count);
    expect(await page.locator('.gallery .wrong').count()).toBe(gallery.filter((g) => g.label !== g.truth).length);
    await screenshot(page, 'gallery');
  }, 120_000);

  it('opens the inside view of a gallery image: binary filters, binarized activations, K map, any layer', async () => {
    await page.locator('.gallery button').first().click();
    await page.waitForFunction(() => (globalThis as unknown as { xnornetDemo: TestHooks }).xnornetDemo.inside, null, { timeout: 90_000 });
    const inside = (await hooksOf(page)).inside!;
    expect(inside.sections).toEqual(
      expect.arrayContaining([
        'Binary filters of conv2',
        'K map of conv2',
        "Binarized activations: sign of bn2 (conv2's input)",
        'Any layer',
      ]),
    );
    await page.selectOption('#panel-inside select', 'fc1');
    expect(await page.locator('#panel-inside').textContent()).toContain('fc1: binlinear, output [1, 500]');
    await screenshot(page, 'inside');
  }, 120_000);

  it('classifies an uploaded picture through the image-to-class path', async () => {
    await page.click('#tab-upload');
    // A dark band on white (inverted by the page, as the data is light on black): any class will do, but an answer must come.
    const png = new PNG({ width: 40, height: 30 });
    for (let i = 0; i < 40 * 30; i++) png.data.set(i % 40 > 10 && i % 40 < 30 ? [30, 30, 30, 255] : [255, 255, 255, 255], i * 4);
    await page.setInputFiles('#panel-upload input[type=file]', { name: 'shirt.png', mimeType: 'image/png', buffer: PNG.sync.write(png) });
    await page.waitForFunction(() => document.querySelector('#panel-upload .facts')?.textContent?.includes(' ms on '), null, {
      timeout: 60_000,
    });
    expect(await page.locator('#panel-upload .bars li').count()).toBe(5);
    expect(await page.locator('#panel-upload .answer').textContent()).toMatch(/\S/);
    await screenshot(page, 'upload');
  }, 90_000);

  it('trains a LeNet-5 in the tab, its loss falling, and uses it', async () => {
    await page.click('#tab-train');
    const choose = (label: string, value: string) =>
      page.locator('#panel-train label').filter({ hasText: label }).locator('select').selectOption(value);
    await choose('Images', '250');
    await choose('Epochs', '2');
    await choose('Batch', '32');
    await page.getByRole('button', { name: 'Train' }).click();
    await page.waitForFunction(
      () => {
        const t = (globalThis as unknown as { xnornetDemo: TestHooks }).xnornetDemo.training;
        return t?.done || t?.error;
      },
      null,
      { timeout: 240_000 },
    );
    const training = (await hooksOf(page)).training!;
    expect(training.error).toBeUndefined();
    console.log(
      `[xnornet] demo training on ${training.description}, ${training.imagesPerSecond?.toFixed(0)} images/s: losses ${training.losses.map((l) => l.toFixed(2)).join(' ')}`,
    );
    // SwiftShader emulates a GPU on the CPU, so the tab trains on the cpu backend by default (WebGPU training in a page: browser-train.gpu.test.ts).
    expect(training.description).toMatch(/^cpu backend/);
    expect(training.losses).toHaveLength(16);
    expect(training.losses.at(-1)!).toBeLessThan(0.8 * training.losses[0]!);
    expect(training.accuracy!).toBeGreaterThan(0.3);
    expect(await page.getByRole('link', { name: 'Download model.safetensors' }).isVisible()).toBe(true);
    await screenshot(page, 'train');
    await page.click('#tab-gallery');
    await page.waitForFunction(
      () => (globalThis as unknown as { xnornetDemo: TestHooks }).xnornetDemo.gallery?.[0]?.model === 'trained-in-tab',
      null,
      { timeout: 60_000 },
    );
  }, 300_000);

  it('runs the benchmark page: kernel rows and LeNet-5 rows, as a table and a chart', async () => {
    await page.click('#tab-bench');
    await page.locator('#panel-bench input[type=checkbox]').uncheck();
    await page.getByRole('button', { name: 'Run the benchmark' }).click();
    await page.waitForFunction(() => document.querySelector('#panel-bench .facts')?.textContent === 'Done.', null, { timeout: 240_000 });
    const tables = await page.locator('#panel-bench table').allInnerTexts();
    console.log(`[xnornet] the demo's benchmark page:\n${tables.join('\n')}`);
    expect(tables).toHaveLength(2);
    expect(await page.locator('#panel-bench table').nth(0).locator('tbody tr').count()).toBe(3);
    // Two LeNet-5 models on WebGPU and on the CPU backend with 1 and all threads.
    const threads = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(await page.locator('#panel-bench table').nth(1).locator('tbody tr').count()).toBe(2 * (threads > 1 ? 3 : 2));
    expect(await page.locator('#panel-bench .chart svg').count()).toBe(1);
    expect(await page.locator('#panel-bench .chart svg .mark-symbol.role-mark path').count()).toBe(2 * (threads > 1 ? 3 : 2));
    await screenshot(page, 'bench');
    expect((await hooksOf(page)).errors).toEqual([]);
  }, 300_000);

  it('without WebGPU, on a phone-sized screen, shows a banner and answers the drawing the same on the CPU backend', async () => {
    const noGpu = await launchChromium({ webgpu: false });
    browsers.push(noGpu);
    const cpuPage = await openDemo(noGpu);
    const hooks = await hooksOf(cpuPage);
    expect(hooks.gpu.available).toBe(false);
    expect(hooks.backend).toBe('cpu');
    expect(await cpuPage.locator('.banner').textContent()).toContain('WebGPU is not available');
    await drawSeven(cpuPage);
    const cpuDrawn = (await hooksOf(cpuPage)).drawn!;
    expect(cpuDrawn.pixels).toEqual(drawn.pixels);
    expect(cpuDrawn.label).toBe(drawn.label);
    expect(await cpuPage.locator('#panel-draw .facts').textContent()).toContain('on the CPU backend');
    await screenshot(cpuPage, 'draw-without-webgpu');
    // A phone-sized screen: everything fits its width.
    await cpuPage.setViewportSize({ width: 390, height: 844 });
    expect(await cpuPage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(cpuPage, 'draw-phone');
  }, 120_000);
});
