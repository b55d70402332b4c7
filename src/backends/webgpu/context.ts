/**
 * GpuContext: owns one GPUDevice and everything compiled for it. Works in the browser
 * (navigator.gpu) and in Node (Dawn, see node-gpu.ts).
 */
import { PipelineCache } from './pipelines.js';

/** Limits a compute library cares about; the device gets the adapter's values, not the defaults. */
const REQUESTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxUniformBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

export type ComputeLimits = Record<(typeof REQUESTED_LIMITS)[number], number>;

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface CreateContextOptions {
  /** A GPU object to use instead of navigator.gpu / Dawn (e.g. one the caller created). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /**
   * Lower limits for xnornet to keep within, each at most the adapter's: kernels check buffer
   * sizes and workgroup grids against `ctx.limits`, which holds these values, and the executor
   * runs a batch in chunks that fit them. The device itself still gets the adapter's limits
   * (WebGPU raises a requested limit below its default back to the default). For tests of
   * chunking and grid folding on small inputs, or to cap the size of one buffer.
   */
  limits?: Partial<ComputeLimits>;
}

/** Checks CreateContextOptions.limits: known names, positive integers at most the adapter's. */
function lowerLimits(lower: Partial<ComputeLimits>, adapter: ComputeLimits): Partial<ComputeLimits> {
  for (const [name, value] of Object.entries(lower)) {
    if (!(REQUESTED_LIMITS as readonly string[]).includes(name)) {
      throw new RangeError(`xnornet: unknown limit ${name} (the limits: ${REQUESTED_LIMITS.join(', ')})`);
    }
    const most = adapter[name as keyof ComputeLimits];
    if (!Number.isInteger(value) || value < 1 || value > most) {
      throw new RangeError(`xnornet: limit ${name} must be an integer from 1 to the adapter's ${most}, got ${value}`);
    }
  }
  return lower;
}

export class GpuDeviceLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuDeviceLostError';
  }
}

/** A WebGPU error (validation, out-of-memory, internal) caught in an error scope. */
export class GpuOperationError extends Error {
  constructor(label: string, error: GPUError) {
    super(`xnornet: ${label} failed on the GPU: ${error.message}`);
    this.name = 'GpuOperationError';
  }
}

const SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

export class GpuContext {
  readonly pipelines: PipelineCache;
  private lostMessage: string | undefined;
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
    readonly limits: ComputeLimits,
    /** The GPU object the adapter came from; in Node, holding it keeps Dawn alive. */
    readonly gpu: GPU,
  ) {
    this.pipelines = new PipelineCache(this);
    void device.lost.then((info) => {
      if (!this.destroyed) this.lostMessage = `WebGPU device lost (${info.reason}): ${info.message}`;
    });
  }

  static async create(options: CreateContextOptions = {}): Promise<GpuContext> {
    const adapterOptions: GPURequestAdapterOptions = options.powerPreference ? { powerPreference: options.powerPreference } : {};
    let gpu = options.gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
    let adapter: GPUAdapter | null;
    if (gpu) {
      adapter = await gpu.requestAdapter(adapterOptions);
      if (!adapter) throw new Error('xnornet: this browser exposes WebGPU but offered no adapter (is hardware acceleration off?)');
    } else if (typeof process !== 'undefined' && process.versions?.node) {
      const { requestNodeAdapter } = await import('./node-gpu.js');
      ({ gpu, adapter } = await requestNodeAdapter(adapterOptions));
    } else {
      throw new Error('xnornet: WebGPU is not available here (no navigator.gpu); use a browser with WebGPU or Node');
    }
    const requiredLimits: Record<string, number> = {};
    for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
    const limits = { ...requiredLimits, ...lowerLimits(options.limits ?? {}, requiredLimits as ComputeLimits) };
    // Timestamp queries only serve the profiler; asked for where the adapter has them.
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'xnornet' });
    const info = adapter.info;
    const description: AdapterDescription = {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    };
    return new GpuContext(device, description, limits as ComputeLimits, gpu);
  }

  /** One line naming the adapter, e.g. "SwiftShader driver 5.0.0 (google swiftshader, fallback adapter)". */
  /** Whether the device has GPU timestamp queries (the profiler times each kernel with them). */
  get timestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  get adapterName(): string {
    const { vendor, architecture, device, description, isFallbackAdapter } = this.adapter;
    const name = description || device; // browsers often leave both empty
    const vendorArchitecture = [vendor, architecture].filter(Boolean).join(' ');
    const notes = [name ? vendorArchitecture : '', isFallbackAdapter ? 'fallback adapter' : ''].filter(Boolean);
    return `${name || vendorArchitecture || 'unnamed adapter'}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  }

  /** Throws a clear error if the device was lost or this context destroyed. */
  assertUsable(): void {
    if (this.destroyed) throw new Error('xnornet: this GPU context was destroyed; create a new one');
    if (this.lostMessage) throw new GpuDeviceLostError(`xnornet: ${this.lostMessage}; create a new context`);
  }

  /**
   * Runs `work` inside WebGPU error scopes and turns a GPU error into a GpuOperationError.
   * If `work` throws itself, its error wins: it is the more specific one.
   */
  async checked<T>(label: string, work: () => T | Promise<T>): Promise<T> {
    this.assertUsable();
    for (const filter of SCOPES) this.device.pushErrorScope(filter);
    let result: T;
    try {
      result = await work();
    } catch (err) {
      await Promise.all(SCOPES.map(() => this.device.popErrorScope()));
      throw err;
    }
    const errors = await Promise.all(SCOPES.map(() => this.device.popErrorScope()));
    const error = errors.find((e) => e !== null);
    if (error) throw new GpuOperationError(label, error);
    return result;
  }

  /** Releases the device. In Node this also ends Dawn's polling thread so the process can exit. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pipelines.clear();
    this.device.destroy();
  }
}

/** Creates a context (see GpuContext.create). Call destroy() when done. */
export function createContext(options?: CreateContextOptions): Promise<GpuContext> {
  return GpuContext.create(options);
}

/** Runs `fn` with a fresh context and always destroys it afterwards. */
export async function withContext<T>(fn: (ctx: GpuContext) => Promise<T>, options?: CreateContextOptions): Promise<T> {
  const ctx = await createContext(options);
  try {
    return await fn(ctx);
  } finally {
    ctx.destroy();
  }
}
