/**
 * Runs library code in headless Chromium with WebGPU on SwiftShader: the entry is bundled by
 * Vite for the browser (same config, so same `?raw` shaders), served from 127.0.0.1 (WebGPU
 * needs a secure context), and loaded in a page driven by playwright-core.
 */
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type Page, chromium } from 'playwright-core';
import { build } from 'vite';
import { ISOLATION_HEADERS } from '../../demo/isolation-headers.js';
import viteConfig from '../../vite.config.js';

export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Debian's Chromium, headless, with WebGPU on SwiftShader unless `webgpu` is false. */
export function launchChromium({ webgpu = true } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
  const flags = webgpu ? CHROMIUM_FLAGS : CHROMIUM_FLAGS.filter((f) => !/webgpu/.test(f)).concat('--disable-features=WebGPU');
  return chromium.launch({ executablePath: CHROMIUM, args: flags });
}

export interface BrowserPage {
  page: Page;
  close(): Promise<void>;
}

type Served = Map<string, string | Uint8Array>;

async function bundleForBrowser(entry: string): Promise<Served> {
  const output = await build({
    // Not the config file: its build inputs (library, CLI, benchmarks) would merge into this
    // build's. Only its module resolution.
    configFile: false,
    resolve: viteConfig.resolve,
    logLevel: 'silent',
    build: {
      ssr: false,
      write: false,
      target: 'es2022',
      sourcemap: false,
      rollupOptions: { input: { entry }, output: { entryFileNames: '[name].js' } },
    },
  });
  const files: Served = new Map();
  for (const result of Array.isArray(output) ? output : [output]) {
    if (!('output' in result)) throw new Error('unexpected watcher from vite build');
    for (const chunk of result.output) files.set(`/${chunk.fileName}`, chunk.type === 'chunk' ? chunk.code : String(chunk.source));
  }
  return files;
}

const CONTENT_TYPES: [RegExp, string][] = [
  [/(^\/|\.html)$/, 'text/html'],
  [/\.js$/, 'text/javascript'],
  [/\.css$/, 'text/css'],
  [/\.json$/, 'application/json'],
  [/\.svg$/, 'image/svg+xml'],
  [/\.wasm$/, 'application/wasm'],
];

/** Serves `files` (by path, "/" the page) on 127.0.0.1, with COOP/COEP headers when `isolated`. */
export function serve(files: Served, isolated: boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split(/[?#]/)[0]!;
    const body = files.get(url);
    if (body === undefined) return void res.writeHead(404).end();
    const type = CONTENT_TYPES.find(([pattern]) => pattern.test(url))?.[1] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, ...(isolated ? ISOLATION_HEADERS : {}) }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export interface PageOptions {
  /** Served too, e.g. model files at "/models/...". */
  extraFiles?: Served;
  /** Serve with COOP/COEP headers, so that the page is cross-origin isolated. */
  isolated?: boolean;
}

/** Opens a page that has loaded `entry`; the entry exposes what the test calls on globalThis. */
export async function openPageWith(
  entry: string,
  readyGlobal: string,
  { extraFiles = new Map(), isolated = false }: PageOptions = {},
): Promise<BrowserPage> {
  const files = await bundleForBrowser(entry);
  files.set('/', '<!doctype html><meta charset="utf-8"><script type="module" src="/entry.js"></script>');
  for (const [path, body] of extraFiles) files.set(path, body);
  const server = await serve(files, isolated);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page
      .waitForFunction((name) => name in globalThis, readyGlobal, { timeout: 15_000 })
      .catch(() => {
        throw new Error(`the page never defined ${readyGlobal}${errors.length ? `: ${errors.join('; ')}` : ''}`);
      });
    const opened = browser;
    return {
      page,
      async close() {
        await opened.close();
        server.close();
      },
    };
  } catch (err) {
    await browser?.close();
    server.close();
    throw err;
  }
}
