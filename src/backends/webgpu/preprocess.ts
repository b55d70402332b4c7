/**
 * Turns a .wgsl template into WGSL, given its defines:
 * - `#unroll VAR COUNT` ... `#endunroll` repeats its lines COUNT times (a number or a number
 *   define), with `${VAR}` replaced by 0, 1, ...: register tiles whose size is a parameter,
 *   written once (the shader compilers here do not unroll loops over arrays themselves);
 * - a boolean define drives `#if NAME` / `#elif NAME` / `#else` / `#endif` (`!NAME` negates);
 * - a number define becomes `const NAME: u32 = value;` at the start of line 1 (so compiler
 *   line numbers still match the file), making tile sizes and the workgroup size
 *   compile-time constants (usable as array sizes, unrollable loops).
 *
 * wgsl-preprocessor only reads tagged template literals (`#if ${cond}`), while shader files
 * are plain text. So the text is cut after every `#if` / `#elif` and the NAME that follows
 * becomes the template value. Every NAME must be given as a boolean, so a typo is an error,
 * not a silently dropped block.
 */
import { wgsl } from 'wgsl-preprocessor';

export type ShaderDefines = Readonly<Record<string, boolean | number>>;

const CONDITION = /#(if|elif)[ \t]+(!?)([A-Za-z_]\w*)/g;

function constDeclarations(defines: ShaderDefines, file: string): string {
  let declarations = '';
  for (const [name, value] of Object.entries(defines)) {
    if (typeof value !== 'number') continue;
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new Error(`${file}: define ${name} = ${value} is not a u32`);
    }
    declarations += `const ${name}: u32 = ${value}u; `;
  }
  return declarations;
}

const UNROLL = /^[ \t]*#unroll[ \t]+([A-Za-z_]\w*)[ \t]+(\w+)[ \t]*\n([\s\S]*?)^[ \t]*#endunroll[ \t]*$/gm;

/**
 * Expands #unroll blocks. The copies of each body line are joined side by side on that line
 * (comments dropped), so every line keeps its number and compiler errors point into the file.
 */
function unroll(source: string, defines: ShaderDefines, file: string): string {
  return source.replace(UNROLL, (_, variable: string, countText: string, body: string) => {
    const count = /^\d+$/.test(countText) ? Number(countText) : defines[countText];
    if (typeof count !== 'number') throw new Error(`${file}: #unroll ${variable} ${countText}: "${countText}" is not a number define`);
    if (body.includes('#unroll')) throw new Error(`${file}: #unroll blocks cannot nest`);
    const marker = `\${${variable}}`;
    const lines = body
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => {
        const code = line.replace(/\/\/.*$/, '').trimEnd();
        return Array.from({ length: count }, (_, i) => code.split(marker).join(String(i))).join(' ');
      });
    return `\n${lines.join('\n')}\n`;
  });
}

export function preprocessWgsl(template: string, defines: ShaderDefines, file: string): string {
  const source = unroll(template, defines, file);
  const strings: string[] = [];
  const values: boolean[] = [];
  let last = 0;
  for (const match of source.matchAll(CONDITION)) {
    const [whole, keyword, negate, name] = match as unknown as [string, string, string, string];
    const value = defines[name];
    if (typeof value !== 'boolean') {
      const given = Object.keys(defines).join(', ') || 'none';
      const problem = value === undefined ? 'is not defined' : `is ${value}, not a boolean`;
      throw new Error(`${file}: #${keyword} ${name}: "${name}" ${problem} (defines given: ${given})`);
    }
    strings.push(source.slice(last, match.index) + `#${keyword} `);
    values.push(negate === '!' ? !value : value);
    last = match.index + whole.length;
  }
  strings.push(source.slice(last));
  let body: string;
  try {
    body = wgsl(strings, ...values);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  // Directives (`enable ...;`) must open a WGSL module: the constants go after them.
  const directives = body.match(/^(?:[ \t]*(?:enable|requires|diagnostic)\b[^\n]*\n)*/)![0];
  return directives + constDeclarations(defines, file) + body.slice(directives.length);
}
