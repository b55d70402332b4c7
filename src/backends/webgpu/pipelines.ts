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
}

/** The kernel's text with its includes before it, and where each file's lines start. */
function assemble(kernel: KernelSource): { text: string; parts: { file: string; firstLine: number }[] } {
  const files = [...(kernel.includes ?? []), kernel];
  const parts: { file: string; firstLine: number }[] = [];
  let line = 1;
  for (const { file, source } of files) {
    parts.push({ file, firstLine: line });
    line += source.split('\n').length;
  }
  return { text: files.map((f) => f.source).join('\n'), parts };
}

/** "file:line" of a line of the assembled text (the preprocessor keeps line numbers). */
function sourceLine(parts: { file: string; firstLine: number }[], line: number): string {
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
    const { text, parts } = assemble(kernel);
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
