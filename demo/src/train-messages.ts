/** What the page and the training worker say to each other. */
import type { BatchProgress, EpochRecord, ModelJson, Preprocess } from '../../src/index.js';

export interface PixelSet {
  pixels: Uint8Array;
  labels: Uint8Array;
}

export type TrainRequest =
  | {
      type: 'start';
      mode: 'float' | 'bwn' | 'xnor';
      backend: 'webgpu' | 'cpu';
      epochs: number;
      batch: number;
      lr: number;
      seed: number;
      classNames: string[];
      preprocess: Preprocess;
      train: PixelSet;
      test: PixelSet;
    }
  | { type: 'stop' };

export type TrainReply =
  | { type: 'started'; description: string }
  | { type: 'batch'; progress: BatchProgress }
  | { type: 'epoch'; record: EpochRecord }
  | { type: 'done'; json: ModelJson; weights: Uint8Array; accuracy: number; stopped: boolean }
  | { type: 'error'; message: string };
