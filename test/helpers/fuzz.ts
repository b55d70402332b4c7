/** Checking the file readers' errors: damaged input may be read or rejected, but only with a ModelFormatError. */
import { expect } from 'vitest';
import { ModelFormatError } from '../../src/model/errors.js';
import type { Rng } from '../../src/util/random.js';

/** The ModelFormatError `read` throws; fails the test if it throws nothing or another error. */
export function formatErrorOf(read: () => unknown): ModelFormatError {
  try {
    read();
  } catch (err) {
    if (err instanceof ModelFormatError) return err;
    throw err;
  }
  throw new Error('expected a ModelFormatError, but the read succeeded');
}

/** Runs `read`: returning and throwing a ModelFormatError both pass; any other error fails, named by `what`. */
export function expectOnlyFormatErrors(read: () => unknown, what: string): void {
  try {
    read();
  } catch (err) {
    expect(err instanceof ModelFormatError, `${what}: ${err instanceof Error ? (err.stack ?? String(err)) : String(err)}`).toBe(true);
  }
}

/**
 * A copy of `valid` with 1 to 4 bytes replaced: each mostly by a character of `alphabet`
 * (bytes that turn a header into another well-formed one more often than random bytes do),
 * mostly at a position below `region` (where the parser is).
 */
export function mutateBytes(rng: Rng, valid: Uint8Array, alphabet: Uint8Array, region: number): Uint8Array {
  const file = valid.slice();
  for (let n = rng.int(1, 4); n > 0; n--) {
    const byte = rng.next() < 0.2 ? rng.int(0, 255) : alphabet[rng.int(0, alphabet.length - 1)]!;
    file[rng.next() < 0.9 ? rng.int(0, region - 1) : rng.int(0, file.length - 1)] = byte;
  }
  return file;
}
