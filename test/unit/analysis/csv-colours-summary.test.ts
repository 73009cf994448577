import { describe, expect, it } from 'vitest';
import { csvField, seriesToMetricsCsv, toCsv, uniqueRunLabels } from '../../../renderer/src/analysis/csv.js';
import { assignRunColours, contrastRatio, hashString, runColour, RUN_PALETTE, withAlpha } from '../../../renderer/src/analysis/colours.js';
import { metricGoal, statValue, summarise } from '../../../renderer/src/analysis/summary.js';

describe('CSV', () => {
  it('quotes commas, quotes, newlines and edge spaces; doubles inner quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(null)).toBe('');
  });

  it('writes numbers at full precision, NaN as empty, infinities as inf', () => {
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(csvField(1e-7)).toBe('1e-7');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(-Infinity)).toBe('-inf');
    expect(toCsv([['a', 1], ['b,c', 2]])).toBe('a,1\r\n"b,c",2\r\n');
  });

  it('serialises compared series in the one long format, names unquoted unless needed', () => {
    const csv = seriesToMetricsCsv([
      { runId: 'r1', run: 'ppo, seed 1', key: 'rollout/episodeReturn', steps: [0, 2048], times: [0, 1500], values: [9.5, 22] },
      { runId: 'r2', run: 'a2c', key: 'rollout/episodeReturn', steps: [100], values: [Number.NaN] },
    ]);
    expect(csv).toBe(
      'run_id,run,key,step,wall_time,value\r\n' +
        'r1,"ppo, seed 1",rollout/episodeReturn,0,1970-01-01T00:00:00.000Z,9.5\r\n' +
        'r1,"ppo, seed 1",rollout/episodeReturn,2048,1970-01-01T00:00:01.500Z,22\r\n' +
        'r2,a2c,rollout/episodeReturn,100,,\r\n',
    );
    expect(() => seriesToMetricsCsv([{ runId: 'r', run: 'r', key: 'k', steps: [1], values: [] }])).toThrow('CSV: series r/k has 1 steps, 0 values and no times');
  });

  it('labels runs by name, adding the id where names collide', () => {
    const labels = uniqueRunLabels([
      { id: 'a1', name: 'ppo' },
      { id: 'b2', name: 'ppo' },
      { id: 'c3', name: 'a2c' },
    ]);
    expect([...labels.values()]).toEqual(['ppo (a1)', 'ppo (b2)', 'a2c']);
  });
});

describe('run colours', () => {
  it('gives a run the same colour every time, from the palette', () => {
    expect(runColour('run-abc')).toBe(runColour('run-abc'));
    expect(RUN_PALETTE).toContain(runColour('run-abc'));
    expect(hashString('a')).toBe(0xe40c292c); // FNV-1a reference value
  });

  it('keeps colours distinct on screen and stable when runs are added', () => {
    const ids = Array.from({ length: 16 }, (_, i) => `run-${i}`);
    const all = assignRunColours(ids);
    expect(new Set(all.values()).size).toBe(16);
    const first = assignRunColours(ids.slice(0, 5));
    const more = assignRunColours(ids.slice(0, 9), first);
    for (const id of ids.slice(0, 5)) expect(more.get(id)).toBe(first.get(id));
    // The runs on screen take the palette in order, the most distinct colours first.
    expect([...assignRunColours(['x', 'y', 'z']).values()]).toEqual(RUN_PALETTE.slice(0, 3));
    // Beyond the palette, colours repeat but stay stable per id.
    const many = assignRunColours(Array.from({ length: 20 }, (_, i) => `r${i}`));
    expect(many.get('r19')).toBe(runColour('r19'));
  });

  it('palette colours are far apart (CIELAB ΔE), the first eight most of all', () => {
    const lab = (hex: string): [number, number, number] => {
      const lin = [1, 3, 5].map((i) => {
        const c = parseInt(hex.slice(i, i + 2), 16) / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      const [r, g, b] = lin as [number, number, number];
      const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
      const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
      const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
      const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
      return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
    };
    const minDelta = (colours: readonly string[]) => {
      let min = Infinity;
      for (let i = 0; i < colours.length; i++) {
        for (let j = i + 1; j < colours.length; j++) min = Math.min(min, Math.hypot(...lab(colours[i]!).map((v, k) => v - lab(colours[j]!)[k]!)));
      }
      return min;
    };
    expect(new Set(RUN_PALETTE).size).toBe(RUN_PALETTE.length);
    expect(minDelta(RUN_PALETTE.slice(0, 8))).toBeGreaterThan(20);
    expect(minDelta(RUN_PALETTE)).toBeGreaterThan(10);
  });

  it('palette is readable on light and dark backgrounds (≥ 3:1)', () => {
    for (const c of RUN_PALETTE) {
      expect(contrastRatio(c, '#ffffff'), c).toBeGreaterThanOrEqual(3);
      expect(contrastRatio(c, '#18181b'), c).toBeGreaterThanOrEqual(3);
    }
    expect(withAlpha('#ff8000', 0.25)).toBe('rgba(255, 128, 0, 0.25)');
    expect(() => withAlpha('red', 1)).toThrow('withAlpha: expected a #rrggbb colour, got red');
  });
});

describe('metric summaries', () => {
  it('last/min/max over finite values, best by the key direction', () => {
    const s = summarise([3, Number.NaN, -1, 7, 5, Number.NaN], [10, 20, 30, 40, 50, 60]);
    expect(s).toEqual({ last: 5, lastStep: 50, min: -1, max: 7, count: 4 });
    expect(metricGoal('rollout/episodeReturn')).toBe('max');
    expect(metricGoal('train/valueLoss')).toBe('min');
    expect(metricGoal('train/approxKl')).toBe('min');
    expect(metricGoal('train/entropy')).toBe('max');
    expect(statValue(s, 'best', 'max')).toBe(7);
    expect(statValue(s, 'best', 'min')).toBe(-1);
    expect(statValue(undefined, 'last', 'max')).toBeNull();
    expect(summarise([]).last).toBeNull();
  });
});
