import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seriesToMetricsCsv } from '../../../core/api/metrics-csv.js';
import { csvField, csvRow, exportRunsCsv, exportRunsJson, MetricWriter, RunStore, StoreError } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

/** A small RFC 4180 reader, to check the writer against an independent parse. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) throw new Error('CSV must end with CRLF');
  return rows;
}

async function storeWithRuns() {
  const home = tempDir();
  const store = await RunStore.open(home);
  const a = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: { clipCoef: 0.2 }, seed: 1 });
  const b = await store.createRun({ algo: 'a2c', env: 'Pendulum-v1', config: { gamma: 0.9 }, seed: 2, name: 'b, "quoted"' });
  const wa = new MetricWriter(store.runDir(a.id));
  wa.append(0, { 'train/loss': 0.5, 'weird, "key"': 1 }, 100.5);
  wa.append(2048, { 'train/loss': -1e-7 }, 101.25);
  await wa.close();
  const wb = new MetricWriter(store.runDir(b.id));
  wb.append(200, { 'rollout/episodeReturn': -1234.5 }, 7);
  await wb.close();
  return { home, store, a, b };
}

describe('CSV writer', () => {
  it('quotes only what needs quoting, RFC 4180 style', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(-1.5e-7)).toBe('-1.5e-7');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(' padded ')).toBe('" padded "');
    expect(csvRow(['x', 1, 'y,z'])).toBe('x,1,"y,z"\r\n');
    expect(parseCsv(csvRow(['a"b', 'c\r\nd', '', 'e']))).toEqual([['a"b', 'c\r\nd', '', 'e']]);
  });
});

describe('export', () => {
  it('writes the one long-format CSV: run_id,run,key,step,wall_time,value', async () => {
    const { home, store, a, b } = await storeWithRuns();
    const path = join(home, 'out.csv');
    const result = await exportRunsCsv(store, [a.id, b.id], path);
    expect(result).toEqual({ path, runs: 2, rows: 4 });
    expect(parseCsv(readFileSync(path, 'utf8'))).toEqual([
      ['run_id', 'run', 'key', 'step', 'wall_time', 'value'],
      [a.id, a.name, 'train/loss', '0', '1970-01-01T00:01:40.500Z', '0.5'],
      [a.id, a.name, 'weird, "key"', '0', '1970-01-01T00:01:40.500Z', '1'],
      [a.id, a.name, 'train/loss', '2048', '1970-01-01T00:01:41.250Z', '-1e-7'],
      [b.id, b.name, 'rollout/episodeReturn', '200', '1970-01-01T00:00:07.000Z', '-1234.5'],
    ]);
    // The app's exporters write byte-for-byte the same thing for the same points (one format everywhere).
    const fromUi = seriesToMetricsCsv([
      { runId: a.id, run: a.name, key: 'train/loss', steps: [0], times: [100_500], values: [0.5] },
      { runId: a.id, run: a.name, key: 'weird, "key"', steps: [0], times: [100_500], values: [1] },
      { runId: a.id, run: a.name, key: 'train/loss', steps: [2048], times: [101_250], values: [-1e-7] },
      { runId: b.id, run: b.name, key: 'rollout/episodeReturn', steps: [200], times: [7_000], values: [-1234.5] },
    ]);
    expect(readFileSync(path, 'utf8')).toBe(fromUi);
  });

  it('writes JSON with each run (config included) and its metrics', async () => {
    const { home, store, a, b } = await storeWithRuns();
    const path = join(home, 'out.json');
    expect(await exportRunsJson(store, [b.id, a.id], path)).toEqual({ path, runs: 2, rows: 3 });
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(json.format).toBe('policylab-runs');
    expect(json.runs.map((r: { run: { id: string } }) => r.run.id)).toEqual([b.id, a.id]);
    expect(json.runs[0].run).toEqual(store.getRun(b.id));
    expect(json.runs[0].run.config).toEqual({ gamma: 0.9 });
    expect(json.runs[1].metrics).toEqual([
      { step: 0, wallTime: 100.5, values: { 'train/loss': 0.5, 'weird, "key"': 1 } },
      { step: 2048, wallTime: 101.25, values: { 'train/loss': -1e-7 } },
    ]);
  });

  it('exports a run without metrics', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const r = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 0 });
    await exportRunsJson(store, [r.id], join(home, 'x.json'));
    expect(JSON.parse(readFileSync(join(home, 'x.json'), 'utf8')).runs[0].metrics).toEqual([]);
    await exportRunsCsv(store, [r.id], join(home, 'x.csv'));
    expect(readFileSync(join(home, 'x.csv'), 'utf8')).toBe('run_id,run,key,step,wall_time,value\r\n');
  });

  it('rejects unknown runs and invalid paths with clear errors, writing nothing', async () => {
    const { home, store, a } = await storeWithRuns();
    mkdirSync(join(home, 'a-folder'));
    const before = readdirSync(home).sort();
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => exportRunsCsv(store, [a.id, 'nope'], join(home, 'x.csv')), 'UNKNOWN_RUN', /unknown run id "nope"/],
      [() => exportRunsJson(store, [], join(home, 'x.json')), 'INVALID_INPUT', /at least one run id/],
      [() => exportRunsCsv(store, [a.id], join(home, 'missing', 'x.csv')), 'INVALID_PATH', /folder .*missing does not exist/],
      [() => exportRunsCsv(store, [a.id], join(home, 'a-folder')), 'INVALID_PATH', /is a folder; give a file name/],
      [() => exportRunsJson(store, [a.id], ''), 'INVALID_PATH', /export path must be a file path/],
      [() => exportRunsJson(store, [a.id], join(home, 'db.json', 'x.json')), 'INVALID_PATH', /is not a folder/],
    ];
    for (const [run, code, message] of cases) {
      const err = await run().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
    }
    expect(readdirSync(home).sort()).toEqual(before);
  });

  it('replaces an existing export file', async () => {
    const { home, store, a } = await storeWithRuns();
    const path = join(home, 'out.csv');
    writeFileSync(path, 'old');
    await exportRunsCsv(store, [a.id], path);
    expect(readFileSync(path, 'utf8')).toMatch(/^run_id,run,key,step,wall_time,value\r\n/);
    expect(existsSync(path)).toBe(true);
  });
});
