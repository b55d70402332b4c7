/** Numbers for people: sizes and counts (the CLI, the benchmarks and the demo print them alike). */

/** Bytes as a short human-readable size. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A count with thousands separators. */
export const formatCount = (n: number) => Math.round(n).toLocaleString('en-US');
