/**
 * TensorBoard event files (`events.out.tfevents.*`, what CleanRL and SB3 write through torch.utils.tensorboard or
 * tensorboardX): TFRecord records, each an `Event` proto. Only the messages and fields needed for scalars are
 * declared (field numbers from tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto,
 * tensor_shape.proto); protobufjs skips every other field. A scalar is a `Summary.Value` with `simple_value`, or with
 * a one-element float/double `tensor` (`float_val`/`double_val`, or little-endian `tensor_content`), as
 * `add_scalar(..., new_style=True)` and TF2's `tf.summary.scalar` write. Histograms, images, audio and other
 * tensors are counted as skipped. CleanRL's `hyperparameters` text summary (a Markdown table) becomes the config.
 */
import protobuf from 'protobufjs';
import type { Crc32c } from './crc32c.js';
import { ImportError } from './errors.js';
import { readTfRecords } from './tfrecord.js';

const PROTO = `
syntax = "proto3";
package tensorboard;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}
message Summary {
  message Value {
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}
message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
}
message TensorShapeProto {
  message Dim {
    int64 size = 1;
  }
  repeated Dim dim = 2;
}
message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  bytes tensor_content = 4;
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated bytes string_val = 8;
}
`;

/** tensorflow DataType values used here. */
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_STRING = 7;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
export const EventType = root.lookupType('tensorboard.Event');

interface DecodedTensor {
  dtype?: number;
  tensor_shape?: { dim?: { size?: number | { toNumber(): number } }[] };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  string_val?: Uint8Array[];
}
interface DecodedValue {
  tag?: string;
  simple_value?: number;
  tensor?: DecodedTensor;
  metadata?: { plugin_data?: { plugin_name?: string } };
}
interface DecodedEvent {
  wall_time?: number;
  step?: number | { toNumber(): number };
  file_version?: string;
  summary?: { value?: DecodedValue[] };
}

export interface ScalarEvent {
  tag: string;
  step: number;
  wallTime: number;
  value: number;
}

export interface EventFileContents {
  fileVersion: string | null;
  scalars: ScalarEvent[];
  /** Text summaries by tag (first value of each). */
  texts: Map<string, string>;
  /** Summary values that are not scalars (histograms, images, non-scalar tensors). */
  skipped: number;
  records: number;
}

function toNumber(x: number | { toNumber(): number } | undefined): number {
  if (x === undefined) return 0;
  return typeof x === 'number' ? x : x.toNumber();
}

function elements(t: DecodedTensor): number {
  let n = 1;
  for (const d of t.tensor_shape?.dim ?? []) n *= toNumber(d.size);
  return n;
}

/** The value of a one-element float or double tensor, or null for anything else. */
function tensorScalar(t: DecodedTensor): number | null {
  if (elements(t) !== 1) return null;
  const content = t.tensor_content;
  if (t.dtype === DT_FLOAT) {
    if (t.float_val && t.float_val.length === 1) return t.float_val[0]!;
    if (content && content.byteLength === 4) return new DataView(content.buffer, content.byteOffset, 4).getFloat32(0, true);
  } else if (t.dtype === DT_DOUBLE) {
    if (t.double_val && t.double_val.length === 1) return t.double_val[0]!;
    if (content && content.byteLength === 8) return new DataView(content.buffer, content.byteOffset, 8).getFloat64(0, true);
  }
  return null;
}

/** Decodes one event file; a record that is not an Event names its record number. */
export function parseEventFile(bytes: Uint8Array, crc: Crc32c, name: string): EventFileContents {
  const records = readTfRecords(bytes, crc, name);
  const out: EventFileContents = { fileVersion: null, scalars: [], texts: new Map(), skipped: 0, records: records.length };
  records.forEach((data, i) => {
    let ev: DecodedEvent;
    try {
      ev = EventType.toObject(EventType.decode(data), { defaults: false, longs: Number }) as DecodedEvent;
    } catch (e) {
      throw new ImportError(`${name}: record ${i + 1}: not an Event proto (${e instanceof Error ? e.message : String(e)})`, name);
    }
    if (i === 0 && ev.file_version === undefined) {
      throw new ImportError(`${name}: record 1: expected the file_version event ("brain.Event:2") that starts every event file`, name);
    }
    if (ev.file_version !== undefined) out.fileVersion ??= ev.file_version;
    const step = toNumber(ev.step);
    const wallTime = ev.wall_time ?? 0;
    for (const v of ev.summary?.value ?? []) {
      const tag = v.tag ?? '';
      let value: number | null = null;
      if (v.simple_value !== undefined) value = v.simple_value;
      else if (v.tensor) {
        value = tensorScalar(v.tensor);
        if (value === null && v.tensor.dtype === DT_STRING && v.tensor.string_val?.length) {
          if (!out.texts.has(tag)) out.texts.set(tag, new TextDecoder().decode(v.tensor.string_val[0]));
          continue;
        }
      }
      if (value === null || tag === '') {
        out.skipped++;
        continue;
      }
      if (!Number.isFinite(step) || step < 0) throw new ImportError(`${name}: record ${i + 1}: step ${step} of "${tag}" is not a step ≥ 0`, name);
      out.scalars.push({ tag, step, wallTime, value });
    }
  });
  if (out.fileVersion === null) throw new ImportError(`${name}: no records (an empty event file)`, name);
  return out;
}

/** CleanRL's `hyperparameters` text: a Markdown table `|param|value|` → { param: value } (numbers and booleans parsed). */
export function parseHyperparameterTable(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    const m = /^\|([^|]+)\|(.*)\|\s*$/.exec(line.trim());
    if (!m) continue;
    const key = m[1]!.trim();
    const raw = m[2]!.trim();
    if (key === 'param' || /^-+$/.test(key)) continue;
    if (raw === 'True' || raw === 'False') out[key] = raw === 'True';
    else if (raw !== '' && Number.isFinite(Number(raw))) out[key] = Number(raw);
    else out[key] = raw;
  }
  return out;
}
