/**
 * Compute pipelines, compiled once per (shader, defines) and cached.
 * Shapes are not part of the key: they travel in uniforms, so one pipeline serves all shapes.
 */
import type { GpuContext } from './context.js';
import { type ShaderDefines, preprocessWgsl } from './preprocess.js';

export interface KernelSource {
  /** The shader file's name, for errors and labels. */
  file: string;
  /** Its WGSL text, imported with `?raw`. */
  source: string;
  /** Shader files this one builds on (shared structs and functions), put before it. */
  includes?: KernelSource[];
  /** What it binds; its WGSL declarations are generated and put before the includes. */
  interface?: KernelInterface;
}

export type UniformType = 'u32' | 'i32' | 'f32';

export interface StorageBinding {
  /** The WGSL store type: `array<f32>`, `array<vec4f>`, `array<u32>`, ... */
  type: string;
  access: 'read' | 'read_write';
  /** The boolean define (`!NAME`: its negation) that gives a variant this binding; every variant has it when absent. */
  when?: string;
}

export type StorageDecls = Readonly<Record<string, StorageBinding>>;
export type UniformDecls = Readonly<Record<string, UniformType>>;

/**
 * A kernel's bindings, declared once. Binding 0 is `p: Params`, a uniform block with the fields
 * of `uniforms` in order; the entries of `storage` are bindings 1, 2, ... in order (a variant
 * without one leaves a hole). The shader's declarations are generated from it, and launches
 * fill both by name (dispatch.ts).
 */
export interface KernelInterface<S extends StorageDecls = StorageDecls, U extends UniformDecls = UniformDecls> {
  storage: S;
  uniforms: U;
}

/** A kernel that declares its interface: what launches are built from. */
export interface Kernel<S extends StorageDecls = StorageDecls, U extends UniformDecls = UniformDecls> extends KernelSource {
  interface: KernelInterface<S, U>;
}

/** The storage bindings a variant has, with their binding numbers; `file` names the kernel in errors. */
export function variantStorage(
  file: string,
  { storage }: KernelInterface,
  defines: ShaderDefines,
): (StorageBinding & { name: string; binding: number })[] {
  return Object.entries(storage).flatMap(([name, decl], i) => {
    const binding = { ...decl, name, binding: i + 1 };
    if (decl.when === undefined) return [binding];
    const define = decl.when.replace(/^!/, '');
    const value = defines[define];
    if (typeof value !== 'boolean') {
      const problem = value === undefined ? 'is not defined' : `is ${value}, not a boolean`;
      throw new Error(`${file}: binding ${name} is there when ${decl.when}, but "${define}" ${problem}`);
    }
    return value === decl.when.startsWith('!') ? [] : [binding];
  });
}

/** The WGSL declarations of a variant's interface: the uniform block, then its storage bindings. */
export function interfaceWgsl(file: string, io: KernelInterface, defines: ShaderDefines): string {
  const fields = Object.entries(io.uniforms).map(([name, type]) => `${name}: ${type}`);
  return [
    `struct Params { ${fields.join(', ')} }`,
    '@group(0) @binding(0) var<uniform> p: Params;',
    ...variantStorage(file, io, defines).map((b) => `@group(0) @binding(${b.binding}) var<storage, ${b.access}> ${b.name}: ${b.type};`),
  ].join('\n');
}

/**
 * The kernel's text: its generated interface (a part named `<file> interface`), its includes,
 * then the file itself; and where each part's lines start.
 */
export function assemble(kernel: KernelSource, defines: ShaderDefines): { text: string; parts: { file: string; firstLine: number }[] } {
  const io = kernel.interface;
  const header = io ? [{ file: `${kernel.file} interface`, source: interfaceWgsl(kernel.file, io, defines) }] : [];
  const files = [...header, ...(kernel.includes ?? []), kernel];
  const parts: { file: string; firstLine: number }[] = [];
  let line = 1;
  for (const { file, source } of files) {
    parts.push({ file, firstLine: line });
    line += source.split('\n').length;
  }
  return { text: files.map((f) => f.source).join('\n'), parts };
}

/** "file:line" of a line of the assembled text (the preprocessor keeps line numbers). */
export function sourceLine(parts: { file: string; firstLine: number }[], line: number): string {
  const part = [...parts].reverse().find((p) => p.firstLine <= line) ?? parts[0]!;
  return `${part.file}:${line - part.firstLine + 1}`;
}

export interface PipelineKey {
  kernel: KernelSource;
  /** Booleans for `#if` blocks, numbers (tile sizes, workgroup size) for `const`s. */
  defines?: ShaderDefines;
}

function sortedEntries<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly ctx: GpuContext) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(key: PipelineKey): Promise<GPUComputePipeline> {
    const id = JSON.stringify([key.kernel.file, sortedEntries(key.defines ?? {})]);
    let pipeline = this.pipelines.get(id);
    if (!pipeline) {
      pipeline = this.compile(key, id);
      this.pipelines.set(id, pipeline);
      // A failed compile is not cached, so the error shows again on the next try.
      pipeline.catch(() => this.pipelines.delete(id));
    }
    return pipeline;
  }

  clear(): void {
    this.pipelines.clear();
  }

  private async compile({ kernel, defines = {} }: PipelineKey, id: string): Promise<GPUComputePipeline> {
    const { text, parts } = assemble(kernel, defines);
    const code = preprocessWgsl(text, defines, kernel.file);
    const { device } = this.ctx;
    return this.ctx.checked(`compiling ${kernel.file}`, async () => {
      const module = device.createShaderModule({ code, label: kernel.file });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) {
        const lines = errors.map((m) => `${sourceLine(parts, m.lineNum)}:${m.linePos}: ${m.message}`);
        throw new Error(`xnornet: shader compilation failed\n${lines.join('\n')}`);
      }
      return device.createComputePipeline({ label: id, layout: 'auto', compute: { module, entryPoint: 'main' } });
    });
  }
}
