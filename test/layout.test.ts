/**
 * The architecture the folders show: ops -> plan -> backends -> runner -> CLI, no import
 * cycles between top-level folders, and the two backends independent of each other.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Lower layers first; a module may import from its own layer or below. */
const LAYERS = [['util', 'types'], ['tensor'], ['ops'], ['model'], ['zoo', 'plan'], ['backends'], ['runner'], ['train'], ['cli']];

const root = resolve(import.meta.dirname, '../src');
const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.includes('generated'));

/** [importing file, imported file], both relative to src/, for every relative import. */
const edges = files.flatMap((file) => {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^'?]+)/g)].map(
    ([, spec]) => [file, relative(root, resolve(dirname(join(root, file)), spec!))] as const,
  );
});

const folderOf = (file: string, depth = 1) => file.split('/').slice(0, depth).join('/');
const layerOf = (folder: string) => LAYERS.findIndex((layer) => layer.includes(folder));

describe('source layout', () => {
  it('every top-level folder has a layer', () => {
    const folders = new Set(files.filter((f) => f.includes('/')).map((f) => folderOf(f)));
    for (const folder of folders) expect(layerOf(folder), folder).toBeGreaterThanOrEqual(0);
  });

  it('no folder imports from a folder above its layer (so no cycles between folders)', () => {
    const upward = edges
      .filter(([from, to]) => from.includes('/') && to.includes('/'))
      .filter(([from, to]) => layerOf(folderOf(to)) > layerOf(folderOf(from)))
      .map(([from, to]) => `${from} -> ${to}`);
    expect(upward).toEqual([]);
  });

  it('the WebGPU and CPU backends do not import each other', () => {
    const across = edges
      .filter(([from, to]) => from.startsWith('backends/') && to.startsWith('backends/'))
      .filter(([from, to]) => folderOf(from, 2) !== folderOf(to, 2) && from.split('/').length > 2 && to.split('/').length > 2)
      .map(([from, to]) => `${from} -> ${to}`);
    expect(across).toEqual([]);
  });
});
