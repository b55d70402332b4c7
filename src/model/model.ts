/**
 * A loaded model: its graph, its checked weights, and the raw tensors (for writing it back).
 * Sources: a model.json path (Node), a URL (browser or Node), or bytes in memory
 * (src/runner/load.ts adds zoo models).
 */
import { ModelFormatError } from './errors.js';
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

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelFormatError(file, `not valid JSON (${(err as Error).message})`);
  }
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
    throw new ModelFormatError(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
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
    const text = new TextDecoder().decode(await fetchBytes(url));
    const json = parseJson(text, url.href);
    const graph = buildGraph(json, url.href);
    return modelFromFiles({ json, weights: await fetchBytes(new URL(graph.json.weights, url)), source: url.href });
  }
  const { dirname, resolve } = await import('node:path');
  const text = new TextDecoder().decode(await readLocal(source));
  const json = parseJson(text, source);
  const graph = buildGraph(json, source);
  return modelFromFiles({ json, weights: await readLocal(resolve(dirname(source), graph.json.weights)), source });
}
