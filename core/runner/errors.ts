import { ApiFailure } from '../api/contract.js';
import { StoreError } from '../store/index.js';

/** Maps a store error to the API failure a client sees (unknown run → not_found, …); other errors pass through. */
export function mapStoreError(err: unknown): unknown {
  if (err instanceof StoreError) {
    if (err.code === 'UNKNOWN_RUN' || err.code === 'NOT_FOUND') return new ApiFailure('not_found', err.message);
    if (err.code === 'RUN_ACTIVE') return new ApiFailure('conflict', err.message);
    if (err.code === 'INVALID_INPUT') return new ApiFailure('invalid_request', err.message);
  }
  return err;
}
