/** The backend-neutral plan: which nodes fuse into which step, on small graphs, without any backend. */
import { describe, expect, it } from 'vitest';
import type { ModelNode } from '../src/model/types.js';
import { batchnormAffine } from '../src/ops/batchnorm.js';
import { type Plan, type Step, planGraph } from '../src/plan/plan.js';
import { tinyModel } from './helpers/models.js';

function plan(inputShape: number[], nodes: ModelNode[], outputs?: string[], batch = 2): Plan {
  const model = tinyModel(inputShape, nodes, outputs ? { outputs } : {});
  return planGraph(model.graph, model.weights, batch);
}

const summary = (p: Plan) => p.steps.map((s) => `${s.kind}(${s.nodes.join(',')})`);
const stepOf = <K extends Step['kind']>(p: Plan, kind: K) => p.steps.find((s): s is Extract<Step, { kind: K }> => s.kind === kind)!;

describe('plan', () => {
  it('folds bias, a following batchnorm and relu into a float conv epilogue, keeping OIHW weights', () => {
    const nodes: ModelNode[] = [
      { op: 'conv2d', name: 'conv', outChannels: 5, kernel: 3, padding: 1 },
      { op: 'batchnorm', name: 'bn' },
      { op: 'relu', name: 'act' },
    ];
    const model = tinyModel([3, 6, 6], nodes);
    const p = planGraph(model.graph, model.weights, 2);
    expect(summary(p)).toEqual(['conv(conv,bn,act)']);
    const conv = stepOf(p, 'conv');
    expect(conv.conv).toMatchObject({ n: 2, cin: 3, h: 6, w: 6, cout: 5, kh: 3, kw: 3, ho: 6, wo: 6 });
    expect(conv.epilogue.relu).toBe(true);
    const w = model.weights.get('conv')!;
    if (w.kind !== 'float' || conv.weights.kind !== 'float') throw new Error('float weights expected');
    expect(conv.weights.weight.shape).toEqual([5, 3, 3, 3]);
    expect(conv.weights.weight.data).toBe(w.weight.data);
    // scale = bn.s, shift = bias * bn.s + bn.t
    const bn = model.weights.get('bn')!;
    if (bn.kind !== 'batchnorm') throw new Error('batchnorm expected');
    const { scale, shift } = batchnormAffine(bn);
    expect(conv.epilogue.scale).toEqual(scale);
    expect(conv.epilogue.shift).toEqual(shift.map((t, c) => w.bias![c]! * scale[c]! + t));
    expect(p.outputs.get('act')).toEqual(conv.output);
  });

  it('packs signs for an XNOR layer with the batchnorm before it folded in, and A = mean|x| only with K', () => {
    for (const scaleInput of [true, false]) {
      const p = plan(
        [4, 5, 5],
        [
          { op: 'batchnorm', name: 'bn' },
          { op: 'binconv2d', name: 'bconv', mode: 'xnor', outChannels: 33, kernel: 3, stride: 2, scaleInput },
        ],
      );
      expect(summary(p)).toEqual(['pack(bn)', 'xnorConv(bconv)']);
      const [pack, conv] = [stepOf(p, 'pack'), stepOf(p, 'xnorConv')];
      expect(pack.affine).toBeDefined();
      expect(pack.input).toEqual(p.input);
      expect(pack.output.shape).toEqual([2, 5, 5, 1]);
      expect(conv.input).toEqual(pack.output);
      expect(conv.meanAbs).toEqual(pack.meanAbs);
      expect(pack.meanAbs === undefined).toBe(!scaleInput);
      expect(conv.weights.bits.shape).toEqual([33, 3, 3, 1]);
      expect(conv.conv).toMatchObject({ cout: 33, ho: 2, wo: 2, stride: [2, 2] });
    }
  });

  it('keeps a batchnorm that other nodes (or the outputs) read as its own pointwise step', () => {
    const nodes: ModelNode[] = [
      { op: 'batchnorm', name: 'bn' },
      { op: 'binconv2d', name: 'bconv', mode: 'xnor', outChannels: 4, kernel: 1 },
    ];
    expect(summary(plan([4, 3, 3], nodes, ['bn', 'bconv']))).toEqual(['pointwise(bn)', 'pack()', 'xnorConv(bconv)']);
    const shared: ModelNode[] = [
      { op: 'batchnorm', name: 'bn' },
      { op: 'binconv2d', name: 'a', mode: 'xnor', outChannels: 4, kernel: 1, in: 'bn' },
      { op: 'binconv2d', name: 'b', mode: 'xnor', outChannels: 4, kernel: 1, in: 'bn' },
      { op: 'add', name: 'sum', in: ['a', 'b'] },
    ];
    expect(summary(plan([4, 3, 3], shared))).toEqual(['pointwise(bn)', 'pack()', 'xnorConv(a)', 'pack()', 'xnorConv(b)', 'pointwise(sum)']);
  });

  it('runs a BWN layer as a float-input conv on its packed signs, alpha in the epilogue', () => {
    const model = tinyModel([3, 4, 4], [{ op: 'binconv2d', name: 'bwn', mode: 'bwn', outChannels: 6, kernel: 3, bias: false }]);
    const p = planGraph(model.graph, model.weights, 1);
    const conv = stepOf(p, 'conv');
    const w = model.weights.get('bwn')!;
    if (w.kind !== 'binary') throw new Error('binary weights expected');
    expect(conv.weights).toBe(w);
    expect(conv.epilogue.scale).toEqual(w.packed.alpha.data);
    expect(conv.epilogue.shift).toEqual(new Float32Array(6));
  });

  it('fuses add + relu and batchnorm + hardtanh into pointwise steps; flatten and dropout are views', () => {
    const p = plan(
      [2, 3, 3],
      [
        { op: 'batchnorm', name: 'bn' },
        { op: 'hardtanh', name: 'ht', min: -2, max: 2 },
        { op: 'add', name: 'sum', in: ['ht', 'input'] },
        { op: 'relu', name: 'act' },
        { op: 'dropout', name: 'drop' },
        { op: 'flatten', name: 'flat' },
        { op: 'linear', name: 'fc', outFeatures: 3 },
        { op: 'softmax', name: 'prob' },
      ],
    );
    expect(summary(p)).toEqual(['pointwise(bn,ht)', 'pointwise(sum,act)', 'conv(fc)', 'softmax(prob)']);
    const [bn, sum] = p.steps as [Extract<Step, { kind: 'pointwise' }>, Extract<Step, { kind: 'pointwise' }>];
    expect(bn.activation).toEqual({ kind: 'hardtanh', min: -2, max: 2 });
    expect(sum.activation).toEqual({ kind: 'relu' });
    expect(sum.add).toEqual(p.input);
    const fc = stepOf(p, 'conv');
    expect(fc.input).toEqual({ value: sum.output.value, shape: [2, 18, 1, 1] });
    expect(fc.conv).toMatchObject({ cin: 18, cout: 3, kh: 1, kw: 1, ho: 1, wo: 1 });
  });

  it('chains an add of three inputs as pairwise steps and pools a global window', () => {
    const p = plan(
      [2, 4, 4],
      [
        { op: 'relu', name: 'a' },
        { op: 'relu', name: 'b', in: 'input' },
        { op: 'add', name: 'sum', in: ['a', 'b', 'input'] },
        { op: 'globalavgpool', name: 'gap' },
      ],
    );
    expect(summary(p)).toEqual(['pointwise(a)', 'pointwise(b)', 'pointwise(sum)', 'pointwise(sum)', 'pool(gap)']);
    expect(stepOf(p, 'pool').window).toEqual({ kernel: [4, 4], stride: [1, 1], padding: [0, 0] });
    expect(p.values.map((v) => v.elements)).toEqual([64, 64, 64, 64, 64, 4]);
  });
});
