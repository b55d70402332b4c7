/** `xnornet pack <model> -o <dir>`: the same model with binary weights stored as packed bits. */
import { basename, resolve } from 'node:path';
import { packedTensors, saveModel } from '../../model/save.js';
import { writeSafetensors } from '../../model/safetensors.js';
import { loadModel } from '../../runner/load.js';
import { ZOO_PREFIX } from '../../zoo/index.js';
import { UsageError, parseCommand } from '../args.js';
import { formatBytes } from '../../util/format.js';
import { FileError, checkOutputFolder } from '../files.js';
import type { Io } from '../io.js';

export const usage = `xnornet pack <model.json | zoo:NAME> -o <dir>

Writes <dir>/<name>.json and <dir>/<name>.safetensors with every binary layer's float weights
replaced by weight_bits (1 bit per weight) and alpha. Outputs stay identical. <name> is the
model's "name", else its file name; the input files are never overwritten.`;

/** A file name for the model: its own "name", else its file's or zoo name. */
function modelFileName(json: { name?: string | undefined }, source: string): string {
  const name = json.name ?? (source.startsWith(ZOO_PREFIX) ? source.slice(ZOO_PREFIX.length) : basename(source).replace(/\.json$/i, ''));
  return name.replace(/[^\w.-]+/g, '_');
}

export async function pack(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(args, { output: { type: 'string', short: 'o' } }, ['<model>']);
  if (!values.output) throw new UsageError('-o <dir> is required');
  const dir = values.output;
  await checkOutputFolder(dir);
  const model = await loadModel(positionals[0]!);
  const name = modelFileName(model.graph.json, model.source);
  const packed = packedTensors(model);
  const changed = [...packed.keys()].some((key) => !model.tensors.has(key));
  if (!changed) {
    io.log(`${model.source}: no binary layer holds float weights; nothing to pack (the model is already as small as packing makes it)`);
    return 0;
  }
  if (!model.source.startsWith(ZOO_PREFIX)) {
    const inputs = [resolve(model.source), resolve(model.source, '..', model.graph.json.weights)];
    for (const out of [resolve(dir, `${name}.json`), resolve(dir, `${name}.safetensors`)]) {
      if (inputs.includes(out)) throw new FileError(out, 'is the model being packed; choose another -o folder');
    }
  }
  const before = writeSafetensors(model.tensors).byteLength;
  const saved = await saveModel(dir, name, model.graph.json, packed).catch((err) => Promise.reject(FileError.from(err, dir)));
  io.log(`${saved.jsonPath}, ${saved.weightsPath}`);
  io.log(`weights: ${formatBytes(before)} -> ${formatBytes(saved.weightsBytes)} (${(before / saved.weightsBytes).toFixed(1)}x smaller)`);
  return 0;
}
