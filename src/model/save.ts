/** Writing a model back out: model.json + safetensors, optionally with binary layers packed. */
import type { Model } from './model.js';
import { writeSafetensors } from './safetensors.js';
import type { ModelJson, StoredTensor } from './types.js';

/**
 * The model's tensors with every binary layer's float `weight` replaced by `weight_bits` +
 * `alpha` (model-format.md), about 32x smaller; the outputs stay identical because loading
 * packs float weights the same way.
 */
export function packedTensors(model: Model): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [name, tensor] of model.tensors) {
    const node = name.endsWith('.weight') ? name.slice(0, -'.weight'.length) : undefined;
    const layer = node === undefined ? undefined : model.weights.get(node);
    if (layer?.kind !== 'binary') {
      out.set(name, tensor);
      continue;
    }
    const { bits, alpha } = layer.packed;
    out.set(`${node}.weight_bits`, { dtype: 'U32', shape: [...bits.shape], data: bits.data });
    out.set(`${node}.alpha`, { dtype: 'F32', shape: [...alpha.shape], data: alpha.data });
  }
  return out;
}

/** Writes `<dir>/<name>.json` and `<dir>/<name>.safetensors`; returns their paths and sizes. */
export async function saveModel(
  dir: string,
  name: string,
  json: ModelJson,
  tensors: ReadonlyMap<string, StoredTensor>,
): Promise<{ jsonPath: string; weightsPath: string; weightsBytes: number }> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(dir, { recursive: true });
  const weightsFile = `${name}.safetensors`;
  const bytes = writeSafetensors(tensors);
  const jsonPath = join(dir, `${name}.json`);
  const weightsPath = join(dir, weightsFile);
  await writeFile(weightsPath, bytes);
  await writeFile(jsonPath, `${JSON.stringify({ ...json, weights: weightsFile }, null, 2)}\n`);
  return { jsonPath, weightsPath, weightsBytes: bytes.byteLength };
}
