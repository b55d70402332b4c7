/** Weight layout changes done once at load time, so kernels read their K dimension in order. */
import { Tensor, formatShape } from './tensor.js';

/** PyTorch conv weights [Cout, Cin, kh, kw] (or linear [Cout, Cin]) -> OHWI [Cout, kh, kw, Cin]. */
export function ohwiFromOihw(weight: Tensor<Float32Array>): Tensor<Float32Array> {
  if (weight.rank === 2) return weight.reshape([weight.shape[0]!, 1, 1, weight.shape[1]!]);
  if (weight.rank !== 4) throw new RangeError(`weights must be [Cout, Cin, kh, kw] or [Cout, Cin], got ${formatShape(weight.shape)}`);
  const [cout, cin, kh, kw] = weight.shape as [number, number, number, number];
  const out = new Float32Array(weight.size);
  for (let o = 0; o < cout; o++) {
    for (let c = 0; c < cin; c++) {
      for (let u = 0; u < kh; u++) {
        for (let v = 0; v < kw; v++) out[((o * kh + u) * kw + v) * cin + c] = weight.data[((o * cin + c) * kh + u) * kw + v]!;
      }
    }
  }
  return new Tensor(out, [cout, kh, kw, cin]);
}
