/**
 * WebGPU in Node through Dawn (npm package `webgpu`), with the SwiftShader fallback for
 * machines without a GPU.
 *
 * Dawn pitfalls handled here and in GpuContext.destroy(): the `GPU` object returned by
 * create() keeps Dawn alive, and a live device keeps a busy polling thread (and the Node
 * process) running until device.destroy().
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Debian's chromium ships SwiftShader, a CPU Vulkan driver Dawn can run on. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

export interface NodeAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
}

async function loadDawn(): Promise<DawnModule> {
  // A variable module name keeps bundlers for the browser from pulling in the native addon.
  const moduleName = 'webgpu';
  const dawn = (await import(/* @vite-ignore */ moduleName)) as DawnModule;
  // WebGPU's enum objects (GPUBufferUsage, GPUMapMode, ...) are globals in a browser.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  return dawn;
}

async function tryAdapter(dawn: DawnModule, options: GPURequestAdapterOptions): Promise<NodeAdapter | undefined> {
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter(options);
  return adapter ? { gpu, adapter } : undefined;
}

export class NoWebGpuAdapterError extends Error {
  constructor(detail: string) {
    super(
      `xnornet: no WebGPU adapter found (${detail}). ` +
        'Use a machine with a GPU and a Vulkan driver, or on Linux without a GPU install ' +
        `SwiftShader from Debian's chromium and the Vulkan loader: apt-get install -y chromium libvulkan1 ` +
        `(xnornet then uses ${SWIFTSHADER_ICD} by itself).`,
    );
    this.name = 'NoWebGpuAdapterError';
  }
}

/**
 * Whether the Vulkan loader can find any driver (an ICD manifest where it looks, or one named
 * in its environment). Without one, probing Dawn's adapters only prints the loader's
 * "Found no drivers!" warnings, so SwiftShader is tried straight away. Only Linux uses Vulkan
 * this way; elsewhere Dawn probes Metal or D3D12.
 */
function vulkanDriverInstalled(): boolean {
  if (process.platform !== 'linux') return true;
  const named = process.env['VK_ICD_FILENAMES'] || process.env['VK_DRIVER_FILES'];
  if (named) return named.split(':').some((file) => existsSync(file));
  const config = (process.env['XDG_CONFIG_DIRS'] || '/etc/xdg').split(':');
  const data = (process.env['XDG_DATA_DIRS'] || '/usr/local/share:/usr/share').split(':');
  const folders = [...config, '/etc', ...data, join(homedir(), '.local/share')].map((dir) => join(dir, 'vulkan/icd.d'));
  return folders.some((folder) => {
    try {
      return readdirSync(folder).some((file) => file.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

/** The first adapter Dawn offers; if none (or no Vulkan driver at all), SwiftShader when its driver is installed. */
export async function requestNodeAdapter(options: GPURequestAdapterOptions): Promise<NodeAdapter> {
  let dawn: DawnModule;
  try {
    dawn = await loadDawn();
  } catch (err) {
    throw new NoWebGpuAdapterError(`the npm package "webgpu" (Dawn) could not be loaded: ${(err as Error).message}`);
  }
  const found = vulkanDriverInstalled() ? await tryAdapter(dawn, options) : undefined;
  if (found) return found;
  if (process.env['VK_ICD_FILENAMES']) {
    throw new NoWebGpuAdapterError(`none from the Vulkan driver VK_ICD_FILENAMES=${process.env['VK_ICD_FILENAMES']}`);
  }
  if (!existsSync(SWIFTSHADER_ICD)) throw new NoWebGpuAdapterError(`no GPU driver, and no ${SWIFTSHADER_ICD}`);
  // The Vulkan loader reads this variable each time Dawn creates an instance.
  process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  const swiftshader = await tryAdapter(dawn, options);
  if (swiftshader) return swiftshader;
  throw new NoWebGpuAdapterError(`SwiftShader at ${SWIFTSHADER_ICD} gave none either; is the Vulkan loader libvulkan.so.1 installed?`);
}
