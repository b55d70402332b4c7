/** `xnornet info <model>`: layers, shapes, attributes, parameters, weight bytes and operation counts. */
import { layerCosts, totalCost } from '../../model/costs.js';
import type { NodeAttrs } from '../../model/graph.js';
import { loadModel } from '../../runner/load.js';
import { formatShape } from '../../tensor/tensor.js';
import { parseCommand } from '../args.js';
import { formatBytes, formatCount } from '../../util/format.js';
import type { Io } from '../io.js';
import { markdownTable } from '../table.js';

export const usage = `xnornet info <model.json | zoo:NAME> [--json]

Prints each layer's output shape, attributes (kernel, stride, padding, K), parameters,
weight bytes as float32 and packed, and operation counts per sample: float multiply-adds,
XNOR bit operations, BWN additions. --json prints the same as JSON.`;

const pair = ([h, w]: readonly [number, number]) => (h === w ? `${h}` : `${h}x${w}`);

/** The attributes that change what a layer computes, in short. */
function attributes(a: NodeAttrs): string {
  const parts: string[] = [];
  if ('kernel' in a) parts.push(`kernel ${a.kernel.join('x')}`, `stride ${pair(a.stride)}`, `padding ${pair(a.padding)}`);
  if ('mode' in a && a.mode === 'xnor') parts.push(a.scaleInput ? 'scaleInput (K)' : 'no K');
  if ('bias' in a && !a.bias) parts.push('no bias');
  if (a.op === 'batchnorm') parts.push(`eps ${a.eps}`, ...(a.affine ? [] : ['not affine']));
  if (a.op === 'hardtanh') parts.push(`[${a.min}, ${a.max}]`);
  return parts.join(', ');
}

export async function info(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(args, { json: { type: 'boolean' } }, ['<model>']);
  const model = await loadModel(positionals[0]!);
  const costs = layerCosts(model.graph);
  const t = totalCost(costs);
  if (values.json) {
    const layers = costs.map(({ node, ...cost }) => ({
      index: node.index,
      name: node.name,
      inputs: node.inputs,
      ...node.attrs,
      shape: node.shape,
      ...cost,
    }));
    const summary = { name: model.graph.name, input: model.graph.inputShape, outputs: model.graph.outputs, layers, total: t };
    io.log(JSON.stringify(summary, null, 2));
    return 0;
  }
  const rows = costs.map((c) => [
    c.node.index,
    c.node.name,
    c.node.attrs.op + ('mode' in c.node.attrs ? ` ${c.node.attrs.mode}` : ''),
    attributes(c.node.attrs),
    formatShape(c.node.shape),
    formatCount(c.params),
    c.floatBytes ? formatBytes(c.floatBytes) : '',
    c.packedBytes ? formatBytes(c.packedBytes) : '',
    c.floatMacs ? formatCount(c.floatMacs) : '',
    c.xnorMacs ? formatCount(c.xnorMacs) : '',
    c.bwnMacs ? formatCount(c.bwnMacs) : '',
  ]);
  rows.push([
    '',
    'total',
    '',
    '',
    '',
    formatCount(t.params),
    formatBytes(t.floatBytes),
    formatBytes(t.packedBytes),
    formatCount(t.floatMacs),
    formatCount(t.xnorMacs),
    formatCount(t.bwnMacs),
  ]);
  io.log(`${model.graph.name}: input ${formatShape(model.graph.inputShape)}, outputs ${model.graph.outputs.join(', ')}`);
  io.log(
    markdownTable(['#', 'name', 'op', 'attributes', 'output', 'params', 'float32', 'packed', 'float MACs', 'XNOR ops', 'BWN adds'], rows),
  );
  io.log(
    `weights: ${formatBytes(t.floatBytes)} as float32, ${formatBytes(t.packedBytes)} packed ` +
      `(${(t.floatBytes / Math.max(1, t.packedBytes)).toFixed(1)}x smaller); per sample ${formatCount(t.floatMacs)} float MACs, ` +
      `${formatCount(t.xnorMacs)} XNOR ops, ${formatCount(t.bwnMacs)} BWN adds`,
  );
  return 0;
}
