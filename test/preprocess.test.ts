import { describe, expect, it } from 'vitest';
import { bindByName, uniformBytes } from '../src/backends/webgpu/dispatch.js';
import { type Kernel, assemble, interfaceWgsl, sourceLine } from '../src/backends/webgpu/pipelines.js';
import { preprocessWgsl } from '../src/backends/webgpu/preprocess.js';

const SOURCE = `let a = 1;
#if USE_K
let k = scale();
#elif USE_ONE
let k = 1.0;
#else
let k = 0.0;
#endif
#if !PADDED
let fast = true;
#endif
let b = 2;`;

const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

describe('preprocessWgsl', () => {
  it('keeps the #if branch whose define is true', () => {
    expect(lines(preprocessWgsl(SOURCE, { USE_K: true, USE_ONE: false, PADDED: true }, 't.wgsl'))).toEqual([
      'let a = 1;',
      'let k = scale();',
      'let b = 2;',
    ]);
  });

  it('takes #elif and #else in order and negates !NAME', () => {
    expect(lines(preprocessWgsl(SOURCE, { USE_K: false, USE_ONE: true, PADDED: false }, 't.wgsl'))).toEqual([
      'let a = 1;',
      'let k = 1.0;',
      'let fast = true;',
      'let b = 2;',
    ]);
    expect(lines(preprocessWgsl(SOURCE, { USE_K: false, USE_ONE: false, PADDED: true }, 't.wgsl'))).toContain('let k = 0.0;');
  });

  it('handles nested conditions', () => {
    const nested = '#if A\nouter\n#if B\ninner\n#endif\n#endif\nend';
    expect(lines(preprocessWgsl(nested, { A: true, B: false }, 'n.wgsl'))).toEqual(['outer', 'end']);
    expect(lines(preprocessWgsl(nested, { A: true, B: true }, 'n.wgsl'))).toEqual(['outer', 'inner', 'end']);
    expect(lines(preprocessWgsl(nested, { A: false, B: true }, 'n.wgsl'))).toEqual(['end']);
  });

  it('leaves text without conditions unchanged', () => {
    const plain = 'fn main() {\n  let x = 1u << 3u;\n}\n';
    expect(preprocessWgsl(plain, {}, 'p.wgsl')).toBe(plain);
  });

  it('declares number defines as u32 constants on line 1, keeping line numbers', () => {
    const out = preprocessWgsl('// t\n#if WIDE\nlet t = TILE * 2u;\n#endif\n', { WIDE: true, TILE: 4, N: 2 }, 't.wgsl');
    expect(lines(out)).toEqual(['const TILE: u32 = 4u; const N: u32 = 2u; // t', 'let t = TILE * 2u;']);
    expect(out.split('\n')[2]).toBe('let t = TILE * 2u;');
    expect(() => preprocessWgsl('x', { TILE: 1.5 }, 't.wgsl')).toThrow('t.wgsl: define TILE = 1.5 is not a u32');
    expect(() => preprocessWgsl('#if TILE\n#endif', { TILE: 4 }, 't.wgsl')).toThrow('"TILE" is 4, not a boolean');
  });

  it('keeps enable directives first', () => {
    expect(preprocessWgsl('enable f16;\nlet x = T;', { T: 2 }, 'e.wgsl')).toBe('enable f16;\nconst T: u32 = 2u; let x = T;');
  });

  it('unrolls #unroll blocks, keeping line numbers', () => {
    const source = 'a\n#unroll t TN\nlet x${t} = ${t}u; // c\ny += x${t};\n#endunroll\nafter';
    const out = preprocessWgsl(source, { TN: 3 }, 'u.wgsl').split('\n');
    expect(out.slice(2, 4).map((l) => l.trim())).toEqual(['let x0 = 0u; let x1 = 1u; let x2 = 2u;', 'y += x0; y += x1; y += x2;']);
    expect(out[5]).toBe('after');
    expect(
      preprocessWgsl('#unroll i 2\n${i}\n#endunroll', {}, 'u.wgsl')
        .split('\n')
        .map((l) => l.trim()),
    ).toContain('0 1');
    expect(() => preprocessWgsl('#unroll t TM\nx\n#endunroll', { TN: 2 }, 'u.wgsl')).toThrow(
      'u.wgsl: #unroll t TM: "TM" is not a number define',
    );
  });

  it('names the file and the undefined condition', () => {
    expect(() => preprocessWgsl(SOURCE, { USE_K: true }, 'conv.wgsl')).toThrow(
      /conv\.wgsl: #elif USE_ONE: "USE_ONE" is not defined \(defines given: USE_K\)/,
    );
  });

  it('reports unbalanced #if/#endif with the file name', () => {
    expect(() => preprocessWgsl('#if A\nx\n', { A: true }, 'bad.wgsl')).toThrow(/bad\.wgsl: Mismatched #if\/#endif/);
    expect(() => preprocessWgsl('x\n#endif\n', {}, 'bad.wgsl')).toThrow(/bad\.wgsl: #endif not preceeded by an #if/);
  });
});

describe('kernel interfaces', () => {
  const kernel = {
    file: 'k.wgsl',
    source: '// k\nfn main() {\n  broken\n}',
    includes: [{ file: 'inc.wgsl', source: '// inc\nfn f() {}' }],
    interface: {
      storage: {
        x: { type: 'array<f32>', access: 'read' },
        bits: { type: 'array<u32>', access: 'read', when: 'BITS' },
        floats: { type: 'array<vec4f>', access: 'read', when: '!BITS' },
        y: { type: 'array<f32>', access: 'read_write' },
      },
      uniforms: { n: 'u32', shift: 'i32', lo: 'f32' },
    },
  } satisfies Kernel;
  const buffer = (label: string) => ({ label }) as GPUBuffer;

  it('generates the uniform block and the bindings a variant has, numbered in declaration order', () => {
    expect(interfaceWgsl(kernel.file, kernel.interface, { BITS: true }).split('\n')).toEqual([
      'struct Params { n: u32, shift: i32, lo: f32 }',
      '@group(0) @binding(0) var<uniform> p: Params;',
      '@group(0) @binding(1) var<storage, read> x: array<f32>;',
      '@group(0) @binding(2) var<storage, read> bits: array<u32>;',
      '@group(0) @binding(4) var<storage, read_write> y: array<f32>;',
    ]);
    expect(interfaceWgsl(kernel.file, kernel.interface, { BITS: false })).toContain('@binding(3) var<storage, read> floats: array<vec4f>;');
    expect(() => interfaceWgsl(kernel.file, kernel.interface, {})).toThrow(
      'k.wgsl: binding bits is there when BITS, but "BITS" is not defined',
    );
  });

  it('maps lines of the assembled text to the interface, the includes and the file', () => {
    const { text, parts } = assemble(kernel, { BITS: false });
    const lineOf = (s: string) => text.split('\n').indexOf(s) + 1;
    expect(sourceLine(parts, lineOf('@group(0) @binding(0) var<uniform> p: Params;'))).toBe('k.wgsl interface:2');
    expect(sourceLine(parts, lineOf('fn f() {}'))).toBe('inc.wgsl:2');
    expect(sourceLine(parts, lineOf('  broken'))).toBe('k.wgsl:3');
  });

  it('binds buffers by name, leaving holes for bindings the variant lacks', () => {
    const [x, bits, y] = [buffer('x'), buffer('bits'), buffer('y')];
    expect(bindByName(kernel, { BITS: true }, { x, bits, y })).toEqual([undefined, x, bits, undefined, y]);
    expect(bindByName(kernel, { BITS: true }, { x, bits, y, floats: undefined })).toEqual([undefined, x, bits, undefined, y]);
    expect(() => bindByName(kernel, { BITS: true }, { x, y })).toThrow('k.wgsl: binding bits is missing');
    expect(() => bindByName(kernel, { BITS: true }, { x, bits, y, floats: x })).toThrow(
      'k.wgsl: binding floats is given, but this variant lacks it (!BITS is false)',
    );
    expect(() => bindByName(kernel, { BITS: true }, { x, bits, y, z: x })).toThrow(
      'k.wgsl: no binding named z (it has x, bits, floats, y)',
    );
  });

  it('encodes uniforms by name as their types, padded to 16 bytes', () => {
    const view = new DataView(uniformBytes(kernel, { lo: -0.1, n: 7, shift: -2 }));
    expect(view.byteLength).toBe(16);
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true)]).toEqual([7, -2, Math.fround(-0.1)]);
    expect(() => uniformBytes(kernel, { n: 7, lo: 0 })).toThrow('k.wgsl: uniform shift is missing');
    expect(() => uniformBytes(kernel, { n: 7, shift: 0, lo: 0, hi: 1 })).toThrow('k.wgsl: no uniform named hi (it has n, shift, lo)');
    expect(() => uniformBytes(kernel, { n: -1, shift: 0, lo: 0 })).toThrow('k.wgsl: uniform n (u32) cannot hold -1');
    expect(() => uniformBytes(kernel, { n: 1, shift: 0.5, lo: 0 })).toThrow('k.wgsl: uniform shift (i32) cannot hold 0.5');
  });
});
