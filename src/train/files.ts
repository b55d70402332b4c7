/**
 * A training run's folder (Node):
 * - model.json + model.safetensors: the deployable model, binary layers packed;
 * - checkpoint.json + checkpoint.safetensors: the latent float weights and batchnorm statistics
 *   under PyTorch's names (runnable; `--from` takes it);
 * - optimizer.json + optimizer.safetensors: the optimiser's step and buffers (`<tensor>.<buffer>`)
 *   and the run's settings, for `--resume`;
 * - curve.json: loss and accuracy per epoch, time and images/s.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModelFiles, type Model } from '../model/model.js';
import { readSafetensors, writeSafetensors } from '../model/safetensors.js';
import type { ModelJson, StoredTensor } from '../model/types.js';
import type { Floats } from '../ops/training.js';
import type { OptimizerName, OptimizerState } from './optimizer.js';
import type { TrainingSession } from './session.js';
import type { EpochRecord } from './trainer.js';

const BUFFER_NAMES: Record<OptimizerName, string[]> = { sgd: ['momentum_buffer'], adam: ['exp_avg', 'exp_avg_sq'] };

async function writeModel(dir: string, name: string, model: { json: ModelJson; tensors: ReadonlyMap<string, StoredTensor> }) {
  const bytes = writeSafetensors(model.tensors);
  await writeFile(join(dir, `${name}.safetensors`), bytes);
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify({ ...model.json, weights: `${name}.safetensors` }, null, 2)}\n`);
  return bytes.byteLength;
}

export interface RunSummary {
  /** The settings the run was started with (CLI options), so --resume can continue it. */
  settings: Record<string, unknown>;
  backend: string;
  curve: EpochRecord[];
  seconds: number;
  test?: { accuracy: number; loss: number; samples: number } | undefined;
}

/** Writes every file of the run; returns the deployable and float weights' sizes in bytes. */
export async function writeRun(
  dir: string,
  session: TrainingSession,
  summary: RunSummary,
): Promise<{ packedBytes: number; floatBytes: number }> {
  await mkdir(dir, { recursive: true });
  const packedBytes = await writeModel(dir, 'model', session.deployable());
  const floatBytes = await writeModel(dir, 'checkpoint', session.checkpoint());
  const state = session.optimizerState();
  const buffers = new Map<string, StoredTensor>();
  for (const [key, arrays] of state.buffers) {
    arrays.forEach((data, k) =>
      buffers.set(`${key}.${BUFFER_NAMES[state.name][k]}`, { dtype: 'F32', shape: [data.length], data: Float32Array.from(data) }),
    );
  }
  await writeFile(join(dir, 'optimizer.safetensors'), writeSafetensors(buffers));
  const optimizer = { optimizer: state.name, step: state.step, epochs: session.epochsDone, settings: summary.settings };
  await writeFile(join(dir, 'optimizer.json'), `${JSON.stringify(optimizer, null, 2)}\n`);
  await writeFile(
    join(dir, 'curve.json'),
    `${JSON.stringify({ backend: summary.backend, seconds: summary.seconds, test: summary.test, epochs: summary.curve }, null, 2)}\n`,
  );
  return { packedBytes, floatBytes };
}

export interface SavedRun {
  checkpoint: Model;
  state: OptimizerState;
  settings: Record<string, unknown>;
  curve: EpochRecord[];
}

/** What --resume DIR continues from. */
export async function readRun(dir: string): Promise<SavedRun> {
  const read = async (file: string) => {
    try {
      return await readFile(join(dir, file));
    } catch {
      throw new Error(`${join(dir, file)}: missing; --resume needs a folder written by xnornet train -o`);
    }
  };
  const meta = JSON.parse((await read('optimizer.json')).toString('utf8')) as {
    optimizer: OptimizerName;
    step: number;
    epochs: number;
    settings: Record<string, unknown>;
  };
  const tensors = readSafetensors(new Uint8Array(await read('optimizer.safetensors')), join(dir, 'optimizer.safetensors'));
  const buffers = new Map<string, Floats[]>();
  for (const [name, tensor] of tensors) {
    const cut = name.lastIndexOf('.');
    const key = name.slice(0, cut);
    const k = BUFFER_NAMES[meta.optimizer].indexOf(name.slice(cut + 1));
    if (k < 0) throw new Error(`${join(dir, 'optimizer.safetensors')}: unexpected tensor "${name}" for ${meta.optimizer}`);
    const list = buffers.get(key) ?? [];
    list[k] = tensor.data as Float32Array;
    buffers.set(key, list);
  }
  const curve = (JSON.parse((await read('curve.json')).toString('utf8')) as { epochs: EpochRecord[] }).epochs.slice(0, meta.epochs);
  return {
    checkpoint: await loadModelFiles(join(dir, 'checkpoint.json')),
    state: { name: meta.optimizer, step: meta.step, buffers },
    settings: meta.settings,
    curve,
  };
}
