/**
 * Run ids: a base-36 millisecond timestamp (9 characters, sorts by creation time until the year 5188)
 * plus 8 random characters from nanoid. Lower-case only, because macOS and Windows folders are
 * case-insensitive and the id is a folder name (`runs/<id>/`).
 */
import { customAlphabet } from 'nanoid';
import { StoreError } from './errors.js';

const randomSuffix = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 8);

export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function newRunId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}-${randomSuffix()}`;
}

export function isRunId(id: unknown): id is string {
  return typeof id === 'string' && RUN_ID_PATTERN.test(id);
}

/** Ids become folder names, so anything else (`..`, slashes, upper case) is refused before touching disk. */
export function assertRunId(id: unknown): asserts id is string {
  if (!isRunId(id)) {
    throw new StoreError('UNKNOWN_RUN', `invalid run id ${JSON.stringify(id)}: expected lower-case letters, digits, '-' or '_'`);
  }
}
