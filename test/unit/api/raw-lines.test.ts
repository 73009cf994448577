/**
 * The compare chart's faint raw lines, drawn straight onto the canvas (rawLinesPlugin) instead of as Chart.js
 * datasets: drawn in order, clipped to the plot, broken at points the scale cannot place, faded with the
 * highlight, and their y extent measured for the axis.
 */
import { describe, expect, it } from 'vitest';
import type { ChartLine } from '../../../renderer/src/compare/chart-model.js';

import { rawLinesPlugin, styleRawLine, yExtent } from '../../../renderer/src/compare/raw-lines.js';

function recordingContext() {
  const calls: string[] = [];
  const ctx = new Proxy(
    {},
    {
      get: (_t, name: string) => (...args: unknown[]) => calls.push(`${name}(${args.join(',')})`),
      set: (_t, name: string, value: unknown) => {
        calls.push(`${name}=${String(value)}`);
        return true;
      },
    },
  );
  return { ctx, calls };
}

const line = (id: string, points: { x: number; y: number }[]): ChartLine => ({ role: 'raw', id, label: id, points });

describe('raw lines outside the datasets', () => {
  it('draws each line as one clipped path in order, restarting after a point the scale cannot place', () => {
    const { ctx, calls } = recordingContext();
    const lines = [
      { points: [{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: -1 }, { x: 3, y: 4 }], stroke: 'rgba(1,2,3,0.28)' },
      { points: [{ x: 0, y: 5 }], stroke: 'rgba(4,5,6,0.28)' },
    ];
    const plugin = rawLinesPlugin(() => lines);
    const scales = {
      x: { getPixelForValue: (v: number) => 10 + v * 100 },
      y: { getPixelForValue: (v: number) => (v < 0 ? Number.NaN : 200 - v * 10) }, // a log axis cannot place y ≤ 0
    };
    (plugin.beforeDatasetsDraw as (c: unknown) => void)({ ctx, chartArea: { left: 10, top: 5, right: 310, bottom: 205 }, scales });
    expect(calls).toEqual([
      'save()',
      'beginPath()',
      'rect(10,5,300,200)',
      'clip()',
      'lineWidth=1',
      'lineJoin=round',
      'strokeStyle=rgba(1,2,3,0.28)',
      'beginPath()',
      'moveTo(10,190)',
      'lineTo(110,180)',
      'moveTo(310,160)',
      'stroke()',
      'strokeStyle=rgba(4,5,6,0.28)',
      'beginPath()',
      'moveTo(10,150)',
      'stroke()',
      'restore()',
    ]);
  });

  it('fades a raw line while another run is highlighted, and measures the y extent the axis must cover', () => {
    const a = line('a', [{ x: 0, y: -3 }, { x: 1, y: 7 }]);
    const b = line('b', [{ x: 0, y: 2 }, { x: 1, y: 40 }]);
    expect(styleRawLine(a, '#336699', null).stroke).toBe(styleRawLine(a, '#336699', 'a').stroke);
    const alpha = (s: string) => Number(/,\s*([\d.]+)\)$/.exec(s)![1]);
    expect(alpha(styleRawLine(a, '#336699', 'b').stroke)).toBeCloseTo(alpha(styleRawLine(a, '#336699', null).stroke) * 0.2, 6);

    const raw = [styleRawLine(a, '#336699', null), styleRawLine(b, '#993366', null)];
    expect(yExtent(raw)).toEqual({ min: -3, max: 40 });
    expect(yExtent([])).toBeNull();
  });
});
