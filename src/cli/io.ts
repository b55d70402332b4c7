/** Where a command's output goes: results on standard output, notes and progress on standard error. */
export interface Io {
  /** A result line (standard output). */
  log(line: string): void;
  /** A note or warning (standard error), so that results stay clean to pipe. */
  error(line: string): void;
  /** Progress of a long run: one line rewritten in place on a terminal, else one line each. */
  progress(line: string): void;
  /** Raw bytes on standard output (`-o -`). */
  writeStdout(bytes: Uint8Array): void;
}

export function processIo(): Io {
  const tty = process.stderr.isTTY;
  let progressShown = false;
  const endProgress = () => {
    if (progressShown) process.stderr.write('\n');
    progressShown = false;
  };
  return {
    log: (line) => {
      endProgress();
      console.log(line);
    },
    error: (line) => {
      endProgress();
      console.error(line);
    },
    progress: (line) => {
      if (!tty) return void console.error(line);
      process.stderr.write(`\r\x1b[2K${line}`);
      progressShown = true;
    },
    writeStdout: (bytes) => void process.stdout.write(bytes),
  };
}
