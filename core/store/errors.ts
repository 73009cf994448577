/**
 * One error type for everything the store refuses, with a stable `code` callers can branch on
 * (the API layer forwards `message` to the user as is, so messages say what was wrong and where).
 */
export type StoreErrorCode =
  | 'UNKNOWN_RUN'
  | 'INVALID_INPUT'
  | 'INVALID_PATH'
  | 'NOT_FOUND'
  | 'NEWER_SCHEMA'
  | 'CLOSED'
  | 'RUN_ACTIVE'
  | 'CORRUPT'
  /** Another process holds a data-folder lock for too long. */
  | 'LOCKED'
  /** The disk is full (ENOSPC) or the quota is exceeded. */
  | 'DISK_FULL';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isNodeError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
