/** What the views share: the engine, the switches, the data, and what "Look inside" looks at. */
import type { DemoBackend, DemoModel, Engine } from './engine.js';
import type { FashionInfo } from './data.js';

export type Mode = 'float' | 'bwn' | 'xnor';
export const MODES: [Mode, string][] = [
  ['float', 'float'],
  ['bwn', 'BWN (binary weights)'],
  ['xnor', 'XNOR (binary weights and inputs)'],
];

/** An input the inside view can open: 28x28 pixels and the model that classified it. */
export interface Looked {
  demo: DemoModel;
  pixels: Uint8Array;
  caption: string;
}

/** What the end-to-end tests read (window.xnornetDemo): the page's last results, as plain data. */
export interface TestHooks {
  ready: boolean;
  backend: DemoBackend;
  gpu: { available: boolean; detail: string; emulated: boolean };
  drawn?: { model: string; pixels: number[]; label: string };
  gallery?: { model: string; index: number; label: string; truth: string }[];
  inside?: { model: string; sections: string[] };
  training?: { losses: number[]; done: boolean; accuracy?: number; description?: string; imagesPerSecond?: number; error?: string };
  errors: string[];
}

export interface App {
  engine: Engine;
  fashion: FashionInfo;
  backend: DemoBackend;
  mode: Mode;
  /** Set by a view to what "Look inside" should show next. */
  looked: Looked | undefined;
  hooks: TestHooks;
  /** The model of the current mode for `dataset`: the one trained in the tab when it is chosen and fits. */
  modelFor(dataset: string): DemoModel;
  /** Views re-run their predictions when a switch changes. */
  onSwitch(listener: () => void): void;
}
