/**
 * A loaded model: its graph, its checked weights, and the raw tensors (for writing it back).
 * Sources: a model.json path (Node), a URL (browser or Node), or bytes in memory
 * (src/runner/load.ts adds zoo models).
 */
import { ModelFormatError, fileProblem } from './errors.js';
import { type Graph, buildGraph } from './graph.js';
import { readSafetensors } from './safetensors.js';
import type { StoredTensor } from './types.js';
import { type ModelWeights, resolveWeights } from './weights.js';

export interface Model {
  graph: Graph;
  weights: ModelWeights;
  tensors: ReadonlyMap<string, StoredTensor>;
  /** Where it came from, for messages. */
  source: string;
}

export interface ModelFiles {
  /** model.json's text or its parsed object. */
  json: string | unknown;
  /** The safetensors file's bytes. */
  weights: Uint8Array | ArrayBuffer;
  /** A name for messages (e.g. the path). */
  source?: string;
}

/** What a file that is not model.json was recognised as, by its first bytes. */
function recognise(bytes: Uint8Array): string | undefined {
  const starts = (...magic: number[]) => magic.every((b, i) => bytes[i] === b);
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'a .npy data file';
  if (starts(0x89, 0x50, 0x4e, 0x47) || starts(0xff, 0xd8, 0xff)) return 'an image';
  const headerLength = bytes.length >= 9 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) : 0;
  if (headerLength > 0 && bytes[4] === 0 && bytes[5] === 0 && bytes[8] === 0x7b) return 'a safetensors weights file';
  return undefined;
}

/** model.json's text from its bytes; a weights, data or image file passed instead is named as such. */
function modelText(bytes: Uint8Array, file: string): string {
  const kind = recognise(bytes);
  if (kind) throw new ModelFormatError(file, `is ${kind}, not a model: pass the model.json (it names its safetensors file)`);
  return new TextDecoder().decode(bytes);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(file, `not valid JSON (${(err as Error).message})`);
  }
}

/** The same model returning the outputs of the nodes named in `outputs` (e.g. ['conv1', 'fc1']) instead of its own. */
export function withOutputs(model: Model, outputs: readonly string[]): Model {
  const names = new Set(model.graph.nodes.map((n) => n.name));
  const unknown = outputs.filter((o) => !names.has(o));
  if (outputs.length === 0 || unknown.length > 0) {
    const problem = outputs.length === 0 ? 'no outputs were named' : `no node is named ${unknown.map((o) => `"${o}"`).join(', ')}`;
    throw new RangeError(`${model.source}: ${problem} (its nodes: ${[...names].join(', ')})`);
  }
  return { ...model, graph: buildGraph({ ...model.graph.json, outputs: [...outputs] }, model.source) };
}

/** Builds and checks a model from its two files' contents. */
export function modelFromFiles({ json, weights, source = 'model.json' }: ModelFiles): Model {
  const graph = buildGraph(typeof json === 'string' ? parseJson(json, source) : json, source);
  const weightsFile = `${graph.json.weights} (weights of ${source})`;
  const bytes = weights instanceof Uint8Array ? weights : new Uint8Array(weights);
  const tensors = readSafetensors(bytes, weightsFile);
  return { graph, weights: resolveWeights(graph, tensors, weightsFile), tensors, source };
}

async function readLocal(path: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new ModelFormatError(path, fileProblem(err));
  }
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    // Node's fetch has no file: scheme; browsers do not give pages file access anyway.
    const { fileURLToPath } = await import('node:url');
    return readLocal(fileURLToPath(url));
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new ModelFormatError(url.href, `cannot be fetched (${(err as Error).message})`);
  }
  if (!response.ok) throw new ModelFormatError(url.href, `cannot be fetched (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Loads a model's files: a path to model.json (Node; the weights file is read from beside it),
 * or a URL (http(s) or file). Everything is checked before any GPU work.
 */
export async function loadModelFiles(source: string | URL): Promise<Model> {
  const isUrl = source instanceof URL || /^(https?|file):/.test(source);
  if (isUrl) {
    const url = new URL(source);
    const text = modelText(await fetchBytes(url), url.href);
    const json = parseJson(text, url.href);
    const graph = buildGraph(json, url.href);
    return modelFromFiles({ json, weights: await fetchBytes(new URL(graph.json.weights, url)), source: url.href });
  }
  const { dirname, resolve } = await import('node:path');
  const text = modelText(await readLocal(source), source);
  const json = parseJson(text, source);
  const graph = buildGraph(json, source);
  return modelFromFiles({ json, weights: await readLocal(resolve(dirname(source), graph.json.weights)), source });
}
