/** Argument parsing shared by the commands: node:util's parseArgs with usage errors that say what is wrong. */
import { availableParallelism } from 'node:os';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Backend, type RunnerOptions, parseBackend } from '../runner/runner.js';

/** A mistake on the command line: exit code 2 and the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `positionals`: the names of exactly that many arguments, or one name for "one or more". */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
  positionals: string[] | { oneOrMore: string },
) {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, options), allowPositionals: true, options, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const count = parsed.positionals.length;
  if (Array.isArray(positionals) && positionals.length === 0 && count > 0) {
    throw new UsageError(`takes no arguments, got ${parsed.positionals.map((p) => `"${p}"`).join(' ')}`);
  }
  if (Array.isArray(positionals) ? count !== positionals.length : count === 0) {
    const expected = Array.isArray(positionals) ? positionals.join(' ') : `${positionals.oneOrMore}...`;
    throw new UsageError(`expected ${expected}, got ${count} argument(s)`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/**
 * `--lr -1` as `--lr=-1`: parseArgs takes a value starting with a dash for an option, so a
 * negative number would be reported as a missing value instead of as the bad number it is.
 */
function joinNegativeValues(args: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

export function positiveInt(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** The options of the commands that run a model on one backend. */
export const RUN_OPTIONS = {
  backend: { type: 'string' },
  threads: { type: 'string' },
  outputs: { type: 'string' },
} as const;

/**
 * --backend (default webgpu), --threads (cpu only) and --outputs (comma-separated node names)
 * as runner options; `warn` hears about threads beyond this machine's cores.
 */
export function runOptions(
  values: { backend?: string | undefined; threads?: string | undefined; outputs?: string | undefined },
  warn: (line: string) => void,
): { backend: Backend; options: RunnerOptions } {
  let backend: Backend;
  try {
    backend = parseBackend(values.backend ?? 'webgpu');
  } catch (err) {
    throw new UsageError(`--backend: ${(err as Error).message}`);
  }
  const options: RunnerOptions = {};
  if (values.threads !== undefined) {
    if (backend !== 'cpu') throw new UsageError(`--threads applies to --backend cpu only (the ${backend} backend has no threads to set)`);
    options.threads = positiveInt(values.threads, 1, '--threads');
    const cores = availableParallelism();
    if (options.threads > cores)
      warn(`note: --threads ${options.threads} is more than this machine's ${cores} core(s); threads will share them`);
  }
  if (values.outputs !== undefined) options.outputs = values.outputs.split(',').map((name) => name.trim());
  return { backend, options };
}
