declare module 'mnist' {
  /** One digit class: `length` samples of 28*28 values, pixel/255 rounded to 3 decimals, in `raw`. */
  interface Digit {
    id: number;
    length: number;
    raw: number[];
  }
  /** The 10 classes, 0..9 (CommonJS: `module.exports` is this array). */
  const digits: Digit[];
  export default digits;
}
