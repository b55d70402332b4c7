/** Weight layout changes done once at load time, so kernels read their K dimension in order. */
import { Tensor, formatShape } from './tensor.js';

/**
 * PyTorch conv weights [Cout, Cin, kh, kw] (or linear [Cout, Cin]) -> OHWI [Cout, kh, kw, Cp],
 * with Cin zero-padded to Cp, the next multiple of `channelMultiple` (4 for conv2d.wgsl).
 */
export function ohwiFromOihw(weight: Tensor<Float32Array>, channelMultiple = 1): Tensor<Float32Array> {
  const dims = weight.rank === 2 ? [weight.shape[0]!, weight.shape[1]!, 1, 1] : weight.shape;
  if (dims.length !== 4) throw new RangeError(`weights must be [Cout, Cin, kh, kw] or [Cout, Cin], got ${formatShape(weight.shape)}`);
  const [cout, cin, kh, kw] = dims as [number, number, number, number];
  const cp = Math.ceil(cin / channelMultiple) * channelMultiple;
  const out = new Float32Array(cout * kh * kw * cp);
  for (let o = 0; o < cout; o++) {
    for (let c = 0; c < cin; c++) {
      for (let u = 0; u < kh; u++) {
        for (let v = 0; v < kw; v++) out[((o * kh + u) * kw + v) * cp + c] = weight.data[((o * cin + c) * kh + u) * kw + v]!;
      }
    }
  }
  return new Tensor(out, [cout, kh, kw, cp]);
}

/**
 * PyTorch conv weights [Cout, Cin, kh, kw] -> each filter as one row [Cout, 1, 1, Kp] in
 * (u, v, c) order, K = kh*kw*Cin zero-padded to Kp, the next multiple of `multiple`: the
 * weights of a conv over its input's patches (a 1x1 conv over K).
 */
export function patchRowsFromOihw(weight: Tensor<Float32Array>, multiple = 1): Tensor<Float32Array> {
  const ohwi = ohwiFromOihw(weight);
  const [cout, kh, kw, cin] = ohwi.shape as [number, number, number, number];
  const k = kh * kw * cin;
  const kp = Math.ceil(k / multiple) * multiple;
  const out = new Float32Array(cout * kp);
  for (let o = 0; o < cout; o++) out.set(ohwi.data.subarray(o * k, (o + 1) * k), o * kp);
  return new Tensor(out, [cout, 1, 1, kp]);
}
