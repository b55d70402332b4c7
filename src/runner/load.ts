/** Loading a model from anything a user names: `zoo:<arch>-<mode>`, a model.json path or a URL. */
import { type Model, loadModelFiles } from '../model/model.js';
import { ZOO_PREFIX, loadZooModel } from '../zoo/index.js';

/**
 * `zoo:<name>` for a zoo model with seeded random weights, else a path to model.json (Node;
 * the weights file is read from beside it) or a URL (http(s) or file). Everything is checked
 * before any GPU work.
 */
export async function loadModel(source: string | URL): Promise<Model> {
  if (typeof source === 'string' && source.startsWith(ZOO_PREFIX)) return loadZooModel(source.slice(ZOO_PREFIX.length));
  return loadModelFiles(source);
}
