/**
 * An event-file writer for tests, independent of the importer: CRC32C from its definition (reflected
 * Castagnoli polynomial 0x82F63B78, init and final xor 0xFFFFFFFF), TFRecord framing from TensorFlow's
 * record_writer spec, and the protobuf wire format written by hand (no protobufjs), so a reader bug cannot
 * cancel out in a round trip.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32cRef(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function maskedCrc(bytes: Uint8Array): number {
  const c = crc32cRef(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, masked CRC of the length, data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(data.length), true);
  v.setUint32(8, maskedCrc(out.subarray(0, 8)), true);
  out.set(data, 12);
  v.setUint32(12 + data.length, maskedCrc(data), true);
  return out;
}

// --- protobuf wire format -----------------------------------------------------------------------------------
function varint(n: number | bigint): number[] {
  let x = BigInt(n);
  if (x < 0n) x += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const cat = (...parts: (number[] | Uint8Array)[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const lenDelim = (field: number, bytes: Uint8Array) => cat(key(field, 2), varint(bytes.length), bytes);
const utf8 = (s: string) => new TextEncoder().encode(s);
function f64(field: number, x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return cat(key(field, 1), b);
}
function f32(field: number, x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return cat(key(field, 5), b);
}

export type TestValue =
  | { tag: string; simple: number }
  | { tag: string; tensorFloat: number; encoding: 'float_val' | 'content'; shape?: number[] }
  | { tag: string; tensorDouble: number }
  | { tag: string; text: string }
  | { tag: string; histogramLike: true };

function tensorShape(dims: number[]): Uint8Array {
  return cat(...dims.map((d) => lenDelim(2, cat(key(1, 0), varint(d)))));
}

function valueBytes(v: TestValue): Uint8Array {
  const tag = lenDelim(1, utf8(v.tag));
  if ('simple' in v) return cat(tag, f32(2, v.simple));
  if ('tensorFloat' in v) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v.tensorFloat, true);
    const payload = v.encoding === 'float_val' ? lenDelim(5, b) : lenDelim(4, b); // packed float_val, or tensor_content
    const meta = lenDelim(9, lenDelim(1, lenDelim(1, utf8('scalars'))));
    return cat(tag, lenDelim(8, cat(key(1, 0), varint(1), lenDelim(2, tensorShape(v.shape ?? [])), payload)), meta);
  }
  if ('tensorDouble' in v) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v.tensorDouble, true);
    return cat(tag, lenDelim(8, cat(key(1, 0), varint(2), lenDelim(6, b))));
  }
  if ('text' in v) return cat(tag, lenDelim(8, cat(key(1, 0), varint(7), lenDelim(2, tensorShape([1])), lenDelim(8, utf8(v.text)))));
  // A histogram (field 5, HistoProto) with a few doubles in it: not a scalar.
  return cat(tag, lenDelim(5, cat(f64(1, 0), f64(2, 1), f64(3, 3))));
}

export interface TestEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values?: TestValue[];
}

export function eventBytes(e: TestEvent): Uint8Array {
  const parts: Uint8Array[] = [f64(1, e.wallTime), cat(key(2, 0), varint(e.step))];
  if (e.fileVersion !== undefined) parts.push(lenDelim(3, utf8(e.fileVersion)));
  if (e.values) parts.push(lenDelim(5, cat(...e.values.map((v) => lenDelim(1, valueBytes(v))))));
  return cat(...parts);
}

/** A whole event file: the file_version event first (as every writer does), then `events`. */
export function eventFile(events: TestEvent[], opts: { fileVersion?: boolean } = {}): Uint8Array {
  const all = opts.fileVersion === false ? events : [{ wallTime: events[0]?.wallTime ?? 1, step: 0, fileVersion: 'brain.Event:2' }, ...events];
  return cat(...all.map((e) => tfRecord(eventBytes(e))));
}

/** A CleanRL-like run: episodic returns/lengths per finished episode plus losses per update. */
export function cleanrlEvents(n: number, t0 = 1_700_000_000): TestEvent[] {
  const out: TestEvent[] = [
    { wallTime: t0, step: 0, values: [{ tag: 'hyperparameters', text: '|param|value|\n|-|-|\n|exp_name|ppo|\n|seed|1|\n|env_id|CartPole-v1|\n|learning_rate|0.00025|\n|anneal_lr|True|' }] },
  ];
  for (let i = 1; i <= n; i++) {
    out.push({ wallTime: t0 + i, step: i * 100, values: [{ tag: 'charts/episodic_return', simple: 10 * i }] });
    out.push({ wallTime: t0 + i, step: i * 100, values: [{ tag: 'charts/episodic_length', simple: 10 * i }] });
    out.push({ wallTime: t0 + i + 0.5, step: i * 100, values: [{ tag: 'losses/value_loss', tensorFloat: 1 / i, encoding: 'float_val' }] });
  }
  return out;
}
