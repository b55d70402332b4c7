/** The browser paths (navigator.gpu, models fetched by URL) in headless Chromium on SwiftShader. */
import { afterAll, describe, expect, it } from 'vitest';
import { runReference } from '../src/backends/reference.js';
import { loadZooModel } from '../src/zoo/index.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { packCheck, runModelFromUrl, runModelOnCpu } from './browser/pack-check.js';
import { expectNetworksAgree } from './helpers/agreement.js';
import { randomTensor } from './helpers/random.js';
import { type BrowserPage, openPageWith } from './helpers/browser.js';
import { testRng } from './helpers/random.js';

const MODEL = loadZooModel('lenet5-xnor');

async function openOrSkip(isolated: boolean): Promise<BrowserPage | undefined> {
  try {
    const extraFiles = new Map<string, string | Uint8Array>([
      ['/models/lenet5-xnor.json', JSON.stringify(MODEL.graph.json)],
      [`/models/${MODEL.graph.json.weights}`, writeSafetensors(MODEL.tensors)],
    ]);
    return await openPageWith('test/browser/pack-check.ts', 'runModelFromUrl', { extraFiles, isolated });
  } catch (err) {
    const reason = (err as Error).message;
    if (process.env['XNORNET_REQUIRE_GPU'] === '1') throw new Error(`XNORNET_REQUIRE_GPU=1 but the browser suite cannot run: ${reason}`);
    console.warn(`[xnornet] SKIPPING browser GPU suite: ${reason}`);
    return undefined;
  }
}

const browser = await openOrSkip(false);
/** The same page served cross-origin isolated: SharedArrayBuffer exists there. */
const isolatedBrowser = browser && (await openOrSkip(true));
afterAll(() => Promise.all([browser?.close(), isolatedBrowser?.close()]));

describe.skipIf(!browser)('WebGPU in headless Chromium', () => {
  it('creates a context from navigator.gpu and packs signs bit-exactly', async () => {
    const seed = testRng().seed;
    const result = await browser!.page.evaluate(
      ([s]) => (globalThis as unknown as { packCheck: typeof packCheck }).packCheck(s, [2, 33, 9, 7]),
      [seed] as const,
    );
    console.log(`[xnornet] browser suite runs on: ${result.adapter}`);
    expect(result.words).toBe(2 * 9 * 7 * 2);
    expect(result.mismatches, `seed ${seed}`).toBe(0);
  });

  it('loads a model by URL and runs it on WebGPU, agreeing with the CPU reference', async () => {
    const rng = testRng();
    const input = randomTensor(rng, [3, 1, 28, 28]);
    const output = await browser!.page.evaluate(
      ([data, shape]) =>
        (globalThis as unknown as { runModelFromUrl: typeof runModelFromUrl }).runModelFromUrl('/models/lenet5-xnor.json', data, shape),
      [[...input.data], [...input.shape]] as const,
    );
    const expected = runReference(MODEL.graph, MODEL.weights, input).get('fc2')!;
    expectNetworksAgree([[expected, new Tensor(Float32Array.from(output), [3, 10])]], true, `lenet5-xnor in the page, seed ${rng.seed}`);
  });

  it.each([
    ['a plain page', 'rows sent back \\(no shared memory\\)', () => browser],
    ['a cross-origin isolated page', 'shared memory', () => isolatedBrowser],
  ])('runs the cpu backend on Web Workers in %s, exactly as on one thread', async (_, memory, page) => {
    const rng = testRng();
    const input = randomTensor(rng, [4, 1, 28, 28]);
    const onCpu = (threads: number | undefined) =>
      page()!.page.evaluate(
        ([data, shape, t]) =>
          (globalThis as unknown as { runModelOnCpu: typeof runModelOnCpu }).runModelOnCpu('/models/lenet5-xnor.json', data, shape, t),
        [[...input.data], [...input.shape], threads] as const,
      );
    const [one, three, byDefault] = [await onCpu(1), await onCpu(3), await onCpu(undefined)];
    expect(one.description).toMatch(/on 1 thread/);
    expect(three.description).toMatch(new RegExp(`on 3 thread\\(s\\), ${memory}`));
    expect(three.output, `seed ${rng.seed}`).toEqual(one.output);
    // By default all cores where workers share memory, else one thread (faster there).
    const cores = await page()!.page.evaluate(() => navigator.hardwareConcurrency);
    expect(byDefault.description).toMatch(new RegExp(`on ${memory === 'shared memory' ? cores : 1} thread`));
    expect(byDefault.output, `seed ${rng.seed}`).toEqual(one.output);
    const expected = runReference(MODEL.graph, MODEL.weights, input).get('fc2')!;
    expectNetworksAgree(
      [[expected, new Tensor(Float32Array.from(three.output), [4, 10])]],
      true,
      `lenet5-xnor on Web Workers, seed ${rng.seed}`,
    );
  });
});
