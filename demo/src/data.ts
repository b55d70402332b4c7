/** The Fashion-MNIST samples the demo ships (demo/assets.ts writes them): labels and 0..255 pixels. */

export interface Samples {
  count: number;
  /** Pixels per image (784 for 28x28). */
  pixelsPer: number;
  labels: Uint8Array;
  pixels: Uint8Array;
}

export interface FashionInfo {
  classNames: string[];
}

async function fetchOk(path: string): Promise<Response> {
  const response = await fetch(new URL(path, document.baseURI));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}

export async function loadSamples(path: string): Promise<Samples> {
  const bytes = new Uint8Array(await (await fetchOk(path)).arrayBuffer());
  const view = new DataView(bytes.buffer);
  const count = view.getUint32(0, true);
  const pixelsPer = view.getUint32(4, true);
  if (bytes.length !== 8 + count * (1 + pixelsPer)) throw new Error(`${path}: ${bytes.length} bytes do not hold ${count} images`);
  return { count, pixelsPer, labels: bytes.subarray(8, 8 + count), pixels: bytes.subarray(8 + count) };
}

export async function loadFashionInfo(): Promise<FashionInfo> {
  return (await (await fetchOk('data/fashion-mnist.json')).json()) as FashionInfo;
}

/** One image's pixels. */
export const imageOf = (samples: Samples, i: number) => samples.pixels.subarray(i * samples.pixelsPer, (i + 1) * samples.pixelsPer);
