/** Training in a browser tab: LeNet-5 XNOR on WebGPU (SwiftShader) in headless Chromium, its loss falling. */
import { afterAll, describe, expect, it } from 'vitest';
import { subset } from '../src/train/data/dataset.js';
import { loadFashionMnist } from '../src/train/data/fashion-mnist.js';
import type { trainSteps } from './browser/train-steps.js';
import { type BrowserPage, openPageWith } from './helpers/browser.js';

async function openOrSkip(): Promise<BrowserPage | undefined> {
  try {
    return await openPageWith('test/browser/train-steps.ts', 'trainSteps');
  } catch (err) {
    const reason = (err as Error).message;
    if (process.env['XNORNET_REQUIRE_GPU'] === '1')
      throw new Error(`XNORNET_REQUIRE_GPU=1 but the browser training suite cannot run: ${reason}`);
    console.warn(`[xnornet] SKIPPING browser training suite: ${reason}`);
    return undefined;
  }
}

const browser = await openOrSkip();
afterAll(() => browser?.close());

describe.skipIf(!browser)('training in headless Chromium', () => {
  it('trains LeNet-5 XNOR on WebGPU a few steps and sees the loss fall', async () => {
    const data = subset(
      loadFashionMnist().train,
      Array.from({ length: 32 }, (_, i) => i * 1000),
    );
    const result = await browser!.page.evaluate(
      ([images, labels]) => (globalThis as unknown as { trainSteps: typeof trainSteps }).trainSteps(images, labels, 6),
      [Array.from(data.images), Array.from(data.labels)] as const,
    );
    console.log(`[xnornet] browser training runs on: ${result.description}; losses ${result.losses.map((l) => l.toFixed(3)).join(' ')}`);
    expect(result.description).toMatch(/^WebGPU on /);
    expect(result.losses).toHaveLength(6);
    expect(result.losses[5]!).toBeLessThan(0.8 * result.losses[0]!);
  }, 180_000);
});
