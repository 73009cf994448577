/** Why an import was refused: the file, and where in it (record number or line number), in the message. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    message: string,
    /** The file (as given) the problem is in, when it is in one. */
    readonly file?: string,
  ) {
    super(message);
  }
}
