// Sign + pack: float NCHW activations -> NHWC sign bits, 32 channels per u32.
// Bit j of word w is channel 32*w + j; 1 means x >= 0 (sign(0) = +1); channels >= C are 0.
// One invocation per output word. Threads are ordered (n, word, pixel) so that neighbouring
// threads read neighbouring floats of one channel plane.

struct Shape {
  n: u32,
  c: u32,
  pixels: u32, // H * W
  words: u32,  // ceil(C / 32)
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> packed: array<u32>;
@group(0) @binding(2) var<uniform> shape: Shape;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_index) lane: u32) {
  let thread = (group.y * groups.x + group.x) * WORKGROUP_SIZE + lane;
  if (thread >= shape.n * shape.words * shape.pixels) {
    return;
  }
  let pixel = thread % shape.pixels;
  let word = (thread / shape.pixels) % shape.words;
  let n = thread / (shape.pixels * shape.words);

  let first = word * 32u;
  let count = min(32u, shape.c - first);
  var at = (n * shape.c + first) * shape.pixels + pixel;
  var bits = 0u;
  for (var j = 0u; j < count; j++) {
    bits |= select(0u, 1u << j, x[at] >= 0.0);
    at += shape.pixels;
  }
  packed[(n * shape.pixels + pixel) * shape.words + word] = bits;
}
