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
