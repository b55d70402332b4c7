/** Runs in the page: a few training steps of LeNet-5 XNOR on WebGPU (navigator.gpu), as a browser tab would train. */
import { TrainingSession } from '../../src/train/session.js';
import { loadZooModel } from '../../src/zoo/index.js';

export interface TrainStepsResult {
  description: string;
  /** The mean loss of each epoch (each one batch of the same images). */
  losses: number[];
}

export async function trainSteps(images: readonly number[], labels: readonly number[], steps: number): Promise<TrainStepsResult> {
  const count = labels.length;
  const session = await TrainingSession.create({
    model: loadZooModel('lenet5-xnor'),
    initialise: true,
    backend: 'webgpu',
    optimizer: { name: 'adam', momentum: 0, weightDecay: 0, clip: true },
    options: {
      epochs: steps,
      batch: count,
      lr: 2e-3,
      schedule: { name: 'constant', stepSize: 1, gamma: 1 },
      seed: 1,
      shuffle: true,
      augment: 'none',
    },
    describe: { name: 'in the page', preprocess: { scale: 1 / 255, mean: [0.286], std: [0.353] } },
  });
  try {
    const train = {
      images: Float32Array.from(images),
      shape: [1, 28, 28] as [number, number, number],
      labels: Int32Array.from(labels),
      count,
      pixels: true,
      classNames: undefined,
      description: 'images from the test',
    };
    const records = await session.train({ train, test: undefined });
    return { description: session.description, losses: records.map((r) => r.loss) };
  } finally {
    session.close();
  }
}

Object.assign(globalThis, { trainSteps });
