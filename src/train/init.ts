/**
 * A fresh network's tensors as PyTorch initialises its layers (torch.nn defaults): conv and
 * linear weights kaiming_uniform_(a = sqrt(5)), that is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and
 * biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = Cin * kh * kw; batchnorm weight 1, bias 0,
 * running mean 0, running variance 1. Binary layers' latent weights start the same way.
 */
import { firstInputShapes } from '../model/graph.js';
import { opOf } from '../ops/registry.js';
import type { Rng } from '../util/random.js';
import type { Network } from './network.js';

export function initialiseLikePyTorch(network: Network, rng: Rng): void {
  const inputs = firstInputShapes(network.graph);
  for (const { node, params } of network.nodes) {
    const specs = opOf(node.attrs.op).tensors(node.attrs, inputs.get(node.name)!);
    const weight = specs.find((s) => s.role === 'weight');
    const fanIn = weight ? weight.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const bound = 1 / Math.sqrt(fanIn);
    for (const { suffix, role } of specs) {
      const data = params[suffix]!;
      switch (role) {
        case 'weight':
        case 'bias':
          for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-bound, bound);
          break;
        case 'bn-weight':
        case 'running-var':
          data.fill(1);
          break;
        case 'bn-bias':
        case 'running-mean':
          data.fill(0);
          break;
      }
    }
  }
}
