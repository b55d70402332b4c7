/** `xnornet pack <model> -o <dir>`: the same model with binary weights stored as packed bits. */
import { loadModel } from '../../runner/load.js';
import { packedTensors, saveModel } from '../../model/save.js';
import { writeSafetensors } from '../../model/safetensors.js';
import { UsageError, formatBytes, parseCommand } from '../args.js';

export const usage = `xnornet pack <model.json | zoo:NAME> -o <dir>

Writes <dir>/<name>.json and <dir>/<name>.safetensors with every binary layer's float weights
replaced by weight_bits (1 bit per weight) and alpha. Outputs stay identical.`;

export async function pack(args: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommand(args, { output: { type: 'string', short: 'o' } }, ['<model>']);
  if (!values.output) throw new UsageError('-o <dir> is required');
  const model = await loadModel(positionals[0]!);
  const before = writeSafetensors(model.tensors).byteLength;
  const name = model.graph.name.replace(/[^\w.-]+/g, '_');
  const saved = await saveModel(values.output, name, model.graph.json, packedTensors(model));
  log(`${saved.jsonPath}, ${saved.weightsPath}`);
  log(`weights: ${formatBytes(before)} -> ${formatBytes(saved.weightsBytes)} (${(before / saved.weightsBytes).toFixed(1)}x smaller)`);
  return 0;
}
