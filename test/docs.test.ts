/** The documentation a clone has: every relative link of the README and docs/ names a file in the repository. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const pages = ['README.md', 'bench/README.md', 'shaders/README.md', ...readdirSync('docs').map((f) => join('docs', f))].filter((f) =>
  f.endsWith('.md'),
);

describe('documentation links', () => {
  it.each(pages)('%s links only to files in the repository', (page) => {
    const text = readFileSync(page, 'utf8');
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
    const missing = targets.filter((t) => !existsSync(join(dirname(page), t)));
    expect(missing).toEqual([]);
    expect(text).not.toMatch(/\.\.\/shared\//);
  });

  it('documents the model format and the semantics in docs/', () => {
    expect(readFileSync('docs/model-format.md', 'utf8')).toMatch(/num_batches_tracked/);
    expect(readFileSync('docs/semantics.md', 'utf8')).toMatch(/1e-4 \* \(1 \+ max\|ref\|\)/);
  });
});
