/** The error every model, weight and data file problem becomes: one readable line, naming what is wrong where. */
export class ModelFormatError extends Error {
  constructor(
    /** The file (or "model.json", or a URL) the problem is in. */
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelFormatError';
  }
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
};

/** A file-system error (ENOENT, EISDIR, ...) in words. */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === undefined ? (err as Error).message : (FILE_PROBLEMS[code] ?? `cannot be used (${code})`);
}
