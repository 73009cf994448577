/**
 * CRC32C (Castagnoli) and TFRecord's masked form, for checking TensorBoard event files. The CRC itself is
 * hash-wasm's (a maintained WebAssembly build, polynomial 0x82f63b78); after one asynchronous start-up it is
 * synchronous.
 */
import { createCRC32 } from 'hash-wasm';

export type Crc32c = (bytes: Uint8Array) => number;

let shared: Promise<Crc32c> | null = null;

/** The process's CRC32C function (the WebAssembly module compiled on the first call). */
export function crc32c(): Promise<Crc32c> {
  shared ??= createCRC32(0x82f63b78).then(
    (h) => (bytes: Uint8Array) => {
      h.init();
      h.update(bytes);
      return Number.parseInt(h.digest('hex'), 16) >>> 0;
    },
    (e: unknown) => {
      shared = null;
      throw e;
    },
  );
  return shared;
}

/** TFRecord's mask: rotate right by 15 bits and add 0xa282ead8 (so a CRC of data holding CRCs stays strong). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
