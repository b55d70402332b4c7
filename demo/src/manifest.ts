/** What demo/assets.ts writes into models/manifest.json, one entry per shipped model. */
export interface DemoManifestEntry {
  /** The folder under models/, e.g. "lenet5-xnor-mnist". */
  name: string;
  mode: 'float' | 'bwn' | 'xnor';
  dataset: string;
  /** Test accuracy (0..1) from the model's curve.json, when it has one. */
  accuracy: number | undefined;
  testSamples: number | undefined;
  /** Weight bytes as float32, and as the deployable model stores them (binary layers packed). */
  floatBytes: number;
  packedBytes: number;
  /** The safetensors file's size. */
  fileBytes: number;
}
