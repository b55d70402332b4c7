/** `xnornet info <model>`: layers, shapes, parameters, weight bytes and operation counts. */
import { formatShape } from '../../tensor/tensor.js';
import { layerCosts, totalCost } from '../../model/costs.js';
import { loadModel } from '../../runner/load.js';
import { markdownTable } from '../table.js';
import { formatBytes, formatCount, parseCommand } from '../args.js';

export const usage = `xnornet info <model.json | zoo:NAME>

Prints each layer's output shape, parameters, weight bytes as float32 and packed, and
operation counts per sample: float multiply-adds, XNOR bit operations, BWN additions.`;

export async function info(args: string[], log: (line: string) => void): Promise<number> {
  const { positionals } = parseCommand(args, {}, ['<model>']);
  const model = await loadModel(positionals[0]!);
  const costs = layerCosts(model.graph);
  const rows = costs.map((c) => [
    c.node.index,
    c.node.name,
    c.node.attrs.op + ('mode' in c.node.attrs ? ` ${c.node.attrs.mode}` : ''),
    formatShape(c.node.shape),
    formatCount(c.params),
    c.floatBytes ? formatBytes(c.floatBytes) : '',
    c.packedBytes ? formatBytes(c.packedBytes) : '',
    c.floatMacs ? formatCount(c.floatMacs) : '',
    c.xnorMacs ? formatCount(c.xnorMacs) : '',
    c.bwnMacs ? formatCount(c.bwnMacs) : '',
  ]);
  const t = totalCost(costs);
  rows.push([
    '',
    'total',
    '',
    '',
    formatCount(t.params),
    formatBytes(t.floatBytes),
    formatBytes(t.packedBytes),
    formatCount(t.floatMacs),
    formatCount(t.xnorMacs),
    formatCount(t.bwnMacs),
  ]);
  log(`${model.graph.name}: input ${formatShape(model.graph.inputShape)}, outputs ${model.graph.outputs.join(', ')}`);
  log(markdownTable(['#', 'name', 'op', 'output', 'params', 'float32', 'packed', 'float MACs', 'XNOR ops', 'BWN adds'], rows));
  log(
    `weights: ${formatBytes(t.floatBytes)} as float32, ${formatBytes(t.packedBytes)} packed ` +
      `(${(t.floatBytes / Math.max(1, t.packedBytes)).toFixed(1)}x smaller); per sample ${formatCount(t.floatMacs)} float MACs, ` +
      `${formatCount(t.xnorMacs)} XNOR ops, ${formatCount(t.bwnMacs)} BWN adds`,
  );
  return 0;
}
