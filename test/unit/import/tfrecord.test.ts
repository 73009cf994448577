import { describe, expect, it } from 'vitest';
import { crc32c, maskCrc } from '../../../core/import/crc32c.js';
import { parseMonitorCsv } from '../../../core/import/sb3-monitor.js';
import { parseEventFile, parseHyperparameterTable } from '../../../core/import/tensorboard.js';
import { readTfRecords } from '../../../core/import/tfrecord.js';
import { crc32cRef, eventBytes, eventFile, maskedCrc, tfRecord } from '../../helpers/tfrecord-writer.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('CRC32C: published test vectors (RFC 3720 B.4, and the check value)', () => {
  const vectors: [string, Uint8Array, number][] = [
    ['"123456789"', bytes('123456789'), 0xe3069283],
    ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
    ['32 bytes of 0xff', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['32 ascending bytes 0..31', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['32 descending bytes 31..0', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ];
  it.each(vectors)('%s', async (_, data, expected) => {
    const crc = await crc32c();
    expect(crc(data)).toBe(expected);
    expect(crc32cRef(data)).toBe(expected); // the test writer's own CRC agrees
  });

  it('mask: rotate right 15, add 0xa282ead8 (mod 2^32)', () => {
    expect(maskCrc(0)).toBe(0xa282ead8);
    expect(maskCrc(0x00008000)).toBe((1 + 0xa282ead8) >>> 0);
    expect(maskCrc(0xe3069283)).toBe(maskedCrc(bytes('123456789')));
  });
});

describe('TFRecord framing', () => {
  it('reads records written by the independent writer, including an empty one', async () => {
    const crc = await crc32c();
    const file = Uint8Array.from([...tfRecord(bytes('hello')), ...tfRecord(new Uint8Array(0)), ...tfRecord(bytes('x'.repeat(300)))]);
    const recs = readTfRecords(file, crc, 'f');
    expect(recs.map((r) => new TextDecoder().decode(r))).toEqual(['hello', '', 'x'.repeat(300)]);
  });

  it('names the record and byte offset of a bad length CRC, a bad data CRC, and a truncation', async () => {
    const crc = await crc32c();
    const good = tfRecord(bytes('abc'));
    const badData = Uint8Array.from([...good, ...good]);
    badData[good.length + 13] ^= 0x01; // a data byte of record 2
    expect(() => readTfRecords(badData, crc, 'ev')).toThrow(/^ev: record 2 \(byte 19\): data CRC32C does not match$/);
    const badLen = Uint8Array.from(good);
    badLen[9] ^= 0x10;
    expect(() => readTfRecords(badLen, crc, 'ev')).toThrow(/record 1 \(byte 0\): length CRC32C does not match/);
    expect(() => readTfRecords(good.subarray(0, good.length - 2), crc, 'ev')).toThrow(/record 1 \(byte 0\): truncated: 3 data bytes \+ 4 CRC bytes declared, 5 present/);
    expect(() => readTfRecords(Uint8Array.from([...good, 1, 2, 3]), crc, 'ev')).toThrow(/record 2 \(byte 19\): truncated header \(3 of 12 bytes\)/);
  });
});

describe('Event protos', () => {
  it('reads simple_value, float_val and tensor_content floats, doubles, and text; skips histograms', async () => {
    const crc = await crc32c();
    const file = eventFile([
      { wallTime: 10.5, step: 3, values: [{ tag: 'a/simple', simple: 1.25 }, { tag: 'a/hist', histogramLike: true }] },
      { wallTime: 11, step: 2 ** 40, values: [{ tag: 'a/fv', tensorFloat: -2.5, encoding: 'float_val' }] },
      { wallTime: 12, step: 5, values: [{ tag: 'a/content', tensorFloat: 0.5, encoding: 'content', shape: [1] }] },
      { wallTime: 13, step: 6, values: [{ tag: 'a/double', tensorDouble: 0.1 }] },
      { wallTime: 14, step: 7, values: [{ tag: 'a/vector', tensorFloat: 1, encoding: 'float_val', shape: [3] }] },
      { wallTime: 15, step: 0, values: [{ tag: 'hyperparameters/text_summary', text: '|param|value|\n|-|-|\n|lr|0.001|\n|cuda|False|\n|env_id|CartPole-v1|' }] },
    ]);
    const c = parseEventFile(file, crc, 'events.out.tfevents.1');
    expect(c.fileVersion).toBe('brain.Event:2');
    expect(c.records).toBe(7);
    expect(c.scalars).toEqual([
      { tag: 'a/simple', step: 3, wallTime: 10.5, value: 1.25 },
      { tag: 'a/fv', step: 2 ** 40, wallTime: 11, value: -2.5 },
      { tag: 'a/content', step: 5, wallTime: 12, value: 0.5 },
      { tag: 'a/double', step: 6, wallTime: 13, value: 0.1 },
    ]);
    expect(c.skipped).toBe(2); // the histogram and the 3-element tensor
    expect(parseHyperparameterTable(c.texts.get('hyperparameters/text_summary')!)).toEqual({ lr: 0.001, cuda: false, env_id: 'CartPole-v1' });
  });

  it('a record that is not an Event proto names its record number; a file must start with file_version', async () => {
    const crc = await crc32c();
    const notProto = Uint8Array.from([...tfRecord(eventBytes({ wallTime: 1, step: 0, fileVersion: 'brain.Event:2' })), ...tfRecord(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f]))]);
    expect(() => parseEventFile(notProto, crc, 'ev')).toThrow(/^ev: record 2: not an Event proto/);
    const noVersion = eventFile([{ wallTime: 1, step: 1, values: [{ tag: 'x/y', simple: 1 }] }], { fileVersion: false });
    expect(() => parseEventFile(noVersion, crc, 'ev')).toThrow(/record 1: expected the file_version event/);
    expect(() => parseEventFile(new Uint8Array(0), crc, 'ev')).toThrow(/no records/);
  });
});

describe('SB3 monitor.csv', () => {
  const header = '#{"t_start": 1700000000.5, "env_id": "CartPole-v1"}\nr,l,t\n';
  it('steps are the running sum of episode lengths; wall time is t_start + t', () => {
    const m = parseMonitorCsv(`${header}21.0,21,0.25\n35,35,0.5\n`, 'monitor.csv');
    expect(m.envId).toBe('CartPole-v1');
    expect(m.episodes).toEqual([
      { step: 21, wallTime: 1700000000.75, return: 21, length: 21 },
      { step: 56, wallTime: 1700000001, return: 35, length: 35 },
    ]);
  });
  it('names the line of each malformed part', () => {
    expect(() => parseMonitorCsv('r,l,t\n1,1,1\n', 'm.csv')).toThrow(/^m.csv: line 1: expected "#" and a JSON header/);
    expect(() => parseMonitorCsv('#{"t_start": }\nr,l,t\n', 'm.csv')).toThrow(/line 1: the header is not JSON/);
    expect(() => parseMonitorCsv('#{"t_start": 1}\nr,x,t\n', 'm.csv')).toThrow(/line 2: expected a CSV header with columns r, l, t/);
    expect(() => parseMonitorCsv(`${header}1,1,1\n2,abc,2\n`, 'm.csv')).toThrow(/^m.csv: line 4: l \(episode length\) is not a finite number \("abc"\)$/);
    expect(() => parseMonitorCsv(`${header}1,1\n`, 'm.csv')).toThrow(/line 3: 2 fields, the header has 3/);
    expect(() => parseMonitorCsv(`${header}1,0,1\n`, 'm.csv')).toThrow(/line 3: l \(episode length\) must be a whole number ≥ 1, got 0/);
    expect(() => parseMonitorCsv(header, 'm.csv')).toThrow(/no episodes/);
  });
});
