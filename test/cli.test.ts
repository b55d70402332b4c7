/** The built CLI and library (dist/, made by `npm test`'s build step) as a user runs them. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { gpuForSuite } from './helpers/gpu.js';

const run = promisify(execFile);
const CLI = 'dist/xnornet.js';
const ctx = await gpuForSuite('cli');
ctx?.destroy(); // only probing for an adapter: the CLI creates its own in a child process

describe('xnornet CLI', () => {
  it('is built', () => {
    for (const file of [CLI, 'dist/index.js']) expect(existsSync(file), `${file} is missing: run "npm run build"`).toBe(true);
  });

  it.skipIf(!ctx)('selfcheck names the adapter, is bit-exact, and the process exits by itself within 5 s', async () => {
    const started = Date.now();
    const { stdout } = await run('node', [CLI, 'selfcheck'], { timeout: 20_000 });
    const elapsed = Date.now() - started;
    expect(stdout).toMatch(/^adapter: \S/m);
    expect(stdout).toMatch(/bit-exact with the host packer/);
    expect(elapsed).toBeLessThan(5_000);
  });

  it.skipIf(!ctx)('a script that creates a context and destroys it returns to the shell within 5 s', async () => {
    const script = "import { createContext } from './dist/index.js'; const ctx = await createContext(); console.log(ctx.adapterName); ctx.destroy();";
    const started = Date.now();
    const { stdout } = await run('node', ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout.trim().length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('prints usage, and one clear line for an unknown command', async () => {
    expect((await run('node', [CLI, '--help'])).stdout).toMatch(/usage: xnornet <command>/);
    expect((await run('node', [CLI, 'selfcheck', '--help'])).stdout).toMatch(/usage: xnornet selfcheck/);
    await expect(run('node', [CLI, 'frobnicate'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command "frobnicate"/) });
  });
});
