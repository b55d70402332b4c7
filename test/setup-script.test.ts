/**
 * scripts/setup.sh's output: one line saying what it did when all goes well, npm's whole log
 * when npm fails. npm is a stand-in here (a real `npm ci` would reinstall the packages this
 * test runs from); the system packages it checks for are present on the test machines.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
let bin: string;

async function setup(npmExit: number): Promise<{ code: number; stdout: string; stderr: string }> {
  await writeFile(
    join(bin, 'npm'),
    `#!/bin/sh\necho "added 57 packages in 11s"\necho "npm warn install-scripts 1 package has install scripts" >&2\nexit ${npmExit}\n`,
  );
  await chmod(join(bin, 'npm'), 0o755);
  try {
    const { stdout, stderr } = await exec('bash', ['scripts/setup.sh'], { env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return err as { code: number; stdout: string; stderr: string };
  }
}

describe('scripts/setup.sh', () => {
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'xnornet-setup-'));
  });

  it("prints one line saying what it did, and none of npm's output, when npm succeeds", async () => {
    const { code, stdout, stderr } = await setup(0);
    expect(code).toBe(0);
    expect(stdout).toBe('setup: npm packages installed, the CPU kernels and the CLI built (dist/xnornet.js)\n');
    expect(stderr).toBe('');
  });

  it("shows npm's output and fails when npm fails", async () => {
    const { code, stderr } = await setup(3);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /added 57 packages in 11s\nnpm warn install-scripts 1 package has install scripts\nsetup: npm ci failed \(output above\)\n$/,
    );
  });
});
