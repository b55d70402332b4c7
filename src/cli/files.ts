/**
 * Files on the command line: inputs read and outputs checked before any work, with one line
 * naming the file and the problem instead of Node's raw errors (ENOENT, EISDIR, ...).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileProblem } from '../model/errors.js';

/** The output path that means standard output. */
export const STDOUT = '-';

/** A file-system error as one line naming the path: "out/x.npy: no such file or directory". */
export class FileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'FileError';
  }

  static from(err: unknown, path: string): Error {
    return (err as NodeJS.ErrnoException).code === undefined ? (err as Error) : new FileError(path, fileProblem(err));
  }
}

export async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw FileError.from(err, path);
  }
}

/** Throws unless `path` can be written: its folder exists and it is not a folder itself. */
export async function checkOutputFile(path: string): Promise<void> {
  if (path === STDOUT) return;
  const folder = dirname(resolve(path));
  const parent = await stat(folder).catch(() => undefined);
  if (!parent) throw new FileError(path, `its folder ${folder} does not exist`);
  if (!parent.isDirectory()) throw new FileError(path, `${folder} is not a folder`);
  if ((await stat(path).catch(() => undefined))?.isDirectory()) throw new FileError(path, 'is a folder; give a file name');
}

/** Throws if `path` exists and is not a folder (a folder that does not exist yet is created by the writer). */
export async function checkOutputFolder(path: string): Promise<void> {
  const found = await stat(path).catch(() => undefined);
  if (found && !found.isDirectory()) throw new FileError(path, 'exists and is not a folder');
}
