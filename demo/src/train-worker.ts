/**
 * Training in a Web Worker, so the page keeps drawing while the trainer works: LeNet-5 from
 * PyTorch's initialisation on the samples the page sends, on WebGPU (the worker's own
 * navigator.gpu) or the cpu backend, reporting each batch and epoch, stoppable between batches.
 */
import { type ModelJson, TrainingSession, loadZooModel, writeSafetensors } from '../../src/index.js';
import type { LabelledImages } from '../../src/index.js';
import type { TrainReply, TrainRequest } from './train-messages.js';

const post = (reply: TrainReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);
let stop: AbortController | undefined;

function labelled(set: { pixels: Uint8Array; labels: Uint8Array }, description: string): LabelledImages {
  return {
    images: Float32Array.from(set.pixels),
    shape: [1, 28, 28],
    labels: Int32Array.from(set.labels),
    count: set.labels.length,
    pixels: true,
    classNames: undefined,
    description,
  };
}

async function train(request: Extract<TrainRequest, { type: 'start' }>): Promise<void> {
  const describe: Pick<ModelJson, 'name' | 'labels' | 'preprocess'> = {
    name: `lenet5-${request.mode} trained in the tab`,
    labels: request.classNames,
    preprocess: request.preprocess,
  };
  const session = await TrainingSession.create({
    model: loadZooModel(`lenet5-${request.mode}`),
    initialise: true,
    backend: request.backend,
    optimizer: { name: 'adam', momentum: 0, weightDecay: 0, clip: true },
    options: {
      epochs: request.epochs,
      batch: request.batch,
      lr: request.lr,
      schedule: { name: 'constant', stepSize: 1, gamma: 1 },
      seed: request.seed,
      shuffle: true,
      augment: 'none',
    },
    describe,
  });
  try {
    post({ type: 'started', description: session.description });
    stop = new AbortController();
    const test = labelled(request.test, 'Fashion-MNIST test subset');
    // The test set is evaluated once, at the end: on a slow device each evaluation costs an epoch's time.
    await session.train(
      { train: labelled(request.train, 'Fashion-MNIST training subset'), test: undefined },
      {
        signal: stop.signal,
        onBatch: (progress) => post({ type: 'batch', progress }),
        onEpoch: (record) => post({ type: 'epoch', record }),
      },
    );
    const evaluation = await session.evaluate(test);
    const { json, tensors } = session.deployable();
    const weights = writeSafetensors(tensors);
    post({ type: 'done', json, weights, accuracy: evaluation.accuracy, stopped: stop.signal.aborted }, [weights.buffer]);
  } finally {
    session.close();
  }
}

self.addEventListener('message', (event: MessageEvent<TrainRequest>) => {
  const request = event.data;
  if (request.type === 'stop') stop?.abort();
  else train(request).catch((err) => post({ type: 'error', message: (err as Error).message }));
});
