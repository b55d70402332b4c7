/**
 * Applies `#if NAME` / `#elif NAME` / `#else` / `#endif` in a .wgsl file.
 *
 * wgsl-preprocessor only reads tagged template literals (`#if ${cond}`), while shader files
 * are plain text. So the text is cut after every `#if` / `#elif` and the NAME that follows
 * becomes the template value defines[NAME]; `!NAME` negates. Every NAME must be given in
 * `defines`, so a typo is an error, not a silently dropped block. Numbers are not handled
 * here: they are WGSL `override` constants set at pipeline creation.
 */
import { wgsl } from 'wgsl-preprocessor';

export type ShaderDefines = Readonly<Record<string, boolean>>;

const CONDITION = /#(if|elif)[ \t]+(!?)([A-Za-z_]\w*)/g;

export function preprocessWgsl(source: string, defines: ShaderDefines, file: string): string {
  const strings: string[] = [];
  const values: boolean[] = [];
  let last = 0;
  for (const match of source.matchAll(CONDITION)) {
    const [whole, keyword, negate, name] = match as unknown as [string, string, string, string];
    if (!Object.hasOwn(defines, name)) {
      const given = Object.keys(defines).join(', ') || 'none';
      throw new Error(`${file}: #${keyword} ${name}: "${name}" is not defined (defines given: ${given})`);
    }
    strings.push(source.slice(last, match.index) + `#${keyword} `);
    values.push(negate === '!' ? !defines[name] : Boolean(defines[name]));
    last = match.index + whole.length;
  }
  strings.push(source.slice(last));
  try {
    return wgsl(strings, ...values);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
