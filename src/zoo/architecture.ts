/** What a zoo architecture provides; index.ts turns it into model JSON and weights. */
import type { ModelJson } from '../model/types.js';
import type { GraphBuilder } from './builder.js';

/** 'float': the ordinary network; 'bwn'/'xnor': its binary layers in that mode. */
export type ZooMode = 'float' | 'bwn' | 'xnor';

export interface Architecture {
  /** [C, H, W] */
  input: readonly number[];
  labels: readonly string[];
  preprocess: Readonly<NonNullable<ModelJson['preprocess']>>;
  /** Adds the variant's nodes in order. */
  build(b: GraphBuilder, mode: ZooMode): void;
}
