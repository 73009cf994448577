/**
 * TFRecord framing, as TensorFlow writes event files: each record is
 *   uint64 length (little-endian) · uint32 masked CRC32C of those 8 bytes · `length` bytes of data ·
 *   uint32 masked CRC32C of the data.
 * Records are numbered from 1 in errors, with the byte offset where the record starts.
 */
import { type Crc32c, maskCrc } from './crc32c.js';
import { ImportError } from './errors.js';

/** Largest record accepted (event files hold small protos; this keeps a damaged length from allocating GBs). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export function readTfRecords(file: Uint8Array, crc: Crc32c, name: string): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < file.byteLength) {
    const n = out.length + 1;
    const where = `${name}: record ${n} (byte ${at})`;
    if (file.byteLength - at < 12) throw new ImportError(`${where}: truncated header (${file.byteLength - at} of 12 bytes)`, name);
    const length = Number(view.getBigUint64(at, true));
    const lengthCrc = view.getUint32(at + 8, true);
    if (maskCrc(crc(file.subarray(at, at + 8))) !== lengthCrc) throw new ImportError(`${where}: length CRC32C does not match (damaged or not a TFRecord file)`, name);
    if (length > MAX_RECORD_BYTES) throw new ImportError(`${where}: length ${length} exceeds ${MAX_RECORD_BYTES} bytes`, name);
    const start = at + 12;
    if (file.byteLength - start < length + 4) {
      throw new ImportError(`${where}: truncated: ${length} data bytes + 4 CRC bytes declared, ${file.byteLength - start} present`, name);
    }
    const data = file.subarray(start, start + length);
    if (maskCrc(crc(data)) !== view.getUint32(start + length, true)) throw new ImportError(`${where}: data CRC32C does not match`, name);
    out.push(data);
    at = start + length + 4;
  }
  return out;
}
