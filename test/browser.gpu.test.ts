/** The browser path of createContext (navigator.gpu), in headless Chromium on SwiftShader. */
import { afterAll, describe, expect, it } from 'vitest';
import type { packCheck } from './browser/pack-check.js';
import { type BrowserPage, openPageWith } from './helpers/browser.js';
import { testRng } from './helpers/random.js';

async function openOrSkip(): Promise<BrowserPage | undefined> {
  try {
    return await openPageWith('test/browser/pack-check.ts', 'packCheck');
  } catch (err) {
    const reason = (err as Error).message;
    if (process.env['XNORNET_REQUIRE_GPU'] === '1') throw new Error(`XNORNET_REQUIRE_GPU=1 but the browser suite cannot run: ${reason}`);
    console.warn(`[xnornet] SKIPPING browser GPU suite: ${reason}`);
    return undefined;
  }
}

const browser = await openOrSkip();
afterAll(() => browser?.close());

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
});
